// Entry of `data-engine`, the admin CLI: parses the command line, opens the services from the
// environment (same DATABASE_URL / DATA_DIR / S3_* as the web app), runs the command, exits with a code.
import { parseArgs } from "node:util";
import { createServices, type Services } from "../services.ts";
import { JobNotFoundError, JobParamsError, JobStateError, ModelError, NotFoundError } from "../errors.ts";
import { COMMANDS, type Command } from "./commands.ts";
import { CliError, EXIT } from "./errors.ts";
import { createOutput } from "./output.ts";

const GLOBAL = {
  json: { type: "boolean" as const },
  help: { type: "boolean" as const, short: "h" },
  "run-here": { type: "boolean" as const },
};

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "usage: data-engine <command> [options] [--json] [--run-here]",
    "",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "  --json      machine-readable result on stdout (progress is not printed)",
    "  --run-here  work on the queued job in this process while following it (automatic with embedded PGlite)",
    "  --no-wait   queue the job and exit without following it",
    "",
    "exit codes: 0 ok, 1 job failed or error, 2 bad usage or parameters, 3 not found, 4 cancelled, 69 not available yet",
    "settings: DATABASE_URL (unset: embedded PGlite in DATA_DIR, default ./.data), S3_BUCKET & co. (unset: files in DATA_DIR)",
  ].join("\n");
}

function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(" ");
    const command = COMMANDS.find((c) => c.name === name);
    if (command) return { command, rest: argv.slice(words) };
  }
  return undefined;
}

export async function runCli(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  const out = createOutput(json);
  const found = findCommand(argv);
  if (!found) {
    if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
      process.stdout.write(`${usage()}\n`);
      return EXIT.OK;
    }
    process.stderr.write(`data-engine: unknown command "${argv.slice(0, 2).join(" ")}"\n\n${usage()}\n`);
    return EXIT.USAGE;
  }
  const { command, rest } = found;
  let services: Services | undefined;
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: { ...command.options, ...GLOBAL }, allowPositionals: true, strict: true });
    } catch (error) {
      throw new CliError(`${(error as Error).message}\nusage: data-engine ${command.usage}`);
    }
    if (parsed.values.help) {
      process.stdout.write(`usage: data-engine ${command.usage}\n`);
      return EXIT.OK;
    }
    if (command.needsServices !== false) services = await createServices();
    return await command.run({ services: services as Services, out, runHere: Boolean(parsed.values["run-here"]) }, parsed.values, parsed.positionals);
  } catch (error) {
    const code = exitCodeOf(error);
    const message = error instanceof Error ? error.message : String(error);
    if (json) process.stdout.write(`${JSON.stringify({ error: message, exitCode: code })}\n`);
    process.stderr.write(`data-engine: ${message}\n`);
    if (code === EXIT.FAILED && error instanceof Error && process.env.DEBUG) process.stderr.write(`${error.stack}\n`);
    return code;
  } finally {
    await services?.close().catch(() => undefined);
  }
}

function exitCodeOf(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof JobParamsError || error instanceof JobStateError || error instanceof ModelError) return EXIT.USAGE;
  if (error instanceof JobNotFoundError || error instanceof NotFoundError) return EXIT.NOT_FOUND;
  return EXIT.FAILED;
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
