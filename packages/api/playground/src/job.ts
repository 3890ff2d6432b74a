/**
 * Waiting for a job: poll GET /v1/jobs/{id} quickly at first and then more slowly, staying well
 * inside the API's per-minute rate limit; a 429 is waited out (as long as the API asks) instead of
 * ending the wait. Each change is reported as one sentence for the page's live status line.
 */
import { ApiError, getJson, type JobView } from "./api.ts";

const POLL_FIRST_MS = 300;
const POLL_MAX_MS = 2000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One sentence about where a job is, for people and screen readers. */
export function describeJob(job: JobView): string {
  const id = job.jobId.slice(0, 8);
  if (job.state === "succeeded") {
    const s = job.summary ?? {};
    const ms = typeof s.durationMs === "number" ? ` in ${(s.durationMs / 1000).toFixed(1)} s` : "";
    const clicks = typeof s.clicks === "number" ? `, ${s.clicks} clicks` : "";
    const policy = typeof s.policyVersion === "string" ? `, policy ${s.policyVersion}` : "";
    return `Job ${id} succeeded${ms}${clicks}${policy}.`;
  }
  if (job.state === "failed") return `Job ${id} failed.`;
  const { done, total } = job.progress;
  return `Job ${id} is ${job.state}${total > 1 ? ` (${done} of ${total})` : ""}…`;
}

/** Resolve with the job once it has succeeded or failed; `onStatus` hears every new sentence. */
export async function waitForJob(jobId: string, onStatus: (line: string) => void): Promise<JobView> {
  let last = "";
  let wait = POLL_FIRST_MS;
  for (;;) {
    let job: JobView;
    try {
      job = await getJson<JobView>(`/v1/jobs/${encodeURIComponent(jobId)}`);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 429) throw err;
      onStatus(`${err.message} — waiting before asking again…`);
      last = "";
      await sleep((err.retryAfterS ?? 5) * 1000);
      continue;
    }
    const line = describeJob(job);
    if (line !== last) {
      last = line;
      onStatus(line);
    }
    if (job.state === "succeeded" || job.state === "failed") return job;
    await sleep(wait);
    wait = Math.min(POLL_MAX_MS, wait * 1.5);
  }
}
