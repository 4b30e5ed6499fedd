// One decoder worker for the whole tab: moving to the next image keeps the loaded model (downloading and
// compiling the decoder is most of the time to the first mask), and only swaps the embedding. Released
// after a minute without an annotator on screen.
import { DecoderClient } from "./decoder-client.ts";
import type { InitResult } from "./protocol.ts";

interface Shared {
  key: string;
  client: DecoderClient;
  init: Promise<InitResult>;
  users: number;
  idle: ReturnType<typeof setTimeout> | null;
}

const IDLE_MS = 60_000;
let current: Shared | null = null;

/** The worker for `key` (model and settings), started and initialised with `init` when it is not running. */
export function acquireDecoder(key: string, init: (client: DecoderClient) => Promise<InitResult>): { client: DecoderClient; init: Promise<InitResult>; reused: boolean } {
  if (current && current.key === key) {
    if (current.idle) clearTimeout(current.idle);
    current.idle = null;
    current.users++;
    return { client: current.client, init: current.init, reused: true };
  }
  current?.client.terminate();
  const client = DecoderClient.start();
  const entry: Shared = { key, client, init: init(client), users: 1, idle: null };
  current = entry;
  // A worker that failed to start is not reused: the next page tries again.
  entry.init.catch(() => {
    if (current === entry) {
      client.terminate();
      current = null;
    }
  });
  return { client, init: entry.init, reused: false };
}

export function releaseDecoder(client: DecoderClient): void {
  const entry = current;
  if (!entry || entry.client !== client) return;
  entry.users = Math.max(0, entry.users - 1);
  if (entry.users > 0) return;
  entry.idle = setTimeout(() => {
    if (current === entry && entry.users === 0) {
      entry.client.terminate();
      current = null;
    }
  }, IDLE_MS);
}
