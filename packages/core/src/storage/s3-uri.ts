/** s3://bucket/prefix locations (no SDK import, so parsing one loads nothing heavy). */
import { AlignSamError } from "../errors.ts";

export interface S3Location {
  readonly bucket: string;
  /** Key prefix without leading or trailing '/' ("" for the bucket root). */
  readonly prefix: string;
}

/**
 * Parses s3://bucket/some/prefix (a trailing '/' is optional); INVALID_ARGUMENT otherwise.
 *
 * @example parseS3Uri("s3://models/sam/v1/") // { bucket: "models", prefix: "sam/v1" }
 */
export function parseS3Uri(uri: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match || match[1].length < 3) {
    throw new AlignSamError("INVALID_ARGUMENT", `"${uri}" is not an S3 URI (expected s3://bucket/prefix)`, {
      uri,
    });
  }
  return { bucket: match[1], prefix: match[2].replace(/\/+$/, "") };
}
