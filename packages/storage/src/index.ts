export {
  StorageConfigError,
  StorageError,
  StorageKeyError,
  StorageNotFoundError,
  type ListEntry,
  type ObjectInfo,
  type PutBody,
  type PutOptions,
  type SignedUrlMethod,
  type SignedUrlOptions,
  type Storage,
} from "./storage.ts";
export { MAX_KEY_BYTES, isValidKey, validateKey, validatePrefix } from "./keys.ts";
export { DEFAULT_CONTENT_TYPE, contentTypeForKey } from "./content-type.ts";
export { LOCAL_TEMP_PREFIX, LocalStorage, createLocalStorage, type LocalStorageOptions } from "./local.ts";
export {
  MAX_PRESIGN_SECONDS,
  S3Storage,
  createS3Storage,
  normalizeS3Prefix,
  type S3StorageConfig,
  type S3StorageOptions,
} from "./s3.ts";
export { describeS3CheckFailure, isS3NotFound, type S3CheckContext } from "./s3-errors.ts";
export {
  MIN_SECRET_BYTES,
  createLocalUrlSigner,
  type LocalUrlSigner,
  type LocalUrlSignerOptions,
} from "./url-signer.ts";
export {
  createStorage,
  createStorageFromEnv,
  storageConfigFromEnv,
  type FromEnvOptions,
  type S3Tuning,
  type StorageConfig,
  type StorageEnv,
} from "./from-env.ts";
