import { auditRouter } from "./routers/audit.ts";
import { dashboardRouter } from "./routers/dashboard.ts";
import { exportsRouter } from "./routers/exports.ts";
import { generateRouter } from "./routers/generate.ts";
import { healthRouter } from "./routers/health.ts";
import { imagesRouter } from "./routers/images.ts";
import { ingestRouter } from "./routers/ingest.ts";
import { jobsRouter } from "./routers/jobs.ts";
import { masksRouter } from "./routers/masks.ts";
import { meRouter } from "./routers/me.ts";
import { modelsRouter } from "./routers/models.ts";
import { projectsRouter } from "./routers/projects.ts";
import { reviewRouter } from "./routers/review.ts";
import { trainingRouter } from "./routers/training.ts";
import { usersRouter } from "./routers/users.ts";
import { createCallerFactory, router } from "./trpc/init.ts";

export const appRouter = router({
  health: healthRouter,
  me: meRouter,
  projects: projectsRouter,
  users: usersRouter,
  images: imagesRouter,
  ingest: ingestRouter,
  masks: masksRouter,
  review: reviewRouter,
  jobs: jobsRouter,
  models: modelsRouter,
  exports: exportsRouter,
  generate: generateRouter,
  training: trainingRouter,
  dashboard: dashboardRouter,
  audit: auditRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
