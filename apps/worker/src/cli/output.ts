// Human or JSON output, and a progress bar (counts, percent, ETA) for long operations.
import type { Job } from "@data-engine/db";

export interface Output {
  json: boolean;
  /** The command's result: a JSON document with --json, readable lines otherwise. */
  result(value: unknown, human: () => string): void;
  info(line: string): void;
  progress(job: Pick<Job, "status" | "progress" | "progressMessage" | "startedAt">): void;
  endProgress(): void;
}

export function createOutput(json: boolean, stream: NodeJS.WriteStream = process.stderr): Output {
  let lastLine = "";
  let lastPrint = 0;
  const tty = Boolean(stream.isTTY);
  return {
    json,
    result(value, human) {
      if (json) process.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
      else process.stdout.write(`${human()}\n`);
    },
    info(line) {
      if (!json) stream.write(`${line}\n`);
    },
    progress(job) {
      if (json) return;
      const line = progressLine(job, Date.now());
      if (tty) {
        stream.write(`\r\x1b[2K${line}`);
        lastLine = line;
      } else if (line !== lastLine && Date.now() - lastPrint > 2000) {
        stream.write(`${line}\n`);
        lastLine = line;
        lastPrint = Date.now();
      }
    },
    endProgress() {
      if (!json && tty && lastLine) stream.write("\n");
      lastLine = "";
    },
  };
}

const WIDTH = 24;

export function progressLine(job: Pick<Job, "status" | "progress" | "progressMessage" | "startedAt">, now: number): string {
  const pct = Math.max(0, Math.min(100, job.progress));
  const filled = Math.round((pct / 100) * WIDTH);
  const bar = `[${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}]`;
  let eta = "";
  if (job.status === "RUNNING" && job.startedAt && pct > 0 && pct < 100) {
    const elapsed = now - job.startedAt.getTime();
    eta = ` ETA ${formatDuration((elapsed * (100 - pct)) / pct)}`;
  }
  return `${bar} ${String(pct).padStart(3)}% ${job.status.toLowerCase()} ${job.progressMessage ?? ""}${eta}`.trimEnd();
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}` : `${m}:${String(sec).padStart(2, "0")}`;
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/** A fixed-width text table. */
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return "(none)";
  const cell = (v: unknown) => (v instanceof Date ? v.toISOString().slice(0, 19).replace("T", " ") : v === null || v === undefined ? "" : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(columns), line(widths.map((w) => "-".repeat(w))), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join("\n");
}
