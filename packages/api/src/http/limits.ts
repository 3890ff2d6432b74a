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
