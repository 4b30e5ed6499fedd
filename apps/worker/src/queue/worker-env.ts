// The worker process's queue settings from the environment: which queues (WORKER_QUEUES=embed,generate)
// and how many jobs at once, for every queue (WORKER_CONCURRENCY=2) or per queue
// (WORKER_CONCURRENCY=embed=2,train=1, queues not named keep their default).
import { ALL_QUEUES, type QueueName } from "./queues.ts";

export function parseQueues(raw: string | undefined): QueueName[] | undefined {
  if (!raw?.trim()) return undefined;
  const names = raw.split(",").map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!ALL_QUEUES.includes(name as QueueName)) {
      throw new Error(`WORKER_QUEUES: unknown queue "${name}" (known: ${ALL_QUEUES.join(", ")})`);
    }
  }
  return names as QueueName[];
}

function count(raw: string, what: string): number {
  const n = Number(raw);
  if (!raw.trim() || !Number.isInteger(n) || n < 1 || n > 64) throw new Error(`WORKER_CONCURRENCY: ${what} must be an integer from 1 to 64, got "${raw}"`);
  return n;
}

export function parseConcurrency(raw: string | undefined): number | Partial<Record<QueueName, number>> | undefined {
  if (!raw?.trim()) return undefined;
  if (!raw.includes("=")) return count(raw.trim(), "the value");
  const out: Partial<Record<QueueName, number>> = {};
  for (const part of raw.split(",").map((s) => s.trim()).filter(Boolean)) {
    const [name, value] = part.split("=").map((s) => s.trim());
    if (!name || value === undefined || !ALL_QUEUES.includes(name as QueueName)) {
      throw new Error(`WORKER_CONCURRENCY: "${part}" is not <queue>=<n> with a known queue (${ALL_QUEUES.join(", ")})`);
    }
    out[name as QueueName] = count(value, name);
  }
  return out;
}
