// The trainer's checkpoints in the product's storage: one object per training run, overwritten in place
// (storage writes are atomic), so a killed round resumes from its last saved step on any worker.
import type { CheckpointStore } from "@data-engine/sam-train";
import type { Services } from "../../services.ts";

export function checkpointKey(projectId: string, trainingRunId: string): string {
  return `projects/${projectId}/training/${trainingRunId}/checkpoint.bin`;
}

export function storageCheckpointStore(
  services: Services,
  key: string,
  onSaved: (step: number) => Promise<void>,
): CheckpointStore {
  return {
    async load() {
      if (!(await services.storage.head(key))) return null;
      const bytes = await services.storage.getBytes(key);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    async save(bytes, step) {
      await services.storage.put(key, bytes, { contentType: "application/octet-stream" });
      await onSaved(step);
    },
  };
}
