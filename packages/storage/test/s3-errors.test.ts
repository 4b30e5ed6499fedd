// The error mapping is checked on errors shaped like the SDK's (s3rver accepts any signature, so
// credential failures cannot be produced against it).
import { describe, expect, it } from "vitest";
import { S3ServiceException } from "@aws-sdk/client-s3";
import { StorageConfigError, describeS3CheckFailure, isS3NotFound } from "../src/index.ts";

const ctx = { bucket: "photos", endpoint: "http://127.0.0.1:9000" };

function serviceError(name: string, status: number): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: "client",
    $metadata: { httpStatusCode: status },
    message: "UnknownError",
  });
}

function netError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:9000`), { code });
}

describe("describeS3CheckFailure", () => {
  it("403 from HeadBucket (no body, so no error code) names both credential settings", () => {
    const err = describeS3CheckFailure(serviceError("Forbidden", 403), ctx);
    expect(err).toBeInstanceOf(StorageConfigError);
    expect(err.message).toBe(
      'S3 credentials rejected by http://127.0.0.1:9000 for bucket "photos" — check S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY',
    );
    expect(err.settings).toEqual(["S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"]);
  });

  it("named credential errors map the same way", () => {
    for (const name of ["InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied"]) {
      expect(describeS3CheckFailure(serviceError(name, 400), ctx).settings).toEqual([
        "S3_ACCESS_KEY_ID",
        "S3_SECRET_ACCESS_KEY",
      ]);
    }
  });

  it("404 means the bucket does not exist", () => {
    const err = describeS3CheckFailure(serviceError("NotFound", 404), ctx);
    expect(err.message).toBe('S3 bucket "photos" does not exist at http://127.0.0.1:9000 — check S3_BUCKET');
    expect(err.settings).toEqual(["S3_BUCKET"]);
  });

  it("socket errors name S3_ENDPOINT with a readable reason", () => {
    expect(describeS3CheckFailure(netError("ECONNREFUSED"), ctx).message).toBe(
      'S3 bucket "photos" not reachable at http://127.0.0.1:9000: connection refused — check S3_ENDPOINT',
    );
    expect(describeS3CheckFailure(netError("ENOTFOUND"), ctx).message).toMatch(
      /: host not found — check S3_ENDPOINT$/,
    );
    expect(describeS3CheckFailure(netError("EWEIRD"), ctx).message).toMatch(/: EWEIRD — check S3_ENDPOINT$/);
    // Node reports a failed IPv6+IPv4 attempt as an AggregateError holding the socket errors.
    const aggregate = new AggregateError([netError("ECONNREFUSED"), netError("ECONNREFUSED")], "");
    expect(describeS3CheckFailure(aggregate, ctx).settings).toEqual(["S3_ENDPOINT"]);
    expect(describeS3CheckFailure(aggregate, ctx).message).toMatch(/connection refused/);
  });

  it("timeouts, missing credentials and region redirects", () => {
    const abort = Object.assign(new Error("The operation was aborted"), { name: "AbortError" });
    expect(describeS3CheckFailure(abort, ctx).message).toMatch(/no answer in time — check S3_ENDPOINT$/);
    const noCreds = Object.assign(new Error("Could not load credentials from any providers"), {
      name: "CredentialsProviderError",
    });
    expect(describeS3CheckFailure(noCreds, ctx).message).toBe(
      "S3 credentials missing for http://127.0.0.1:9000 — set S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY",
    );
    expect(describeS3CheckFailure(serviceError("MovedPermanently", 301), ctx).settings).toEqual([
      "S3_REGION",
    ]);
  });

  it("anything else still gives one line naming the likely settings", () => {
    const err = describeS3CheckFailure(
      new S3ServiceException({
        name: "InternalError",
        $fault: "server",
        $metadata: { httpStatusCode: 500 },
        message: "We\nbroke",
      }),
      ctx,
    );
    expect(err.message).toBe(
      'S3 bucket "photos" check failed at http://127.0.0.1:9000 (HTTP 500): We broke — check S3_ENDPOINT / S3_BUCKET',
    );
    expect(err.message).not.toContain("\n");
    expect(describeS3CheckFailure("weird", ctx).message).toContain("weird");
  });
});

describe("isS3NotFound", () => {
  it("recognises NoSuchKey and bare 404s only", () => {
    expect(isS3NotFound(serviceError("NoSuchKey", 404))).toBe(true);
    expect(isS3NotFound(serviceError("NotFound", 404))).toBe(true);
    expect(isS3NotFound(serviceError("Forbidden", 403))).toBe(false);
    expect(isS3NotFound(netError("ECONNREFUSED"))).toBe(false);
  });
});
