/**
 * One typed family for every error a user can act on: a stable `code` for programs, a message that
 * says what to do for people, and optional details (for enumerations, the valid values).
 */
export type AlignSamErrorCode =
  | "IMAGE_EMPTY"
  | "IMAGE_DECODE"
  | "IMAGE_UNSUPPORTED_FORMAT"
  | "IMAGE_TOO_LARGE"
  | "MASK_DECODE"
  | "MASK_SHAPE"
  | "RLE_DECODE"
  | "DATASET_NOT_FOUND"
  | "DATASET_MISMATCH"
  /** A dataset archive that is not a zip or tar, is corrupt, or holds no usable pair (or bad COCO JSON). */
  | "ARCHIVE_INVALID"
  /** A dataset archive past a configured limit (entries, uncompressed bytes): refused whole. */
  | "ARCHIVE_TOO_LARGE"
  | "MODEL_MANIFEST"
  | "MODEL_MISMATCH"
  | "MODEL_CHECKSUM"
  | "PRIOR_UNAVAILABLE"
  | "TEXT_UNSUPPORTED"
  | "UNKNOWN_TASK"
  | "POLICY_INCOMPATIBLE"
  | "POLICY_NOT_FOUND"
  | "INVALID_ARGUMENT"
  /** A command's environment is missing a setting it needs or its storage cannot be reached with it. */
  | "CONFIG_INVALID"
  /** A callback URL that is not https or reaches a non-public address (SSRF guard). */
  | "CALLBACK_FORBIDDEN"
  /** A queue message or job document that cannot be processed as written (never retried). */
  | "JOB_INVALID";

export class AlignSamError extends Error {
  readonly code: AlignSamErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: AlignSamErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "AlignSamError";
    this.code = code;
    this.details = details;
  }
}

export function isAlignSamError(e: unknown, code?: AlignSamErrorCode): e is AlignSamError {
  return e instanceof AlignSamError && (code === undefined || e.code === code);
}
