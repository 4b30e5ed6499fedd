// The production worker process (`npm start -w @data-engine/worker`): opens the services from the
// environment (migrating the database), works on every queue, and stops gracefully on SIGTERM / SIGINT:
// running jobs finish their current item and go back to the queue.
import { createServices } from "./services.ts";
import { startWorkers } from "./queue/workers.ts";
import { ALL_QUEUES, type QueueName } from "./queue/queues.ts";

function parseQueues(raw: string | undefined): QueueName[] | undefined {
  if (!raw?.trim()) return undefined;
  const names = raw.split(",").map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!ALL_QUEUES.includes(name as QueueName)) {
      throw new Error(`WORKER_QUEUES: unknown queue "${name}" (known: ${ALL_QUEUES.join(", ")})`);
    }
  }
  return names as QueueName[];
}

function parseConcurrency(raw: string | undefined): number | undefined {
  if (!raw?.trim()) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`WORKER_CONCURRENCY must be an integer from 1 to 64, got "${raw}"`);
  return n;
}

async function main(): Promise<void> {
  const queues = parseQueues(process.env.WORKER_QUEUES);
  const concurrency = parseConcurrency(process.env.WORKER_CONCURRENCY);
  const services = await createServices();
  const workers = await startWorkers(services, { queues, concurrency });
  console.log(
    `[worker] pid ${process.pid} working on ${(queues ?? ALL_QUEUES).join(", ")} (${services.db.kind}, storage ${services.storage.kind})`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[worker] ${signal}: finishing or releasing running jobs`);
    try {
      await workers.stop();
      await services.close();
      process.exit(0);
    } catch (error) {
      console.error("[worker] error while stopping:", error);
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((error) => {
  console.error(`[worker] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
