// The production worker process (`npm start -w @data-engine/worker`): opens the services from the
// environment (migrating the database), works on every queue, and stops gracefully on SIGTERM / SIGINT:
// running jobs finish their current item and go back to the queue.
import { createServices } from "./services.ts";
import { startWorkers } from "./queue/workers.ts";
import { ALL_QUEUES } from "./queue/queues.ts";
import { parseConcurrency, parseQueues } from "./queue/worker-env.ts";

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
