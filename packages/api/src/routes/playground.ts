/**
 * The playground: a small page at `/` that drives the API from a browser (pick an image and a task,
 * watch the job, replay the clicks). Its files are built ahead of time by
 * packages/api/playground/build.ts into packages/api/playground/dist/ and only read here, so the API
 * needs no bundler at run time and no CDN is involved. A strict Content-Security-Policy keeps the
 * page to its own origin: everything it fetches goes through the API (results included, see
 * ./job-results.ts), and masks are drawn from blob:/data: URLs.
 */
import { readFile } from "node:fs/promises";
import { dirname, extname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Context } from "hono";
import type { ApiApp } from "../http/context.ts";
import { errorResponse, HttpError } from "../http/errors.ts";

/** Where the build writes the page, beside this package's sources. */
export const PLAYGROUND_DIST = resolve(dirname(fileURLToPath(import.meta.url)), "../../playground/dist");

export const PLAYGROUND_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

/** Asset names the build emits: one flat folder, no path separators, nothing hidden. */
const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const SECURITY_HEADERS = {
  "Content-Security-Policy": PLAYGROUND_CSP,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
} as const;

export interface PlaygroundOptions {
  /** Folder holding index.html and assets/. @default PLAYGROUND_DIST */
  readonly dist?: string;
}

async function readIfPresent(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

function notBuilt(c: Context): Response {
  return errorResponse(
    c,
    new HttpError(
      503,
      "PLAYGROUND_NOT_BUILT",
      "the playground page has not been built; run `npm run build` (packages/api/playground/build.ts) and reload",
    ),
  );
}

/** Serve the built playground at `/` and `/assets/*`; the API's own routes are untouched. */
export function registerPlaygroundRoutes(app: ApiApp, options: PlaygroundOptions = {}): void {
  const dist = options.dist ?? PLAYGROUND_DIST;

  app.get("/", async (c) => {
    const html = await readIfPresent(resolve(dist, "index.html"));
    if (!html) return notBuilt(c);
    return c.body(new Uint8Array(html), 200, {
      ...SECURITY_HEADERS,
      "Content-Type": CONTENT_TYPES[".html"],
      "Cache-Control": "no-cache",
    });
  });

  app.get("/assets/:name", async (c) => {
    const name = c.req.param("name");
    const type = CONTENT_TYPES[extname(name)];
    if (!ASSET_NAME.test(name) || name.includes("..") || !type) {
      throw new HttpError(404, "NOT_FOUND", `no asset "${name}"`);
    }
    const bytes = await readIfPresent(resolve(dist, "assets", name));
    if (!bytes) {
      if (!(await readIfPresent(resolve(dist, "index.html")))) return notBuilt(c);
      throw new HttpError(404, "NOT_FOUND", `no asset "${name}"`);
    }
    return c.body(new Uint8Array(bytes), 200, {
      ...SECURITY_HEADERS,
      "Content-Type": type,
      // Asset names carry a content hash: a new build is a new name.
      "Cache-Control": "public, max-age=31536000, immutable",
    });
  });
}
