// What goes into a pg-boss job: only the id of the Job row, which holds the parameters.
export interface QueuePayload {
  jobId: string;
}

export function isQueuePayload(value: unknown): value is QueuePayload {
  return typeof value === "object" && value !== null && typeof (value as QueuePayload).jobId === "string";
}
