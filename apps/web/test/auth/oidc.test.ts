// OIDC sign-in configured from environment variables: the settings are read and checked, the provider
// appears in next-auth's provider list, starting a sign-in redirects to the issuer's authorization endpoint
// (discovered from a local stand-in issuer) with this client's id and PKCE, and the callbacks link the
// identity to a user row so the session carries that user's id.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import NextAuth, { type Account, type AuthOptions } from "next-auth";
import type { JWT } from "next-auth/jwt";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildAuthOptions, OIDC_PROVIDER_ID } from "../../src/server/auth/options.ts";
import { oidcFromEnv, ServerConfigError } from "../../src/server/bootstrap/config.ts";
import { fx, t, useApiWorld } from "../support/api-world.ts";

useApiWorld();

const ORIGIN = "http://localhost:3000";

interface AuthResponse {
  status: number;
  location: string | null;
  cookies: Record<string, string>;
  body: unknown;
}

/**
 * One request to next-auth's handler (its API-route form, which takes plain request/response objects;
 * the App Router form reads next/headers, which needs a running Next server).
 */
async function authRequest(
  options: AuthOptions,
  path: string[],
  init: { method?: "GET" | "POST"; body?: Record<string, string>; cookies?: Record<string, string> } = {},
): Promise<AuthResponse> {
  const out: AuthResponse = { status: 200, location: null, cookies: {}, body: undefined };
  const res = {
    status(code: number) {
      out.status = code;
      return res;
    },
    setHeader(name: string, value: string | string[]) {
      if (name.toLowerCase() === "location") out.location = String(value);
      if (name.toLowerCase() === "set-cookie") {
        for (const c of [value].flat()) {
          const [pair] = c.split(";");
          const eq = pair!.indexOf("=");
          out.cookies[pair!.slice(0, eq)] = decodeURIComponent(pair!.slice(eq + 1));
        }
      }
      return res;
    },
    getHeader: () => undefined,
    end: () => res,
    send(body: unknown) {
      out.body = body;
      return res;
    },
    json(body: unknown) {
      out.body = body;
      return res;
    },
  };
  const req = { method: init.method ?? "GET", query: { nextauth: path }, headers: { host: "localhost:3000" }, cookies: init.cookies ?? {}, body: init.body ?? {} };
  await (NextAuth as unknown as (req: unknown, res: unknown, options: AuthOptions) => Promise<unknown>)(req, res, options);
  return out;
}
let issuer: Server;
let issuerUrl: string;
let discoveries = 0;

