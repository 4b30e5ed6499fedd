"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";

/** Runs a mutation, re-renders the server components on success, and keeps the error message to show. */
export function useAction() {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  async function run<T>(action: () => Promise<T>): Promise<T | undefined> {
    setPending(true);
    setError(null);
    try {
      const result = await action();
      router.refresh();
      return result;
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      return undefined;
    } finally {
      setPending(false);
    }
  }
  return { run, error, pending };
}
