#!/usr/bin/env node
// Launcher of the admin CLI: registers tsx (the sources are TypeScript, never compiled) and runs it.
import { register } from "tsx/esm/api";

register();
const { runCli } = await import("../src/cli/main.ts");
process.exit(await runCli(process.argv.slice(2)));
