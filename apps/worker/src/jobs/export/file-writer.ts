// Appends text to a file through a write stream, waiting when the stream's buffer is full, so memory
// stays flat however much is written.
import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";

export class TextFileWriter {
  private readonly stream: WriteStream;
  private failure: Error | undefined;

  constructor(readonly path: string) {
    this.stream = createWriteStream(path);
    this.stream.on("error", (error) => (this.failure = error));
  }

  async write(text: string): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.stream.write(text)) await once(this.stream, "drain");
  }

  async close(): Promise<void> {
    if (this.failure) throw this.failure;
    this.stream.end();
    await once(this.stream, "finish");
  }
}
