/**
 * Body-size limits, enforced while the body streams in (hono's bodyLimit), so an oversized upload
 * is refused with 413 before it is buffered whole.
 */

import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HttpError } from "./errors.ts";

/** Room for multipart boundaries and the small text fields beside the image. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/** A limit whose 413 is the JSON error envelope naming the limit. */
export function limitBody(maxSize: number, what: string): MiddlewareHandler {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new HttpError(413, "PAYLOAD_TOO_LARGE", `${what} is larger than the ${maxSize} bytes accepted`, {
        maxBytes: maxSize,
      });
    },
  });
}

/** Paths whose body may be an image (multipart); every other route takes small JSON or nothing. */
const IMAGE_BODY_PATHS: ReadonlySet<string> = new Set(["/v1/segment"]);
/** PUT /v1/uploads/{uploadId}: one raw image (the route holds it to maxImageBytes itself). */
const IMAGE_BODY_PATTERN = /^\/v1\/uploads\/[^/]+$/;
/** Paths whose body may be a dataset archive (multipart). */
const ARCHIVE_BODY_PATHS: ReadonlySet<string> = new Set(["/v1/datasets"]);

/**
 * The app-wide backstop: every route, including ones added later without their own limit, refuses
 * a body past `maxJsonBytes` (or the image limit plus multipart overhead on image routes) while it
 * streams in. Routes keep their own, possibly tighter, limits.
 */
export function limitEveryBody(limits: {
  maxImageBytes: number;
  maxJsonBytes: number;
  maxArchiveBytes?: number;
}): MiddlewareHandler {
  const image = limitBody(limits.maxImageBytes + MULTIPART_OVERHEAD_BYTES, "the request body");
  const json = limitBody(limits.maxJsonBytes, "the request body");
  const archive = limitBody((limits.maxArchiveBytes ?? 0) + MULTIPART_OVERHEAD_BYTES, "the request body");
  return (c, next) => {
    const path = new URL(c.req.url).pathname;
    if (ARCHIVE_BODY_PATHS.has(path)) return archive(c, next);
    return (IMAGE_BODY_PATHS.has(path) || IMAGE_BODY_PATTERN.test(path) ? image : json)(c, next);
  };
}
