// Any S3-compatible server through the AWS SDK v3. Streams go through lib-storage's Upload (multipart
// above one part, so memory stays at about partSize * queueSize); presigned URLs via the presigner.
import { Readable } from "node:stream";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { byteChunks, bytesOf, isBytes, readAll } from "./body.ts";
import { contentTypeForKey } from "./content-type.ts";
import { validateKey, validatePrefix } from "./keys.ts";
import { describeS3CheckFailure, isS3NotFound } from "./s3-errors.ts";
import {
  StorageNotFoundError,
  type ListEntry,
  type ObjectInfo,
  type PutBody,
  type PutOptions,
  type SignedUrlOptions,
  type Storage,
} from "./storage.ts";

export interface S3StorageConfig {
  bucket: string;
  /** e.g. "http://127.0.0.1:9000"; unset means AWS itself. */
  endpoint?: string;
  region: string;
  /** Both or neither; neither means the SDK's default credential chain. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Prepended to every key ("tenant-a/"); normalised to end with "/" when non-empty. */
  prefix?: string;
  forcePathStyle: boolean;
}

export interface S3StorageOptions extends S3StorageConfig {
  /** MaxKeys per ListObjectsV2 page (S3 caps it at 1000); small values exercise pagination in tests. */
  listPageSize?: number;
  /** Multipart part size in bytes (S3 minimum and default: 5 MiB). */
  partSize?: number;
  /** Parts uploaded in parallel (default 4). */
  queueSize?: number;
  /** How long check() waits for the server, in milliseconds (default 10 000). */
  checkTimeoutMs?: number;
}

/** S3 rejects presigned URLs valid for longer than 7 days. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

export function normalizeS3Prefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? "").replace(/^\/+|\/+$/g, "");
  if (trimmed === "") return "";
  return `${validateKey(trimmed)}/`;
}

export class S3Storage implements Storage {
  readonly kind = "s3" as const;
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  readonly endpointLabel: string;
  private readonly listPageSize: number;
  private readonly partSize: number | undefined;
  private readonly queueSize: number | undefined;
  private readonly checkTimeoutMs: number;

  constructor(opts: S3StorageOptions) {
    this.bucket = opts.bucket;
    this.prefix = normalizeS3Prefix(opts.prefix);
    this.endpointLabel = opts.endpoint ?? `https://s3.${opts.region}.amazonaws.com`;
    this.listPageSize = opts.listPageSize ?? 1000;
    if (!Number.isInteger(this.listPageSize) || this.listPageSize < 1 || this.listPageSize > 1000) {
      throw new RangeError(`listPageSize must be an integer from 1 to 1000, got ${opts.listPageSize}`);
    }
    this.partSize = opts.partSize;
    this.queueSize = opts.queueSize;
    this.checkTimeoutMs = opts.checkTimeoutMs ?? 10_000;
    this.client = new S3Client({
      region: opts.region,
      endpoint: opts.endpoint,
      forcePathStyle: opts.forcePathStyle,
      credentials:
        opts.accessKeyId && opts.secretAccessKey
          ? { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey }
          : undefined,
      // Without these the SDK frames streamed bodies with its own chunk checksums, which servers that
      // do not implement that extension store verbatim (silently corrupted objects).
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
  }

  private objectKey(key: string): string {
    return this.prefix + validateKey(key);
  }

  async put(key: string, body: PutBody, opts: PutOptions = {}): Promise<{ key: string; size: number }> {
    const Key = this.objectKey(key);
    const ContentType = opts.contentType ?? contentTypeForKey(key);
    if (isBytes(body)) {
      const bytes = bytesOf(body);
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key,
          Body: bytes,
          ContentLength: bytes.byteLength,
          ContentType,
        }),
      );
      return { key, size: bytes.byteLength };
    }
    let size = 0;
    let sourceError: unknown;
    async function* counted(): AsyncGenerator<Uint8Array> {
      try {
        for await (const chunk of byteChunks(body)) {
          size += chunk.byteLength;
          yield chunk;
        }
      } catch (err) {
        sourceError = err;
        throw err;
      }
    }
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key,
        Body: Readable.from(counted(), { objectMode: false }),
        ContentType,
      },
      ...(this.partSize !== undefined && { partSize: this.partSize }),
      ...(this.queueSize !== undefined && { queueSize: this.queueSize }),
    });
    try {
      await upload.done();
    } catch (err) {
      // When the body fails, Upload aborts the multipart upload; if that abort fails too (some servers
      // lack AbortMultipartUpload) its error would hide the real cause, so report the body's error.
      throw sourceError ?? err;
    }
    return { key, size };
  }

  async get(key: string): Promise<NodeJS.ReadableStream> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      const body = out.Body;
      if (body instanceof Readable) return body;
      if (body && "transformToWebStream" in body)
        return Readable.fromWeb(body.transformToWebStream() as never);
      throw new Error(`S3 GetObject for "${key}" returned no body`);
    } catch (err) {
      if (isS3NotFound(err)) throw new StorageNotFoundError(key);
      throw err;
    }
  }

  async getBytes(key: string): Promise<Buffer> {
    return readAll(await this.get(key));
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const out = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      return { size: out.ContentLength ?? 0, contentType: out.ContentType, lastModified: out.LastModified };
    } catch (err) {
      if (isS3NotFound(err)) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  async *list(prefix: string): AsyncGenerator<ListEntry> {
    const Prefix = this.prefix + validatePrefix(prefix);
    let ContinuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix,
          MaxKeys: this.listPageSize,
          ContinuationToken,
        }),
      );
      for (const item of page.Contents ?? []) {
        if (item.Key === undefined) continue;
        yield { key: item.Key.slice(this.prefix.length), size: item.Size ?? 0 };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  async signedUrl(key: string, opts: SignedUrlOptions): Promise<string> {
    const Key = this.objectKey(key);
    const seconds = opts.expiresInSeconds;
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_PRESIGN_SECONDS) {
      throw new RangeError(
        `signedUrl(): expiresInSeconds must be an integer from 1 to ${MAX_PRESIGN_SECONDS}, got ${seconds}`,
      );
    }
    const command =
      opts.method === "GET"
        ? new GetObjectCommand({ Bucket: this.bucket, Key })
        : opts.method === "PUT"
          ? new PutObjectCommand({ Bucket: this.bucket, Key, ContentType: opts.contentType })
          : null;
    if (!command)
      throw new TypeError(`signedUrl(): method must be "GET" or "PUT", got ${JSON.stringify(opts.method)}`);
    return getSignedUrl(this.client, command, { expiresIn: seconds });
  }

  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), {
        abortSignal: AbortSignal.timeout(this.checkTimeoutMs),
      });
    } catch (err) {
      throw describeS3CheckFailure(err, { bucket: this.bucket, endpoint: this.endpointLabel });
    }
  }

  /** Closes the client's idle sockets. */
  destroy(): void {
    this.client.destroy();
  }
}

export function createS3Storage(opts: S3StorageOptions): S3Storage {
  return new S3Storage(opts);
}
