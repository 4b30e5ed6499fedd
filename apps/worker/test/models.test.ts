// Registering models from ONNX files: a matching pair is stored content-addressed (once, however often it
// is imported) after inspection; a swapped or mismatched pair is refused with a message naming the problem.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildDecoderOnnx, buildEncoderOnnx, initDecoderWeights, samConfig } from "@data-engine/sam-core";
import { importModelFiles } from "../src/models/import-files.ts";
import { activateModel } from "../src/models/activate.ts";
import { createProject, createTestServices, type TestServices } from "./support/services.ts";

let services: TestServices;
let dir: string;
beforeAll(async () => {
  services = await createTestServices();
  dir = await mkdtemp(path.join(tmpdir(), "models-test-"));
  const cfg = samConfig("tiny");
  await writeFile(path.join(dir, "encoder.onnx"), buildEncoderOnnx(cfg.encoder, { seed: 1 }).model);
  await writeFile(path.join(dir, "decoder.onnx"), buildDecoderOnnx(cfg.decoder, initDecoderWeights(cfg.decoder, 2)).model);
  // A decoder for a different embedding size: not a pair with the tiny encoder.
  const big = samConfig("vit_b");
  await writeFile(path.join(dir, "other-decoder.onnx"), buildDecoderOnnx(big.decoder, initDecoderWeights(big.decoder, 2)).model);
});
afterAll(async () => {
  await services?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

it("imports a matching pair once and activates it", async () => {
  const request = { encoderPath: path.join(dir, "encoder.onnx"), decoderPath: path.join(dir, "decoder.onnx"), name: "tiny import" };
  const model = await importModelFiles(services, request);
  expect(model.source).toBe("IMPORTED");
  expect(await services.storage.head(model.encoderKey)).not.toBeNull();
  expect(await services.storage.head(model.decoderKey)).not.toBeNull();
  expect(model.encoderKey).toContain(model.encoderSha256!);
  const again = await importModelFiles(services, request);
  expect(again.id).toBe(model.id);
  expect(await services.prisma.modelVersion.count()).toBe(1);

  const projectId = await createProject(services, "models");
  const { model: active } = await activateModel(services, { projectId, modelVersionId: model.id });
  expect(active.status).toBe("ACTIVE");
  expect((await services.prisma.project.findUniqueOrThrow({ where: { id: projectId } })).activeModelVersionId).toBe(model.id);
});

it("refuses swapped, mismatched or missing files with a clear reason", async () => {
  await expect(
    importModelFiles(services, { encoderPath: path.join(dir, "decoder.onnx"), decoderPath: path.join(dir, "encoder.onnx"), name: "swapped" }),
  ).rejects.toThrow(/expected .*encoder.* but the encoder file looks like .*decoder/i);
  await expect(
    importModelFiles(services, { encoderPath: path.join(dir, "encoder.onnx"), decoderPath: path.join(dir, "other-decoder.onnx"), name: "mismatch" }),
  ).rejects.toThrow(/not a matching pair/);
  await expect(
    importModelFiles(services, { encoderPath: path.join(dir, "nope.onnx"), decoderPath: path.join(dir, "decoder.onnx"), name: "missing" }),
  ).rejects.toThrow(/cannot read the encoder file .*nope\.onnx/);
});
