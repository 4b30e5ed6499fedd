// A file size for a message, the same on the upload pages and in the upload routes' refusals:
// "1.5 GB", "300.0 MB", "49 KB". Pure, so both client and server code import it.
export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${Math.ceil(n / 1024)} KB`;
}
