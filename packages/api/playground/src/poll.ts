/**
 * Polling a view until it ends: quickly at first, then more slowly (the API's per-minute rate limit
 * is shared with the rest of the page), waiting out a 429 as long as the API asks.
 */
import { ApiError, getJson } from "./api.ts";

const POLL_FIRST_MS = 300;
const POLL_MAX_MS = 2000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GET `path` until `ended(view)`; `onView` hears every answer. Resolves with the last one. */
export async function pollUntil<T>(
  path: string,
  ended: (view: T) => boolean,
  onView: (view: T) => void,
): Promise<T> {
  let wait = POLL_FIRST_MS;
  for (;;) {
    let view: T;
    try {
      view = await getJson<T>(path);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 429) throw err;
      await sleep((err.retryAfterS ?? 5) * 1000);
      continue;
    }
    onView(view);
    if (ended(view)) return view;
    await sleep(wait);
    wait = Math.min(POLL_MAX_MS, wait * 1.5);
  }
}
