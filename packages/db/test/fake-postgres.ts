// A TCP server that speaks just enough of the PostgreSQL protocol to refuse a connection with a given
// error, so that error reporting can be tested without a server configured to fail that way.
import { createServer } from "node:net";
import type { AddressInfo, Server } from "node:net";

function errorResponse(code: string, message: string): Buffer {
  const fields = Buffer.concat([
    ...[
      ["S", "FATAL"],
      ["V", "FATAL"],
      ["C", code],
      ["M", message],
    ].map(([type, value]) => Buffer.from(`${type}${value}\0`, "utf8")),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(5);
  header.write("E", 0, "ascii");
  header.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([header, fields]);
}

export interface FakePostgres {
  port: number;
  close(): Promise<void>;
}

/** Answers every startup message with a FATAL error `code` / `message`. */
export async function startFakePostgres(code: string, message: string): Promise<FakePostgres> {
  const server: Server = createServer((socket) => {
    let buffered = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 8) return;
      const length = buffered.readInt32BE(0);
      if (buffered.length < length) return;
      const requestCode = buffered.readInt32BE(4);
      buffered = buffered.subarray(length);
      if (requestCode === 80877103) {
        socket.write("N"); // SSLRequest: no TLS here; the client continues in plain text.
        return;
      }
      socket.end(errorResponse(code, message));
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
