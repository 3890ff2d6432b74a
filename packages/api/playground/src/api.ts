/**
 * The playground's only way to the API: same-origin fetches that carry the optional API key and
 * turn the API's error envelope into an ApiError whose message is the API's own words.
 */

const KEY_STORAGE = "alignsam.apiKey";

/** An error the API answered (or a network failure), with the message to show as is. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  /** Seconds the API asked to wait (429, 503), when it said. */
  readonly retryAfterS: number | undefined;
  constructor(code: string, message: string, status: number, retryAfterS?: number) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.retryAfterS = retryAfterS;
  }
}

/** What to show for a failure: the API's own words and code, or what went wrong in the page. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiError)
    return err.code === "HTTP_ERROR" || err.code === "NETWORK" ? err.message : `${err.message} (${err.code})`;
  return `Something went wrong in the page: ${(err as Error).message}`;
}

/** The key kept in local storage, or "" (storage can be disabled: then no key). */
export function storedApiKey(): string {
  try {
    return localStorage.getItem(KEY_STORAGE) ?? "";
  } catch {
    return "";
  }
}

/** Remember (or, with "", forget) the key for the next visit. */
export function storeApiKey(key: string): void {
  try {
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
  } catch {
    // Private mode: the key lives for this page only.
  }
}

function authHeaders(): Record<string, string> {
  const key = storedApiKey().trim();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

async function errorFrom(res: Response): Promise<ApiError> {
  const retry = Number(res.headers.get("retry-after"));
  const retryAfterS = Number.isFinite(retry) && retry > 0 ? retry : undefined;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.message) {
      return new ApiError(body.error.code ?? "ERROR", body.error.message, res.status, retryAfterS);
    }
  } catch {
    // Not the JSON envelope (a proxy's page): fall through.
  }
  return new ApiError(
    "HTTP_ERROR",
    `the API answered ${res.status} ${res.statusText}`.trim(),
    res.status,
    retryAfterS,
  );
}

/** Fetch a path of this origin; resolves only on 2xx, else throws ApiError. */
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers: { ...authHeaders(), ...(init.headers ?? {}) } });
  } catch (err) {
    throw new ApiError("NETWORK", `could not reach the API: ${(err as Error).message}`, 0);
  }
  if (!res.ok) throw await errorFrom(res);
  return res;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await request(path)).json()) as T;
}

/** POST `body` as JSON (or nothing) and read the JSON answer. */
export async function postJson<T>(path: string, body?: unknown): Promise<T> {
  const init: RequestInit =
    body === undefined
      ? { method: "POST" }
      : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  return (await (await request(path, init)).json()) as T;
}

export interface Task {
  name: string;
  description: string;
  branch: string;
  metrics: string[];
  classPrompted: boolean;
  /** Defined by the caller's tenant (absent from an older API: built in). */
  own?: boolean;
  texts?: string[];
}

/** How a task reads in a select: own tasks marked, class-prompted ones say they need a class. */
export function taskLabel(t: Task): string {
  if (t.own) return `${t.name} (yours)`;
  return t.classPrompted ? `${t.name} (needs a class)` : t.name;
}

export interface JobView {
  jobId: string;
  state: "queued" | "running" | "succeeded" | "failed";
  progress: { done: number; total: number };
  error?: { code: string; message: string };
  summary?: Record<string, unknown>;
  results: Record<string, { url: string }>;
  startedAt?: string;
  finishedAt?: string;
  createdAt: string;
}

export interface EvaluationItem {
  evaluationId: string;
  task: string;
  state: string;
  images: number;
  createdAt: string;
  reports: Record<string, { url: string }>;
}

/** Same-origin path of a job's result (the API streams it from the bucket). */
export function resultPath(jobId: string, name: string): string {
  return `/v1/jobs/${encodeURIComponent(jobId)}/results/${encodeURIComponent(name)}`;
}
