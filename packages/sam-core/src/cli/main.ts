import { parseArgs } from "node:util";
import type { ParseArgsConfig } from "node:util";
import { AMG_OPTIONS, AMG_USAGE, amgCommand } from "./amg.ts";
import { buildCommand, embedCommand, inspectCommand, predictCommand } from "./commands.ts";
import type { Io, Parsed } from "./commands.ts";
import { UsageError } from "./errors.ts";

const USAGE = `usage: sam-core <command> [options]

commands:
  inspect MODEL [--json]
      describe an ONNX model: SAM role, inputs/outputs, opset, parameters, quantization, metadata
  build --arch tiny|vit_b|vit_l|vit_h --out DIR [--seed N]
      write encoder.onnx, decoder.onnx and decoder-throughput.onnx with seeded random weights
  embed --encoder ENCODER.onnx IMAGE --out EMB.bin [--dtype float16|float32]
      run the image encoder and save the embedding (float16 by default, ~2 MB for SAM)
  predict --decoder DECODER.onnx (--encoder ENCODER.onnx | --embedding EMB.bin) IMAGE
          [--points '[[x,y,label],...]'] [--box x0,y0,x1,y1] [--multimask] [--threads N] --out MASKS.json
      predict masks for clicks (label 1 foreground, 0 background) and/or a box; writes SA-1B-style JSON
${AMG_USAGE}

exit codes: 0 ok, 1 failure, 2 usage error. Set DEBUG=1 for stack traces.`;

type Options = NonNullable<ParseArgsConfig["options"]>;
const COMMANDS: Record<string, { options: Options; run: (p: Parsed, io: Io) => Promise<void> }> = {
  inspect: { options: { json: { type: "boolean" } }, run: inspectCommand },
  build: { options: { arch: { type: "string" }, out: { type: "string" }, seed: { type: "string" } }, run: buildCommand },
  embed: { options: { encoder: { type: "string" }, out: { type: "string" }, dtype: { type: "string" } }, run: embedCommand },
  predict: {
    options: {
      encoder: { type: "string" },
      decoder: { type: "string" },
      embedding: { type: "string" },
      points: { type: "string" },
      box: { type: "string" },
      multimask: { type: "boolean" },
      threads: { type: "string" },
      out: { type: "string" },
    },
    run: predictCommand,
  },
  amg: { options: AMG_OPTIONS, run: amgCommand },
};

export interface MainIo {
  stdout?: (line: string) => void;
  stderr?: (line: string) => void;
}

/** Runs the CLI; returns the exit code (never calls process.exit, so tests can run it in-process). */
export async function main(argv: string[], io: MainIo = {}): Promise<number> {
  const out = io.stdout ?? ((l: string) => process.stdout.write(`${l}\n`));
  const err = io.stderr ?? ((l: string) => process.stderr.write(`${l}\n`));
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    (name ? out : err)(USAGE);
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  try {
    if (!cmd) throw new UsageError(`unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(", ")})`);
    let parsed: Parsed;
    try {
      const r = parseArgs({ args: rest, options: cmd.options, allowPositionals: true, strict: true });
      parsed = { values: r.values as Parsed["values"], positionals: r.positionals };
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    await cmd.run(parsed, { out });
    return 0;
  } catch (e) {
    const error = e as Error;
    const usage = error instanceof UsageError;
    err(`sam-core ${name}: ${usage ? "usage error" : "error"}: ${error.message}`);
    if (usage) err(`run "sam-core --help" for usage`);
    if (process.env.DEBUG && error.stack) err(error.stack);
    return usage ? 2 : 1;
  }
}
