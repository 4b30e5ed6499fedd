// The storage contract shared by every backend, and the errors it throws.

/** What `put` accepts: bytes, text (stored as UTF-8), or a Node or web stream of bytes. */
export type PutBody = Uint8Array | Buffer | NodeJS.ReadableStream | ReadableStream | string;

export interface PutOptions {
  contentType?: string;
}

export interface ObjectInfo {
  size: number;
  contentType?: string;
  lastModified?: Date;
}

export interface ListEntry {
  key: string;
  size: number;
}

export type SignedUrlMethod = "GET" | "PUT";

export interface SignedUrlOptions {
  method: SignedUrlMethod;
  expiresInSeconds: number;
  /** For PUT: the Content-Type the uploader must send. */
  contentType?: string;
}

export interface Storage {
  readonly kind: "local" | "s3";
  put(key: string, body: PutBody, opts?: PutOptions): Promise<{ key: string; size: number }>;
  /** A stream of the object's bytes; throws StorageNotFoundError if the key is missing. */
  get(key: string): Promise<NodeJS.ReadableStream>;
  getBytes(key: string): Promise<Buffer>;
  /** Null when the key is missing. */
  head(key: string): Promise<ObjectInfo | null>;
  /** Deleting a missing key succeeds. */
  delete(key: string): Promise<void>;
  /**
   * Every key starting with `prefix` (a plain string prefix, as in S3). The local backend and AWS S3
   * yield keys in UTF-8 byte order; other S3-compatible servers may use their own order.
   */
  list(prefix: string): AsyncIterable<ListEntry>;
  /** Presigned URL (S3 only; the local backend uses createLocalUrlSigner instead). */
  signedUrl?(key: string, opts: SignedUrlOptions): Promise<string>;
  /** Throws StorageConfigError with one line naming the setting to fix when the backend is unusable. */
  check(): Promise<void>;
}

export class StorageError extends Error {
  override name = "StorageError";
}

export class StorageKeyError extends StorageError {
  override name = "StorageKeyError";
  constructor(
    readonly key: unknown,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Invalid storage key ${JSON.stringify(key)}: ${reason}`, options);
  }
}

export class StorageNotFoundError extends StorageError {
  override name = "StorageNotFoundError";
  constructor(readonly key: string) {
    super(`No stored object under key "${key}"`);
  }
}

export class StorageConfigError extends StorageError {
  override name = "StorageConfigError";
  /** The environment setting(s) the message tells the user to fix, e.g. ["S3_ENDPOINT"]. */
  readonly settings: readonly string[];
  constructor(message: string, settings: readonly string[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.settings = settings;
  }
}
