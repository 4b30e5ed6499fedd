// Builds the web runtime from the worker's services. This module runs in plain Node (tsx), outside the
// Next bundle, so it is where the workspace packages' runtime code is imported.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { hashPassword, verifyPassword } from "@data-engine/db";
import { rleArea, rleBbox } from "@data-engine/sam-core";
import { createLocalUrlSigner } from "@data-engine/storage";
import { activateModel, cancelJob, enqueueJob, promoteCandidate, promotionCheck, retryJob, rollbackModel, type Services } from "@data-engine/worker";
import type { OidcSettings, WebRuntime } from "../runtime.ts";
import { createModelRegistry } from "./model-registry.ts";
import { deriveFileUrlSecret } from "./secrets.ts";

export function ortDistDir(): string {
  // Resolved from sam-core, which owns the onnxruntime-web dependency; the package's entry lives in dist/
  // next to the wasm files (its exports do not expose package.json).
  const fromSamCore = createRequire(createRequire(import.meta.url).resolve("@data-engine/sam-core"));
  const dist = path.dirname(fromSamCore.resolve("onnxruntime-web"));
  if (!existsSync(path.join(dist, "ort-wasm-simd-threaded.wasm"))) {
    throw new Error(`onnxruntime-web's wasm files are not in ${dist}; reinstall dependencies`);
  }
  return dist;
}

export function createWebRuntime(services: Services, settings: { authSecret: string; oidc: OidcSettings | null; dataDir: string }): WebRuntime {
  return {
    prisma: services.prisma,
    storage: services.storage,
    urlSigner: createLocalUrlSigner(deriveFileUrlSecret(settings.authSecret)),
    jobs: {
      enqueue: (request) => enqueueJob(services, { ...request, params: request.params ?? {} }),
      cancel: (jobId) => cancelJob(services, jobId),
      retry: (jobId) => retryJob(services, jobId),
      activateModel: (request) => activateModel(services, request),
      promoteModel: (request) => promoteCandidate(services, request),
      rollbackModel: (request) => rollbackModel(services, request),
      promotionCheck: (candidate, activeId) => promotionCheck(candidate as never, activeId),
    },
    passwords: { hash: hashPassword, verify: verifyPassword },
    maskGeometry: {
      describe(counts, size) {
        const rle = { size, counts };
        return { area: rleArea(rle), bbox: rleBbox(rle) };
      },
    },
    authSecret: settings.authSecret,
    oidc: settings.oidc,
    ortDistDir: ortDistDir(),
    models: createModelRegistry(services),
    uploadDir: path.join(settings.dataDir, "uploads"),
  };
}
