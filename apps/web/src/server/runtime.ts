// The process-wide web runtime: database, storage, queue helpers and secrets, created once by the
// server bootstrap (or a test) and read by route handlers and tRPC procedures.
//
// Next.js bundles app code, so route handlers get their own copies of modules: a module-level variable
// set by server.ts would be invisible to them. The runtime therefore lives on globalThis. Bundled code
// only imports *types* from the workspace packages; their runtime values (Prisma client, pg-boss queue,
// job functions, password hashing) are injected here, which keeps the Next build free of PGlite,
// pg-boss, sharp and onnxruntime-node.
import type { PrismaClient } from "@data-engine/db";
import type { LocalUrlSigner, Storage } from "@data-engine/storage";
import type { JobTypeName } from "./domain.ts";

export interface EnqueueRequest {
  type: JobTypeName;
  projectId?: string | null;
  params?: Record<string, unknown>;
  createdById?: string | null;
  priority?: number;
}

/** The subset of @data-engine/worker the web app calls (injected, see above). */
export interface JobControl {
  enqueue(request: EnqueueRequest): Promise<{ id: string }>;
  cancel(jobId: string): Promise<unknown>;
  retry(jobId: string): Promise<unknown>;
  /** Sets the project's active model and queues embeddings of its images that lack one. */
  activateModel(request: { projectId: string; modelVersionId: string; createdById: string }): Promise<{ embedJob: { id: string } | null }>;
  /** promoteCandidate: activates a round's candidate, refused (Error named "ModelError") unless it beat the active model. */
  promoteModel(request: { projectId: string; modelVersionId: string; createdById: string }): Promise<{ previousId: string | null }>;
  /** rollbackModel: re-activates the parent of the active model and archives the rolled-back version. */
  rollbackModel(request: { projectId: string; createdById: string }): Promise<{ model: { id: string; name: string }; rolledBackId: string }>;
  /** promotionCheck: whether a candidate may be promoted now, and why not. */
  promotionCheck(
    candidate: { status: string; source: string; parentId: string | null; metrics: unknown; name: string },
    activeModelVersionId: string | null,
  ): { allowed: boolean; reason: string | null };
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
}

/** Area and box of a COCO compressed RLE (from @data-engine/sam-core, injected like the rest). */
export interface MaskGeometry {
  /** Throws an Error naming the problem when `counts` is not a valid RLE of an image of `size`. */
  describe(counts: string, size: [height: number, width: number]): { area: number; bbox: [number, number, number, number] };
}

/** Model registration, from the worker's models module (apps/worker/src/models), injected like the rest. */
export interface ModelRegistry {
  /** importModelFiles: a public SAM export pair on the server's disk, checked with sam-core's inspect. */
  importFiles(request: {
    encoderPath: string;
    decoderPath: string;
    name: string;
    architecture?: string;
    projectId?: string | null;
    createdById: string;
  }): Promise<{ id: string; name: string }>;
  /** buildDemoModel: a SAM-architecture model with seeded weights, built by sam-core's builder. */
  buildDemo(request: { config: "tiny" | "vit_b"; seed?: number; name?: string; projectId?: string | null; createdById: string }): Promise<{ id: string; name: string }>;
  /**
   * sam-core's inspect on one file: a one-line description when it is the wanted part of a SAM pair,
   * else an Error named "ModelError" whose message says what the file is instead.
   */
  describe(bytes: Uint8Array, role: "encoder" | "decoder"): string;
}

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Shown on the sign-in button. */
  name: string;
}

export interface WebRuntime {
  prisma: PrismaClient;
  storage: Storage;
  /** Signs `/api/files/...` URLs for the local backend (S3 uses presigned URLs instead). */
  urlSigner: LocalUrlSigner;
  jobs: JobControl;
  passwords: PasswordHasher;
  maskGeometry: MaskGeometry;
  /** Secret for next-auth JWTs. */
  authSecret: string;
  oidc: OidcSettings | null;
  /** onnxruntime-web's dist folder, whose wasm files the app serves under /ort/. */
  ortDistDir: string;
  models: ModelRegistry;
  /** Where browser uploads (model files) wait until they are imported; inside the data directory. */
  uploadDir: string;
}

const key = Symbol.for("@data-engine/web/runtime");
type Holder = typeof globalThis & { [key]?: WebRuntime };

export class RuntimeNotStartedError extends Error {
  override name = "RuntimeNotStartedError";
  constructor() {
    super(
      "The web runtime is not initialised: start the app with `npm start` (apps/web/server.ts), " +
        "not `next start`/`next dev`, so the database, storage and queue are opened first",
    );
  }
}

export function setWebRuntime(runtime: WebRuntime | undefined): void {
  (globalThis as Holder)[key] = runtime;
}

export function getWebRuntime(): WebRuntime {
  const runtime = (globalThis as Holder)[key];
  if (!runtime) throw new RuntimeNotStartedError();
  return runtime;
}
