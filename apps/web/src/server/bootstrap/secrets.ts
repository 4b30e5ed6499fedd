// The next-auth secret: NEXTAUTH_SECRET (or AUTH_SECRET) when set; otherwise one generated on first start
// and kept in the data directory, so sessions survive restarts of the embedded default.
import { createHmac, randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

export const SECRET_FILE = "nextauth-secret";
const MIN_SECRET_LENGTH = 32;

export class AuthSecretError extends Error {
  override name = "AuthSecretError";
}

export async function loadAuthSecret(dataDir: string, env: Record<string, string | undefined>): Promise<string> {
  const fromEnv = (env.NEXTAUTH_SECRET ?? env.AUTH_SECRET)?.trim();
  if (fromEnv) {
    if (fromEnv.length < MIN_SECRET_LENGTH) {
      throw new AuthSecretError(`NEXTAUTH_SECRET is too short (${fromEnv.length} characters, need at least ${MIN_SECRET_LENGTH}); generate one with \`openssl rand -base64 32\``);
    }
    return fromEnv;
  }
  const file = path.join(dataDir, SECRET_FILE);
  const stored = await readFile(file, "utf8").then((s) => s.trim(), () => null);
  if (stored && stored.length >= MIN_SECRET_LENGTH) return stored;
  await mkdir(dataDir, { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  // "wx" fails if another process created it meanwhile; then its secret wins.
  try {
    await writeFile(file, `${secret}\n`, { mode: 0o600, flag: stored === null ? "wx" : "w" });
    return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return (await readFile(file, "utf8")).trim();
    throw err;
  }
}

/** A separate key for signing file URLs, derived so a leaked file token says nothing about sessions. */
export function deriveFileUrlSecret(authSecret: string): string {
  return createHmac("sha256", authSecret).update("data-engine file urls v1").digest("base64url");
}
