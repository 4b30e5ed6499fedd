// The admin CLI's commands, over the same services and functions as the web app.
import { randomBytes } from "node:crypto";
import path from "node:path";
import { hashPassword, type Role } from "@data-engine/db";
import { enqueueJob } from "../queue/enqueue.ts";
import { cancelJob, retryJob } from "../queue/control.ts";
import { startWorkers } from "../queue/workers.ts";
import { importModelFiles } from "../models/import-files.ts";
import { buildDemoModel } from "../models/build-demo.ts";
import { activateModel } from "../models/activate.ts";
import { seedDemo } from "../seed.ts";
import { CliError, EXIT } from "./errors.ts";
import { describeJob, exitCodeFor, followJobs, resolveProject, resolveUserId, type CliContext } from "./context.ts";
import { enqueueAndMaybeFollow, filterFromFlags, filterOptions, FILTER_USAGE, list, num, str, wait, type Command, type Values } from "./command.ts";
import { TRAINING_COMMANDS } from "./training-commands.ts";

export type { Command } from "./command.ts";
import { table } from "./output.ts";

const ROLES = ["ADMIN", "REVIEWER", "ANNOTATOR"] as const;

export const COMMANDS: Command[] = [
  {
    name: "project create",
    summary: "create a project",
    usage: "project create --name <name> [--slug <slug>] [--description <text>] [--labels dog,cat,...]",
    options: { name: { type: "string" }, slug: { type: "string" }, description: { type: "string" }, labels: { type: "string" } },
    async run({ services, out }, values) {
      const name = str(values.name)?.trim();
      if (!name) throw new CliError("--name is required");
      const slug = str(values.slug) ?? name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
      if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) throw new CliError(`--slug "${slug}" must be lowercase letters, digits and dashes`);
      if (await services.prisma.project.findUnique({ where: { slug } })) throw new CliError(`a project with slug "${slug}" already exists`);
      const labels = list(values.labels) ?? [];
      const project = await services.prisma.project.create({
        data: {
          name,
          slug,
          description: str(values.description) ?? null,
          labelClasses: { create: labels.map((l, i) => ({ name: l, color: palette(i), sortOrder: i })) },
        },
      });
      out.result(project, () => `created project ${project.slug} (${project.id})`);
      return EXIT.OK;
    },
  },
  {
    name: "project list",
    summary: "list projects",
    usage: "project list",
    options: {},
    async run({ services, out }) {
      const projects = await services.prisma.project.findMany({
        orderBy: { createdAt: "asc" },
        include: { _count: { select: { images: true, masks: true } } },
      });
      const rows = projects.map((p) => ({ id: p.id, slug: p.slug, name: p.name, images: p._count.images, masks: p._count.masks, activeModel: p.activeModelVersionId }));
      out.result(rows, () => table(rows, ["id", "slug", "name", "images", "masks", "activeModel"]));
      return EXIT.OK;
    },
  },
  {
    name: "user create",
    summary: "create a user (the password is generated and printed once unless given)",
    usage: "user create --email <email> --role ADMIN|REVIEWER|ANNOTATOR [--name <name>] [--password <pw>] [--project <slug>]",
    options: { email: { type: "string" }, role: { type: "string" }, name: { type: "string" }, password: { type: "string" }, project: { type: "string" } },
    async run({ services, out }, values) {
      const email = str(values.email)?.trim().toLowerCase();
      if (!email || !/^[^@\s]+@[^@\s]+$/.test(email)) throw new CliError("--email must be an email address");
      const role = (str(values.role) ?? "ANNOTATOR").toUpperCase() as Role;
      if (!ROLES.includes(role as (typeof ROLES)[number])) throw new CliError(`--role must be one of ${ROLES.join(", ")}`);
      if (await services.prisma.user.findUnique({ where: { email } })) throw new CliError(`a user with email ${email} already exists`);
      const generated = !str(values.password);
      const password = str(values.password) ?? randomBytes(12).toString("base64url");
      const user = await services.prisma.user.create({
        data: { email, role, name: str(values.name) ?? null, passwordHash: await hashPassword(password) },
      });
      if (str(values.project)) {
        const project = await resolveProject(services, str(values.project));
        await services.prisma.projectMember.create({ data: { projectId: project.id, userId: user.id, role } });
      }
      out.result({ id: user.id, email, role, ...(generated ? { password } : {}) }, () =>
        `created ${role.toLowerCase()} ${email} (${user.id})${generated ? `\npassword (shown once): ${password}` : ""}`,
      );
      return EXIT.OK;
    },
  },
  {
    name: "user list",
    summary: "list users",
    usage: "user list",
    options: {},
    async run({ services, out }) {
      const users = await services.prisma.user.findMany({ orderBy: { createdAt: "asc" }, select: { id: true, email: true, role: true, disabled: true } });
      out.result(users, () => table(users, ["id", "email", "role", "disabled"]));
      return EXIT.OK;
    },
  },
  {
    name: "import",
    summary: "import images from a folder, an S3 prefix or browser uploads (ingest job)",
    usage: "import --project <slug> (--folder <path> | --s3 s3://bucket/prefix | --uploads uploads/<prefix>) [--max-pixels N] [--no-wait]",
    options: { project: { type: "string" }, folder: { type: "string" }, s3: { type: "string" }, uploads: { type: "string" }, "max-pixels": { type: "string" }, user: { type: "string" }, ...wait },
    async run(cli, values) {
      const project = await resolveProject(cli.services, str(values.project));
      const sources = [values.folder, values.s3, values.uploads].filter((v) => v !== undefined);
      if (sources.length !== 1) throw new CliError("give exactly one of --folder, --s3, --uploads");
      let source: unknown;
      if (str(values.folder)) source = { kind: "folder", path: path.resolve(str(values.folder)!) };
      else if (str(values.uploads)) source = { kind: "upload", prefix: str(values.uploads) };
      else {
        const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(str(values.s3) ?? "");
        if (!m) throw new CliError("--s3 must look like s3://bucket/prefix/");
        source = { kind: "s3", bucket: m[1], prefix: m[2] };
      }
      const params: Record<string, unknown> = { source };
      if (str(values["max-pixels"])) params.maxPixels = Number(str(values["max-pixels"]));
      const job = await enqueueJob(cli.services, { type: "INGEST", projectId: project.id, params, createdById: await resolveUserId(cli.services, str(values.user)) });
      return enqueueAndMaybeFollow(cli, values, job);
    },
  },
  {
    name: "model import",
    summary: "register a SAM encoder + decoder ONNX pair (validated with inspect)",
    usage: "model import --encoder <file.onnx> --decoder <file.onnx> --name <name> [--project <slug>] [--activate]",
    options: { encoder: { type: "string" }, decoder: { type: "string" }, name: { type: "string" }, architecture: { type: "string" }, project: { type: "string" }, activate: { type: "boolean" }, ...wait },
    async run(cli, values) {
      if (!str(values.encoder) || !str(values.decoder) || !str(values.name)) throw new CliError("--encoder, --decoder and --name are required");
      const project = str(values.project) ? await resolveProject(cli.services, str(values.project)) : null;
      const model = await importModelFiles(cli.services, {
        encoderPath: path.resolve(str(values.encoder)!),
        decoderPath: path.resolve(str(values.decoder)!),
        name: str(values.name)!,
        architecture: str(values.architecture),
        projectId: project?.id ?? null,
      });
      return finishModel(cli, values, model, project);
    },
  },
  {
    name: "model build",
    summary: "build a SAM-architecture model with seeded weights (demo; tiny by default)",
    usage: "model build [--config tiny|vit_b] [--seed N] [--name <name>] [--project <slug>] [--activate]",
    options: { config: { type: "string" }, seed: { type: "string" }, name: { type: "string" }, project: { type: "string" }, activate: { type: "boolean" }, ...wait },
    async run(cli, values) {
      const config = str(values.config) ?? "tiny";
      if (!["tiny", "vit_b", "vit_l", "vit_h"].includes(config)) throw new CliError("--config must be tiny, vit_b, vit_l or vit_h");
      const seed = Number(str(values.seed) ?? 0);
      if (!Number.isInteger(seed) || seed < 0) throw new CliError("--seed must be a non-negative integer");
      const project = str(values.project) ? await resolveProject(cli.services, str(values.project)) : null;
      cli.out.info(`building ${config} model (seed ${seed})...`);
      const model = await buildDemoModel(cli.services, { config: config as "tiny", seed, name: str(values.name), projectId: project?.id ?? null });
      return finishModel(cli, values, model, project);
    },
  },
  {
    name: "model activate",
    summary: "make a model version the project's active model (queues embeddings)",
    usage: "model activate --project <slug> --model <id> [--no-embed] [--no-wait]",
    options: { project: { type: "string" }, model: { type: "string" }, "no-embed": { type: "boolean" }, ...wait },
    async run(cli, values) {
      const project = await resolveProject(cli.services, str(values.project));
      if (!str(values.model)) throw new CliError("--model is required");
      const { model, embedJob } = await activateModel(cli.services, { projectId: project.id, modelVersionId: str(values.model)!, embed: !values["no-embed"] });
      cli.out.info(`model ${model.id} is now active in ${project.slug}`);
      if (!embedJob) {
        cli.out.result(model, () => `no images need embeddings`);
        return EXIT.OK;
      }
      return enqueueAndMaybeFollow(cli, values, embedJob);
    },
  },
  {
    name: "model list",
    summary: "list model versions",
    usage: "model list",
    options: {},
    async run({ services, out }) {
      const models = await services.prisma.modelVersion.findMany({ orderBy: { createdAt: "asc" } });
      out.result(models, () => table(models as never, ["id", "name", "architecture", "source", "status", "projectId", "createdAt"]));
      return EXIT.OK;
    },
  },
  {
    name: "embed",
    summary: "compute embeddings with the active model for images that lack one",
    usage: "embed --project <slug> [--model <id>] [--no-wait]",
    options: { project: { type: "string" }, model: { type: "string" }, ...wait },
    async run(cli, values) {
      const project = await resolveProject(cli.services, str(values.project));
      const params = str(values.model) ? { modelVersionId: str(values.model) } : {};
      const job = await enqueueJob(cli.services, { type: "EMBED", projectId: project.id, params });
      return enqueueAndMaybeFollow(cli, values, job);
    },
  },
  {
    name: "export",
    summary: "export a dataset version (SA-1B JSON, COCO instances) to storage",
    usage:
      `export --project <slug> [--name <name>] ${FILTER_USAGE} [--format sa1b,coco] [--polygons] [--png-masks] [--layout archive|folder] [--no-wait]`,
    options: {
      project: { type: "string" },
      name: { type: "string" },
      ...filterOptions,
      format: { type: "string" },
      polygons: { type: "boolean" },
      "png-masks": { type: "boolean" },
      layout: { type: "string" },
      ...wait,
    },
    async run(cli, values) {
      const project = await resolveProject(cli.services, str(values.project));
      const filter = filterFromFlags(values);
      const options: Record<string, unknown> = {};
      if (list(values.format)) options.formats = list(values.format);
      if (values.polygons) options.polygons = true;
      if (values["png-masks"]) options.pngMasks = true;
      if (str(values.layout)) options.layout = str(values.layout);
      const job = await enqueueJob(cli.services, { type: "EXPORT", projectId: project.id, params: { name: str(values.name), filter, options } });
      return enqueueAndMaybeFollow(cli, values, job);
    },
  },
  {
    name: "generate",
    summary: "automatic mask generation with the active model (masks proposed for review, or auto-accepted above the project's thresholds)",
    usage:
      "generate --project <slug> [--preset default|sa1b] [--mode review|auto] [--images <id,...>] [--statuses NEW,...] [--points-per-side N] [--pred-iou T] [--stability T] [--crop-layers N] [--follow | --no-wait]",
    options: {
      project: { type: "string" },
      preset: { type: "string" },
      mode: { type: "string" },
      images: { type: "string" },
      statuses: { type: "string" },
      "points-per-side": { type: "string" },
      "pred-iou": { type: "string" },
      stability: { type: "string" },
      "crop-layers": { type: "string" },
      user: { type: "string" },
      // Following is the default; the flag is accepted for symmetry with --no-wait.
      follow: { type: "boolean" },
      ...wait,
    },
    async run(cli, values) {
      if (values.follow && values["no-wait"]) throw new CliError("give --follow or --no-wait, not both");
      const project = await resolveProject(cli.services, str(values.project));
      const amg = Object.fromEntries(
        Object.entries({
          pointsPerSide: num(values, "points-per-side"),
          predIouThresh: num(values, "pred-iou"),
          stabilityScoreThresh: num(values, "stability"),
          cropNLayers: num(values, "crop-layers"),
        }).filter(([, v]) => v !== undefined),
      );
      const params: Record<string, unknown> = {};
      if (str(values.preset)) params.preset = str(values.preset);
      if (str(values.mode)) params.mode = str(values.mode);
      if (list(values.images)) params.imageIds = list(values.images);
      if (list(values.statuses)) params.statuses = list(values.statuses)!.map((s) => s.toUpperCase());
      if (Object.keys(amg).length) params.amg = amg;
      const job = await enqueueJob(cli.services, { type: "GENERATE", projectId: project.id, params, createdById: await resolveUserId(cli.services, str(values.user)) });
      return enqueueAndMaybeFollow(cli, values, job);
    },
  },
  ...TRAINING_COMMANDS,
  {
    name: "jobs list",
    summary: "list recent jobs",
    usage: "jobs list [--project <slug>] [--status QUEUED,RUNNING,...] [--limit N]",
    options: { project: { type: "string" }, status: { type: "string" }, limit: { type: "string" } },
    async run({ services, out }, values) {
      const project = str(values.project) ? await resolveProject(services, str(values.project)) : null;
      const limit = Number(str(values.limit) ?? 20);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CliError("--limit must be an integer from 1 to 1000");
      const statuses = list(values.status)?.map((s) => s.toUpperCase());
      const jobs = await services.prisma.job.findMany({
        where: { ...(project ? { projectId: project.id } : {}), ...(statuses ? { status: { in: statuses as never } } : {}) },
        orderBy: { createdAt: "desc" },
        take: limit,
      });
      out.result(jobs, () => table(jobs as never, ["id", "type", "status", "progress", "progressMessage", "attempts", "createdAt", "error"]));
      return EXIT.OK;
    },
  },
  {
    name: "jobs show",
    summary: "show one job with its failed items",
    usage: "jobs show <job id>",
    options: {},
    async run({ services, out }, _values, positionals) {
      const id = positionals[0];
      if (!id) throw new CliError("give a job id");
      const job = await services.prisma.job.findUnique({ where: { id } });
      if (!job) throw new CliError(`No job "${id}"`, EXIT.NOT_FOUND);
      const failed = await services.prisma.jobItem.findMany({ where: { jobId: id, status: { in: ["FAILED", "SKIPPED"] } }, orderBy: { key: "asc" } });
      out.result({ ...job, items: failed }, () =>
        [describeJob(job), ...failed.map((i) => `  ${i.status.toLowerCase()} ${i.key}: ${i.message ?? ""}`)].join("\n"),
      );
      return EXIT.OK;
    },
  },
  {
    name: "jobs follow",
    summary: "follow a job's progress until it ends",
    usage: "jobs follow <job id>",
    options: {},
    async run(cli, _values, positionals) {
      const id = positionals[0];
      if (!id) throw new CliError("give a job id");
      const finals = await followJobs(cli, id);
      cli.out.result(finals.length === 1 ? finals[0] : finals, () => finals.map(describeJob).join("\n"));
      return exitCodeFor(finals);
    },
  },
  {
    name: "jobs cancel",
    summary: "cancel a queued or running job",
    usage: "jobs cancel <job id>",
    options: {},
    async run({ services, out }, _values, positionals) {
      const job = await cancelJob(services, positionals[0] ?? "");
      out.result(job, () => `job ${job.id}: ${job.status === "CANCELLED" ? "cancelled" : "cancellation requested"}`);
      return EXIT.OK;
    },
  },
  {
    name: "jobs retry",
    summary: "run a FAILED, DEAD or CANCELLED job again (finished items are kept)",
    usage: "jobs retry <job id> [--no-wait]",
    options: { ...wait },
    async run(cli, values, positionals) {
      const job = await retryJob(cli.services, positionals[0] ?? "");
      return enqueueAndMaybeFollow(cli, values, job);
    },
  },
  {
    name: "seed",
    summary: "create the demo (users, project, labels, model, sample photos)",
    usage: "seed [--samples <folder>] [--no-wait]",
    options: { samples: { type: "string" }, ...wait },
    async run(cli, values) {
      const result = await seedDemo(cli.services, { samplesDir: str(values.samples) });
      cli.out.info(result.users.map((u) => `${u.email} / ${u.password} (${u.role.toLowerCase()})`).join("\n"));
      if (result.ingestJobId && !values["no-wait"]) {
        const finals = await followJobs(cli, result.ingestJobId);
        cli.out.result({ ...result, jobs: finals }, () => finals.map(describeJob).join("\n"));
        return exitCodeFor(finals);
      }
      cli.out.result(result, () => `demo project ${result.projectId}${result.ingestJobId ? `, ingest job ${result.ingestJobId}` : " (already seeded)"}`);
      return EXIT.OK;
    },
  },
  {
    name: "worker",
    summary: "work on the queues in this process until interrupted",
    usage: "worker [--concurrency N]",
    options: { concurrency: { type: "string" } },
    async run({ services, out }, values) {
      const concurrency = str(values.concurrency) ? Number(str(values.concurrency)) : undefined;
      const workers = await startWorkers(services, { concurrency, log: (m) => out.info(m) });
      out.info("working; Ctrl-C to stop (running jobs go back to the queue)");
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await workers.stop();
      return EXIT.OK;
    },
  },
];

async function finishModel(cli: CliContext, values: Values, model: { id: string; name: string }, project: { id: string; slug: string } | null): Promise<number> {
  cli.out.info(`registered model ${model.name} (${model.id})`);
  if (!values.activate) {
    cli.out.result(model, () => `model ${model.id}`);
    return EXIT.OK;
  }
  if (!project) throw new CliError("--activate needs --project");
  const { embedJob } = await activateModel(cli.services, { projectId: project.id, modelVersionId: model.id });
  cli.out.info(`model ${model.id} is now active in ${project.slug}`);
  if (!embedJob) {
    cli.out.result(model, () => `model ${model.id} active; no images need embeddings`);
    return EXIT.OK;
  }
  return enqueueAndMaybeFollow(cli, values, embedJob);
}

function palette(i: number): string {
  const colors = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6", "#bcf60c", "#008080", "#9a6324"];
  return colors[i % colors.length]!;
}
