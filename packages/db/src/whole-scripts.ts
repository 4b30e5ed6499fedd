// Makes migration scripts run the way the native schema engine runs them: the whole file sent as one
// simple-protocol query, which PostgreSQL executes as a single implicit transaction.
//
// The driver adapters fall short of that. @prisma/adapter-pg splits the script on every ";" (breaking
// statements that contain one, e.g. a DO $$ … $$ block or a string default) and sends the pieces one by
// one through the pool, so a failure leaves half a migration behind. pglite-prisma-adapter does not
// await `exec`, so a failing migration is recorded as applied and its error surfaces later as an
// unhandled rejection. This wrapper replaces `executeScript` on both; other adapters pass through.
import type { PGlite } from "@electric-sql/pglite";
import { DriverAdapterError } from "@prisma/driver-adapter-utils";
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";

type ScriptRunner = (script: string) => Promise<void>;

interface PgError {
  code?: unknown;
  severity?: unknown;
  message?: unknown;
  detail?: unknown;
  column?: unknown;
  hint?: unknown;
}

function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function toAdapterError(error: unknown): unknown {
  if (typeof error !== "object" || error === null) return error;
  const e = error as PgError;
  if (typeof e.code !== "string" || typeof e.message !== "string") return error;
  return new DriverAdapterError({
    kind: "postgres",
    code: e.code,
    severity: asString(e.severity) ?? "ERROR",
    message: e.message,
    detail: asString(e.detail),
    column: asString(e.column),
    hint: asString(e.hint),
  });
}

function guarded(run: ScriptRunner): ScriptRunner {
  return async (script) => {
    try {
      await run(script);
    } catch (error) {
      throw toAdapterError(error);
    }
  };
}

function scriptRunnerFor(adapter: SqlDriverAdapter): ScriptRunner | undefined {
  const withDriver = adapter as { underlyingDriver?: () => unknown };
  if (typeof withDriver.underlyingDriver === "function") {
    const driver = withDriver.underlyingDriver() as { query?: (sql: string) => Promise<unknown> };
    if (typeof driver.query === "function") {
      const query = driver.query.bind(driver);
      return guarded(async (script) => {
        await query(script);
      });
    }
  }
  const withClient = adapter as { client?: Partial<PGlite> };
  if (adapter.adapterName === "pglite-prisma-adapter" && typeof withClient.client?.exec === "function") {
    const client = withClient.client as PGlite;
    return guarded(async (script) => {
      await client.exec(script);
    });
  }
  return undefined;
}

function wrapAdapter(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const run = scriptRunnerFor(adapter);
  let disposed: Promise<void> | undefined;
  // Disposing twice ends a pg pool twice, which throws; the engine and our cleanup may both dispose.
  const dispose = () => (disposed ??= adapter.dispose());
  return new Proxy(adapter, {
    get(target, property) {
      if (property === "executeScript" && run !== undefined) return run;
      if (property === "dispose") return dispose;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export interface TrackedAdapterFactory extends SqlMigrationAwareDriverAdapterFactory {
  /** Disposes every adapter this factory handed out (the engine does not always do it on `free()`). */
  disposeAll(): Promise<void>;
}

export function withWholeScripts(factory: SqlMigrationAwareDriverAdapterFactory): TrackedAdapterFactory {
  const handedOut: SqlDriverAdapter[] = [];
  const track = (adapter: SqlDriverAdapter) => {
    const wrapped = wrapAdapter(adapter);
    handedOut.push(wrapped);
    return wrapped;
  };
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => track(await factory.connect()),
    connectToShadowDb: async () => track(await factory.connectToShadowDb()),
    disposeAll: async () => {
      await Promise.allSettled(handedOut.splice(0).map((adapter) => adapter.dispose()));
    },
  };
}
