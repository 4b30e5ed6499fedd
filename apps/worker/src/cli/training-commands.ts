// The loop from the command line: start a retraining round, list and inspect rounds, promote a candidate
// or roll back, and hand a snapshot to an external trainer and import what it produced.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { enqueueJob } from "../queue/enqueue.ts";
import { promoteCandidate, promotionCheck, rollbackModel } from "../models/promote.ts";
import { writeTrainingBundle } from "../jobs/retrain/external-bundle.ts";
import { importExternalResult } from "../jobs/retrain/external-import.ts";
import { CliError, EXIT } from "./errors.ts";
import { resolveProject, resolveUserId } from "./context.ts";
import { table } from "./output.ts";
import { enqueueAndMaybeFollow, filterFromFlags, filterOptions, FILTER_USAGE, num, str, wait, type Command } from "./command.ts";

const pct = (v: unknown) => (typeof v === "number" ? v.toFixed(3) : "-");

export const TRAINING_COMMANDS: Command[] = [
  {
    name: "retrain",
    summary: "one retraining round: snapshot the accepted masks, fine-tune the active model's decoder, evaluate on held-out images",
    usage: `retrain --project <slug> [--base <model id>] [--dataset <training snapshot id>] ${FILTER_USAGE} [--held-out 0.2] [--split-seed N] [--steps N] [--trainable all|heads] [--lr X] [--seed N] [--focal W] [--dice W] [--iou W] [--objects N] [--name <name>] [--no-wait]`,
    options: {
      project: { type: "string" },
      base: { type: "string" },
      dataset: { type: "string" },
      ...filterOptions,
      "held-out": { type: "string" },
      "split-seed": { type: "string" },
      steps: { type: "string" },
      trainable: { type: "string" },
      lr: { type: "string" },
      seed: { type: "string" },
      focal: { type: "string" },
      dice: { type: "string" },
      iou: { type: "string" },
      objects: { type: "string" },
      name: { type: "string" },
      user: { type: "string" },
      ...wait,
    },
    async run(cli, values) {
      const project = await resolveProject(cli.services, str(values.project));
      const trainer: Record<string, unknown> = {};
      const set = (key: string, v: unknown) => v !== undefined && (trainer[key] = v);
      set("steps", num(values, "steps"));
      set("trainable", str(values.trainable));
      set("lr", num(values, "lr"));
      set("seed", num(values, "seed"));
      set("maxObjectsPerStep", num(values, "objects"));
      const loss = [num(values, "focal"), num(values, "dice"), num(values, "iou")];
      if (loss.some((v) => v !== undefined)) set("loss", { focal: loss[0] ?? 20, dice: loss[1] ?? 1, iou: loss[2] ?? 1 });
      const params: Record<string, unknown> = { filter: filterFromFlags(values), trainer };
      if (Object.keys(params.filter as object).length === 0) delete params.filter;
      if (str(values.base)) params.baseModelVersionId = str(values.base);
      if (str(values.dataset)) params.datasetVersionId = str(values.dataset);
      if (str(values.name)) params.name = str(values.name);
      if (num(values, "held-out") !== undefined) params.heldOutFraction = num(values, "held-out");
      if (num(values, "split-seed") !== undefined) params.splitSeed = num(values, "split-seed");
      const job = await enqueueJob(cli.services, { type: "RETRAIN", projectId: project.id, params, createdById: await resolveUserId(cli.services, str(values.user)) });
      return enqueueAndMaybeFollow(cli, values, job);
    },
  },
  {
    name: "training list",
    summary: "retraining rounds of a project with held-out metrics before and after",
    usage: "training list --project <slug>",
    options: { project: { type: "string" } },
    async run({ services, out }, values) {
      const project = await resolveProject(services, str(values.project));
      const runs = await services.prisma.trainingRun.findMany({ where: { projectId: project.id }, orderBy: { createdAt: "desc" }, include: { producedModel: true } });
      const active = (await services.prisma.project.findUniqueOrThrow({ where: { id: project.id } })).activeModelVersionId;
      const rows = runs.map((r) => ({
        id: r.id,
        status: r.status,
        step: `${r.step}/${r.totalSteps}`,
        base: r.baseModelId,
        candidate: r.producedModelId ?? "-",
        "1-click base": pct((r.baseMetrics as { mIoU1Click?: number } | null)?.mIoU1Click),
        "1-click after": pct((r.metrics as { mIoU1Click?: number } | null)?.mIoU1Click),
        promotable: r.producedModel ? (promotionCheck(r.producedModel, active).allowed ? "yes" : "no") : "-",
        error: r.error ?? "",
      }));
      out.result(runs, () => (rows.length ? table(rows, Object.keys(rows[0]!) as never) : "no retraining rounds yet"));
      return EXIT.OK;
    },
  },
  {
    name: "model promote",
    summary: "make a round's candidate the active model (only if it beat the active model on the held-out masks)",
    usage: "model promote --project <slug> --model <id>",
    options: { project: { type: "string" }, model: { type: "string" }, user: { type: "string" } },
    async run({ services, out }, values) {
      const project = await resolveProject(services, str(values.project));
      if (!str(values.model)) throw new CliError("--model is required");
      const { model, previousId } = await promoteCandidate(services, { projectId: project.id, modelVersionId: str(values.model)!, createdById: await resolveUserId(services, str(values.user)) });
      out.result({ model, previousId }, () => `model ${model.id} (${model.name}) is now active in ${project.slug}; it replaced ${previousId ?? "no model"} (roll back with \`data-engine model rollback --project ${project.slug}\`)`);
      return EXIT.OK;
    },
  },
  {
    name: "model rollback",
    summary: "re-activate the model the active one replaced (its parent)",
    usage: "model rollback --project <slug>",
    options: { project: { type: "string" }, user: { type: "string" } },
    async run({ services, out }, values) {
      const project = await resolveProject(services, str(values.project));
      const { model, rolledBackId } = await rollbackModel(services, { projectId: project.id, createdById: await resolveUserId(services, str(values.user)) });
      out.result({ model, rolledBackId }, () => `model ${model.id} (${model.name}) is active again in ${project.slug}; ${rolledBackId} was archived`);
      return EXIT.OK;
    },
  },
  {
    name: "training bundle",
    summary: "write a training snapshot and its base model's keys to storage for an external trainer (manifest, images, masks, job spec)",
    usage: "training bundle --project <slug> (--dataset <training snapshot id> | --run <training run id>) [--base <model id>] [--train decoder|encoder+decoder]",
    options: { project: { type: "string" }, dataset: { type: "string" }, run: { type: "string" }, base: { type: "string" }, train: { type: "string" } },
    async run({ services, out }, values) {
      const project = await resolveProject(services, str(values.project));
      let datasetVersionId = str(values.dataset);
      let base = str(values.base);
      if (str(values.run)) {
        const run = await services.prisma.trainingRun.findUnique({ where: { id: str(values.run)! } });
        if (!run || run.projectId !== project.id) throw new CliError(`No training run "${str(values.run)}" in ${project.slug}`, EXIT.NOT_FOUND);
        datasetVersionId ??= run.datasetVersionId;
        base ??= run.baseModelId;
      }
      if (!datasetVersionId) throw new CliError("give --dataset or --run");
      base ??= (await services.prisma.project.findUniqueOrThrow({ where: { id: project.id } })).activeModelVersionId ?? undefined;
      if (!base) throw new CliError("the project has no active model: give --base");
      const train = str(values.train) ?? "decoder";
      if (train !== "decoder" && train !== "encoder+decoder") throw new CliError("--train must be decoder or encoder+decoder");
      const result = await writeTrainingBundle(services, { projectId: project.id, datasetVersionId, baseModelVersionId: base, train });
      out.result(result, () => `bundle written under ${result.prefix} (${result.images} images, ${result.masks} masks); the trainer writes result/decoder.onnx there, then: data-engine training import --project ${project.slug} --bundle ${result.prefix}`);
      return EXIT.OK;
    },
  },
  {
    name: "training import",
    summary: "register what an external trainer produced for a bundle as a candidate model (evaluated here on the held-out masks)",
    usage: "training import --project <slug> --bundle <storage prefix> [--decoder <file.onnx>] [--encoder <file.onnx>] [--metrics <file.json>] [--name <name>]",
    options: { project: { type: "string" }, bundle: { type: "string" }, decoder: { type: "string" }, encoder: { type: "string" }, metrics: { type: "string" }, name: { type: "string" }, user: { type: "string" } },
    async run({ services, out }, values) {
      const project = await resolveProject(services, str(values.project));
      if (!str(values.bundle)) throw new CliError("--bundle is required");
      const file = async (flag: string) => {
        const p = str(values[flag]);
        if (!p) return undefined;
        try {
          return new Uint8Array(await readFile(path.resolve(p)));
        } catch (error) {
          throw new CliError(`cannot read --${flag} ${p}: ${error instanceof Error ? error.message : String(error)}`);
        }
      };
      const metricsBytes = await file("metrics");
      let metrics: Record<string, unknown> | undefined;
      if (metricsBytes) {
        try {
          metrics = JSON.parse(Buffer.from(metricsBytes).toString("utf8")) as Record<string, unknown>;
        } catch {
          throw new CliError("--metrics is not a JSON file");
        }
      }
      out.info("evaluating the base model and the result on the held-out masks...");
      const r = await importExternalResult(services, {
        projectId: project.id, bundle: str(values.bundle)!, decoder: await file("decoder"), encoder: await file("encoder"), metrics, name: str(values.name),
        createdById: await resolveUserId(services, str(values.user)),
      });
      const m = r.model.metrics as { heldOut: { mIoU1Click: number }; base: { mIoU1Click: number } };
      out.result(r, () => `candidate ${r.model.id} (${r.model.name}): held-out 1-click mIoU ${m.base.mIoU1Click.toFixed(3)} -> ${m.heldOut.mIoU1Click.toFixed(3)}; ${r.beatsBase ? `beats the base: promote with \`data-engine model promote --project ${project.slug} --model ${r.model.id}\`` : "does not beat the base model"}`);
      return EXIT.OK;
    },
  },
];