beforeAll(async () => {
  vi.stubEnv("NEXTAUTH_URL", ORIGIN);
  // Only discovery is served: starting a sign-in needs nothing else from the issuer.
  issuer = createServer((req, res) => {
    if (req.url === "/realms/lab/.well-known/openid-configuration") {
      discoveries++;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({
        issuer: issuerUrl, authorization_endpoint: `${issuerUrl}/auth`, token_endpoint: `${issuerUrl}/token`,
        jwks_uri: `${issuerUrl}/jwks`, userinfo_endpoint: `${issuerUrl}/userinfo`, response_types_supported: ["code"],
        subject_types_supported: ["public"], id_token_signing_alg_values_supported: ["RS256"],
      }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => issuer.listen(0, "127.0.0.1", resolve));
  issuerUrl = `http://127.0.0.1:${(issuer.address() as AddressInfo).port}/realms/lab`;
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await new Promise<void>((resolve) => issuer?.close(() => resolve()));
});

const ENV = () => ({ OIDC_ISSUER: `${issuerUrl}/`, OIDC_CLIENT_ID: "data-engine", OIDC_CLIENT_SECRET: "s3cret", OIDC_NAME: "Lab SSO" });

describe("OIDC settings from the environment", () => {
  it("reads a complete configuration, and none when nothing is set", () => {
    expect(oidcFromEnv(ENV())).toEqual({ issuer: `${issuerUrl}/`, clientId: "data-engine", clientSecret: "s3cret", name: "Lab SSO" });
    expect(oidcFromEnv({})).toBeNull();
  });

  it("names what is missing or malformed", () => {
    expect(() => oidcFromEnv({ OIDC_ISSUER: "https://id.example.test" })).toThrow(/missing OIDC_CLIENT_ID, OIDC_CLIENT_SECRET/);
    expect(() => oidcFromEnv({ ...ENV(), OIDC_ISSUER: "ftp://id.example.test" })).toThrow(ServerConfigError);
  });
});

describe("the configured provider in next-auth", () => {
  const options = () => buildAuthOptions({ ...t.runtime, oidc: oidcFromEnv(ENV()) });

  it("is listed next to email and password, and only when configured", async () => {
    const listed = (await authRequest(options(), ["providers"])).body as Record<string, unknown>;
    expect(Object.keys(listed).sort()).toEqual(["credentials", OIDC_PROVIDER_ID]);
    expect(listed[OIDC_PROVIDER_ID]).toMatchObject({ name: "Lab SSO", type: "oauth", signinUrl: `${ORIGIN}/api/auth/signin/${OIDC_PROVIDER_ID}` });

    const without = (await authRequest(buildAuthOptions(t.runtime), ["providers"])).body as Record<string, unknown>;
    expect(Object.keys(without)).toEqual(["credentials"]);
  });

  it("starts a sign-in by redirecting to the issuer's authorization endpoint with this client and PKCE", async () => {
    const opts = options();
    const csrf = await authRequest(opts, ["csrf"]);
    const before = discoveries;
    const res = await authRequest(opts, ["signin", OIDC_PROVIDER_ID], {
      method: "POST", cookies: csrf.cookies, body: { csrfToken: (csrf.body as { csrfToken: string }).csrfToken, callbackUrl: `${ORIGIN}/projects` },
    });
    expect(discoveries).toBe(before + 1);
    expect(res.status).toBe(302);
    const to = new URL(res.location!);
    expect(`${to.origin}${to.pathname}`).toBe(`${issuerUrl}/auth`);
    expect(to.searchParams.get("client_id")).toBe("data-engine");
    expect(to.searchParams.get("scope")).toBe("openid email profile");
    expect(to.searchParams.get("redirect_uri")).toBe(`${ORIGIN}/api/auth/callback/${OIDC_PROVIDER_ID}`);
    expect(to.searchParams.get("code_challenge_method")).toBe("S256");
    expect(to.searchParams.get("state")).toBeTruthy();
  });

  it("links a verified identity to the user with that email and puts the user's id in the session token", async () => {
    const opts = options();
    const account = { provider: OIDC_PROVIDER_ID, type: "oauth", providerAccountId: "sub-reviewer-1" } as Account;
    const profile = { sub: "sub-reviewer-1", email: "Reviewer@Example.test", email_verified: true };
    const signIn = opts.callbacks!.signIn!;
    expect(await signIn({ user: { id: "sub-reviewer-1" }, account, profile })).toBe(true);
    const link = await t.runtime.prisma.account.findUniqueOrThrow({ where: { provider_providerAccountId: { provider: OIDC_PROVIDER_ID, providerAccountId: "sub-reviewer-1" } } });
    expect(link.userId).toBe(fx.reviewer);
    const token = (await opts.callbacks!.jwt!({ token: { sub: "sub-reviewer-1" } as JWT, user: { id: "sub-reviewer-1" }, account })) as JWT;
    expect(token.sub).toBe(fx.reviewer);

    // An unverified email does not take over an existing account.
    const stranger = { ...account, providerAccountId: "sub-other" } as Account;
    expect(await signIn({ user: { id: "sub-other" }, account: stranger, profile: { sub: "sub-other", email: "admin@example.test" } })).toBe(false);
    expect(await t.runtime.prisma.account.count({ where: { providerAccountId: "sub-other" } })).toBe(0);
  });
});
