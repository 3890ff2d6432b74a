/**
 * The CLI as a client of a running service (`npm start` or AWS): `datasets upload`, `tasks create`
 * and `train --remote`. The base URL comes from `--url` (default $ALIGNSAM_API_URL, else
 * http://localhost:3000), the key from `--key` (default $ALIGNSAM_API_KEY; none: the local stack's
 * anonymous tenant). The service's error envelope `{error: {code, message}}` becomes the CLI's
 * `CODE: message` line.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { zipSync } from "fflate";
import { AlignSamError, type AlignSamErrorCode } from "../errors.ts";

export const DEFAULT_API_URL = "http://localhost:3000";

export interface RemoteOptions {
  url?: string;
  key?: string;
}

export interface Remote {
  readonly baseUrl: string;
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** POST a multipart form. */
  postForm<T>(path: string, form: FormData): Promise<T>;
}

/** Time between two polls of a job. */
export const POLL_MS = 1000;

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The service's error, as the CLI prints it (its codes are a superset of the core's). */
function serviceError(status: number, body: unknown): AlignSamError {
  const e = (body as { error?: { code?: string; message?: string; details?: Record<string, unknown> } })
    ?.error;
  const code = (e?.code ?? `HTTP_${status}`) as AlignSamErrorCode;
  return new AlignSamError(code, e?.message ?? `the service answered ${status}`, e?.details);
}

/**
 * A client bound to one service and key.
 * @example
 * const remote = connect({ url: "http://localhost:3000" });
 * const tasks = await remote.request("GET", "/v1/tasks");
 */
export function connect(
  options: RemoteOptions,
  env: Record<string, string | undefined> = process.env,
): Remote {
  const baseUrl = (options.url ?? env.ALIGNSAM_API_URL ?? DEFAULT_API_URL).replace(/\/+$/, "");
  if (!/^https?:\/\//.test(baseUrl)) {
    throw new AlignSamError("INVALID_ARGUMENT", `--url must be an http(s) URL, got "${baseUrl}"`);
  }
  const key = options.key ?? env.ALIGNSAM_API_KEY;
  const auth: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  const send = async <T>(method: string, path: string, init: RequestInit): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(`${baseUrl}${path}`, { method, ...init, headers: { ...auth, ...init.headers } });
    } catch (e) {
      throw new AlignSamError(
        "CONFIG_INVALID",
        `cannot reach the service at ${baseUrl} (${(e as Error).cause ?? (e as Error).message}); start it with \`npm start\` or pass --url`,
      );
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (!res.ok) throw serviceError(res.status, body);
    return body as T;
  };
  return {
    baseUrl,
    request: (method, path, body) =>
      send(
        method,
        path,
        body === undefined
          ? {}
          : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
      ),
    postForm: (path, form) => send("POST", path, { body: form }),
  };
}

/** Every regular file under a folder (symlinks are not followed), as archive paths with '/'. */
async function filesUnder(
  root: string,
  dir = root,
  out: Record<string, Uint8Array> = {},
): Promise<Record<string, Uint8Array>> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) await filesUnder(root, full, out);
    else if (entry.isFile()) out[relative(root, full).split(sep).join("/")] = await readFile(full);
  }
  return out;
}

/**
 * The archive to upload: a file as it is (zip, tar, tar.gz), or a folder packed into a zip
 * (`images/` + `masks/`, or a COCO JSON with its images).
 */
export async function archiveOf(
  path: string,
): Promise<{ bytes: Uint8Array; packed: boolean; files?: number }> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch {
    throw new AlignSamError("DATASET_NOT_FOUND", `no file or folder "${path}"`);
  }
  if (!info.isDirectory()) return { bytes: await readFile(path), packed: false };
  const files = await filesUnder(path);
  const count = Object.keys(files).length;
  if (count === 0) throw new AlignSamError("DATASET_NOT_FOUND", `the folder "${path}" has no files`);
  // Images and PNGs are compressed already: store them, deflate the rest (COCO JSON).
  return { bytes: zipSync(files, { level: 1 }), packed: true, files: count };
}
