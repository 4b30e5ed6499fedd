import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  LocalStorage,
  S3Storage,
  StorageConfigError,
  createStorageFromEnv,
  storageConfigFromEnv,
} from "../src/index.ts";

function configError(fn: () => unknown): StorageConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StorageConfigError);
    return err as StorageConfigError;
  }
  throw new Error("expected a StorageConfigError");
}

describe("storageConfigFromEnv", () => {
  it("is local under <DATA_DIR>/files without S3_BUCKET; dataDir overrides DATA_DIR; default .data", () => {
    expect(storageConfigFromEnv({})).toEqual({ kind: "local", root: path.join(".data", "files") });
    expect(storageConfigFromEnv({ DATA_DIR: "/srv/de" })).toEqual({ kind: "local", root: "/srv/de/files" });
    expect(storageConfigFromEnv({ DATA_DIR: "/srv/de" }, { dataDir: "/x" })).toEqual({
      kind: "local",
      root: "/x/files",
    });
    expect(storageConfigFromEnv({ S3_BUCKET: "  ", DATA_DIR: "d" })).toEqual({
      kind: "local",
      root: "d/files",
    });
  });

  it("is S3 with S3_BUCKET, with defaults for region and path style", () => {
    expect(storageConfigFromEnv({ S3_BUCKET: "b1" })).toEqual({
      kind: "s3",
      bucket: "b1",
      endpoint: undefined,
      region: "us-east-1",
      accessKeyId: undefined,
      secretAccessKey: undefined,
      prefix: "",
      forcePathStyle: false,
    });
    const full = storageConfigFromEnv({
      S3_BUCKET: "data",
      S3_ENDPOINT: "http://minio:9000",
      S3_REGION: "eu-west-3",
      S3_ACCESS_KEY_ID: "AK",
      S3_SECRET_ACCESS_KEY: "SK",
      S3_PREFIX: "/engine/prod/",
    });
    expect(full).toEqual({
      kind: "s3",
      bucket: "data",
      endpoint: "http://minio:9000",
      region: "eu-west-3",
      accessKeyId: "AK",
      secretAccessKey: "SK",
      prefix: "engine/prod/",
      forcePathStyle: true,
    });
    expect(
      storageConfigFromEnv({ S3_BUCKET: "b1", S3_ENDPOINT: "https://x", S3_FORCE_PATH_STYLE: "false" }),
    ).toMatchObject({
      forcePathStyle: false,
    });
    expect(storageConfigFromEnv({ S3_BUCKET: "b1", S3_FORCE_PATH_STYLE: "1" })).toMatchObject({
      forcePathStyle: true,
    });
  });

  it("names the setting to fix in one line", () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [
        { S3_BUCKET: "b1", S3_ENDPOINT: "minio:9000" },
        "S3_ENDPOINT",
        /^S3_ENDPOINT must be an http:\/\/ or https:\/\/ URL, got "minio:9000"$/,
      ],
      [{ S3_BUCKET: "b1", S3_ENDPOINT: "not a url" }, "S3_ENDPOINT", /S3_ENDPOINT must be/],
      [{ S3_BUCKET: "b/1" }, "S3_BUCKET", /^S3_BUCKET "b\/1" is not a valid bucket name/],
      [{ S3_BUCKET: "b1", S3_REGION: "EU West" }, "S3_REGION", /^S3_REGION "EU West" is not a region name/],
      [{ S3_BUCKET: "b1", S3_ACCESS_KEY_ID: "AK" }, "S3_SECRET_ACCESS_KEY", /set both or neither/],
      [{ S3_BUCKET: "b1", S3_SECRET_ACCESS_KEY: "SK" }, "S3_ACCESS_KEY_ID", /set both or neither/],
      [
        { S3_BUCKET: "b1", S3_FORCE_PATH_STYLE: "maybe" },
        "S3_FORCE_PATH_STYLE",
        /must be true or false, got "maybe"/,
      ],
      [{ S3_BUCKET: "b1", S3_PREFIX: "a/../b" }, "S3_PREFIX", /^S3_PREFIX is not usable as a key prefix/],
      [{ S3_ENDPOINT: "http://minio:9000" }, "S3_BUCKET", /^S3_ENDPOINT is set but S3_BUCKET is not/],
    ];
    for (const [env, setting, message] of cases) {
      const err = configError(() => storageConfigFromEnv(env));
      expect(err.settings, JSON.stringify(env)).toEqual([setting]);
      expect(err.message).toMatch(message);
      expect(err.message).not.toContain("\n");
    }
  });
});

describe("createStorageFromEnv", () => {
  it("builds the backend the config names", () => {
    const local = createStorageFromEnv({}, { dataDir: "/tmp/de-test" });
    expect(local).toBeInstanceOf(LocalStorage);
    expect((local as LocalStorage).root).toBe("/tmp/de-test/files");
    const s3 = createStorageFromEnv({ S3_BUCKET: "b1", S3_ENDPOINT: "http://127.0.0.1:1", S3_PREFIX: "p" });
    expect(s3).toBeInstanceOf(S3Storage);
    expect(s3.kind).toBe("s3");
    expect((s3 as S3Storage).prefix).toBe("p/");
    expect(typeof s3.signedUrl).toBe("function");
    expect(local.signedUrl).toBeUndefined();
    (s3 as S3Storage).destroy();
  });
});
