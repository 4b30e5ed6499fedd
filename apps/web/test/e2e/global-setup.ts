// Builds the app once before the browser tests when .next is missing or older than the sources.
import { ensureBuild } from "../../scripts/ensure-build.ts";

export default function setup(): void {
  const { built } = ensureBuild();
  console.log(built ? "[e2e] next build finished" : "[e2e] reusing the existing .next build");
}
