// Runs s3rver in its own Node process for the S3 tests. Why a separate process: s3rver encrypts
// ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only offers through its legacy provider
// (`node --openssl-legacy-provider`); that flag then applies to the fake server only, not to the code
// under test. Usage: node --openssl-legacy-provider s3rver-process.mjs <directory> <bucket>...
// Prints {"port":N} once listening; exits when stdin closes (the test process ended) or on SIGTERM.
import S3rver from "s3rver";

const [directory, ...buckets] = process.argv.slice(2);
const server = new S3rver({
  address: "127.0.0.1",
  port: 0,
  silent: true,
  directory,
  configureBuckets: buckets.map((name) => ({ name })),
});
const address = await server.run();
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);

let closing = false;
async function stop() {
  if (closing) return;
  closing = true;
  await server.close();
  process.exit(0);
}
process.stdin.on("end", stop);
process.stdin.resume();
process.on("SIGTERM", stop);
