/**
 * Downloads go through the API (same origin, the API key attached) and are saved from a blob URL,
 * so the browser names the file and the presigned URL's expiry never matters.
 */
import { request, resultPath } from "./api.ts";

/** Fetch a job's result and hand it to the browser as a download named `filename`. */
export async function downloadResult(jobId: string, name: string, filename = name): Promise<void> {
  const blob = await (await request(resultPath(jobId, name))).blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
