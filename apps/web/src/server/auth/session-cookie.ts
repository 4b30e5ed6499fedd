// Reads the next-auth (v4, JWT strategy) session cookie from a request and decodes it, so tRPC and
// route handlers learn who is calling without going through next-auth's HTTP handler.
import { decode, encode } from "next-auth/jwt";

/** next-auth names the cookie with the __Secure- prefix when the site is served over https. */
export const SESSION_COOKIE_NAMES = ["__Secure-next-auth.session-token", "next-auth.session-token"] as const;

/** Session lifetime; also the JWT's maximum age. */
export const SESSION_MAX_AGE_SECONDS = 30 * 24 * 60 * 60;

export function parseCookieHeader(header: string | null | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1).trim();
    try {
      cookies.set(name, decodeURIComponent(raw));
    } catch {
      cookies.set(name, raw);
    }
  }
  return cookies;
}

/** The session token, joining next-auth's chunked cookies (`name.0`, `name.1`, ...) when it split one. */
function sessionTokenFrom(cookies: Map<string, string>): string | undefined {
  for (const name of SESSION_COOKIE_NAMES) {
    const whole = cookies.get(name);
    if (whole) return whole;
    const chunks: string[] = [];
    for (let i = 0; cookies.has(`${name}.${i}`); i++) chunks.push(cookies.get(`${name}.${i}`)!);
    if (chunks.length > 0) return chunks.join("");
  }
  return undefined;
}

/** The user id (JWT `sub`) of a valid, unexpired session, or null. */
export async function sessionUserIdFromHeaders(headers: Headers, secret: string): Promise<string | null> {
  const token = sessionTokenFrom(parseCookieHeader(headers.get("cookie")));
  if (!token) return null;
  try {
    const payload = await decode({ token, secret });
    return typeof payload?.sub === "string" && payload.sub !== "" ? payload.sub : null;
  } catch {
    // Tampered, expired, or minted with another secret: treat as signed out.
    return null;
  }
}

/** Mints a session token exactly as next-auth does at sign-in (used by tests and tools). */
export async function mintSessionToken(userId: string, secret: string, maxAge = SESSION_MAX_AGE_SECONDS): Promise<string> {
  return encode({ token: { sub: userId }, secret, maxAge });
}
