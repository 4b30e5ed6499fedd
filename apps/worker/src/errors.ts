// Errors the worker raises. Each names what is wrong so a CLI user or the web app can show it as is.

/** Job parameters or a job request that fail validation before anything is queued. */
export class JobParamsError extends Error {
  override name = "JobParamsError";
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
  ) {
    super(message);
  }
}

export class JobNotFoundError extends Error {
  override name = "JobNotFoundError";
  constructor(readonly jobId: string) {
    super(`No job with id "${jobId}"`);
  }
}

/** An operation that the job's current status does not allow (cancel a finished job, retry a running one). */
export class JobStateError extends Error {
  override name = "JobStateError";
}

/** Raised inside a handler for a failure that retrying cannot fix: the job goes FAILED at once. */
export class PermanentJobError extends Error {
  override name = "PermanentJobError";
}

/** Thrown out of a handler's checkpoint when a user asked to cancel the job. */
export class JobCancelledError extends Error {
  override name = "JobCancelledError";
  constructor(readonly jobId: string) {
    super(`Job ${jobId} was cancelled`);
  }
}

/** Thrown out of a handler's checkpoint when the worker is shutting down: the job goes back to the queue. */
export class JobReleasedError extends Error {
  override name = "JobReleasedError";
  constructor(readonly jobId: string) {
    super(`Job ${jobId} was released because the worker is stopping`);
  }
}

/** The queue no longer considers this worker the owner of the job (it expired and went to another worker). */
export class JobClaimLostError extends Error {
  override name = "JobClaimLostError";
  constructor(readonly jobId: string) {
    super(`Job ${jobId} is no longer held by this worker`);
  }
}

export class ServicesConfigError extends Error {
  override name = "ServicesConfigError";
}

export class ModelError extends Error {
  override name = "ModelError";
}

export class NotFoundError extends Error {
  override name = "NotFoundError";
}
