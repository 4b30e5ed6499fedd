// `prisma generate` without network access.
//
// The Prisma 7 CLI resolves (and downloads) the native schema engine even for `generate`, which needs
// none. Pointing PRISMA_SCHEMA_ENGINE_BINARY at a stub that always fails satisfies the lookup offline; a
// stub that succeeds (/bin/true) would make `prisma migrate deploy` falsely report success, so never
// use one. The stub lives in a fresh temporary directory and is removed afterwards.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const prismaCli = join(dirname(require.resolve("prisma/package.json")), "build", "index.js");

const stubDir = mkdtempSync(join(tmpdir(), "de-prisma-stub-"));
const stub = join(stubDir, "schema-engine-stub");
writeFileSync(
  stub,
  '#!/bin/sh\necho "schema engine unavailable offline: migrations run through @data-engine/db (WASM engine)" >&2\nexit 1\n',
);
chmodSync(stub, 0o755);

let status = 1;
try {
  const result = spawnSync(
    process.execPath,
    [prismaCli, "generate", "--config", join(packageDir, "prisma.config.ts")],
    {
      cwd: packageDir,
      stdio: "inherit",
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: stub,
        PRISMA_HIDE_UPDATE_MESSAGE: "1",
        CHECKPOINT_DISABLE: "1",
        PRISMA_DISABLE_WARNINGS: "1",
      },
    },
  );
  if (result.error) console.error(`prisma generate could not start: ${result.error.message}`);
  status = result.status ?? 1;
} finally {
  rmSync(stubDir, { recursive: true, force: true });
}
process.exit(status);
