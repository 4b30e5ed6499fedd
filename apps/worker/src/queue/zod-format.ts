import type { z } from "zod";

/** One readable line per issue: "source.path: Invalid input: expected string, received undefined". */
export function formatZodError(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const where = issue.path.length ? issue.path.map(String).join(".") : "params";
    return `${where}: ${issue.message}`;
  });
}
