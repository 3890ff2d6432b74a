/**
 * The fault suite, on the real local stack (API and worker processes):
 * - the S3 + SQS emulator stops while requests arrive: the API answers 503 UNAVAILABLE with
 *   Retry-After within seconds, and once the emulator is back every job it accepted (202) completes;
 * - the worker's S3 writes fail (fault injection, ALIGNSAM_FAULT_S3_PUT_FAILURES): the job is retried
 *   and ends with exactly one result set and one usage record.
 * ("A worker killed during a job" is in worker-stack.test.ts.)
 *
 * The processes talk to an emulator this file owns (persisted in SQLite under a temporary folder),
 * not to the one startLocalStack starts, so it can be stopped and started again on the same port
 * while the API and the worker keep running.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DEFAULT_SEGMENT_OUTPUTS,
  jobPrefix,
  jobStatusKey,
  SEGMENT_OUTPUT_FILES,
  usagePrefix,
} from "@alignsam/core/light";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../infra/local/emulator.ts";
import { ensureStackResources } from "../../infra/local/resources.ts";
import { emulatorClients, type LocalStack } from "../../infra/local/stack.ts";
import { sceneFixture } from "./fixtures.ts";
import {
  type Clients,
  clientsFor,
  type E2eStack,
  postSegmentForm,
  startE2eStack,
  waitForState,
} from "./harness.ts";

const REGION = "us-east-1";
const BUCKET = "alignsam-faults";
const MAX_RECEIVES = 10;
/** The API must refuse within this while the emulator is down (two SDK attempts, 1 s connect timeout). */
const QUICK_MS = 5_000;

interface Answer {
  status: number;
  ms: number;
  retryAfter: string | null;
  body: { jobId?: string; error?: { code: string; requestId: string } };
}

describe("faults on the local stack", () => {
  let dataDir: string;
  let emulator: Emulator;
  let port: number;
  let e2e: E2eStack;
  let stack: LocalStack;
  let c: Clients;
  let image: Uint8Array;

  const startOwnEmulator = async (at: number) => startEmulator({ port: at, region: REGION, dataDir });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "alignsam-faults-"));
    emulator = await startOwnEmulator(0);
    port = emulator.port;
    const { s3, sqs } = emulatorClients({ region: REGION, endpoint: emulator.endpoint });
    const { queueUrl, dlqUrl } = await ensureStackResources(
      { s3, sqs },
      {
        endpoint: emulator.endpoint,
        bucket: BUCKET,
        queueName: "faults-jobs",
        maxReceives: MAX_RECEIVES,
        visibilityTimeoutSeconds: 30,
      },
    );
    s3.destroy();
    sqs.destroy();
    const ours = {
      ALIGNSAM_S3_ENDPOINT: emulator.endpoint,
      ALIGNSAM_SQS_ENDPOINT: emulator.endpoint,
      ALIGNSAM_BUCKET: BUCKET,
      ALIGNSAM_QUEUE_URL: queueUrl,
      ALIGNSAM_DLQ_URL: dlqUrl,
    };
    e2e = await startE2eStack({
      api: true,
      workers: 1,
      maxReceives: MAX_RECEIVES,
      apiEnv: { ...ours, ALIGNSAM_ANONYMOUS_TENANT: "public", ALIGNSAM_RATE_LIMIT_PER_MINUTE: "100000" },
      workerEnv: {
        ...ours,
        ALIGNSAM_WAIT_TIME_SECONDS: "1",
        ALIGNSAM_VISIBILITY_TIMEOUT_SECONDS: "4",
        ALIGNSAM_HEARTBEAT_SECONDS: "1",
        ALIGNSAM_RETRY_DELAY_SECONDS: "1",
        ALIGNSAM_SHUTDOWN_GRACE_SECONDS: "3",
      },
    });
    stack = e2e.stack;
    c = clientsFor({ ...stack, endpoint: emulator.endpoint, bucket: BUCKET, queueUrl, dlqUrl });
    image = (await sceneFixture()).image;
  });

  afterAll(async () => {
    c?.close();
    await e2e?.stop();
    await emulator?.close().catch(() => undefined);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function submit(): Promise<Answer> {
    const started = performance.now();
    const res = await postSegmentForm(stack.apiUrl!, image, { task: "saliency" });
    return {
      status: res.status,
      ms: performance.now() - started,
      retryAfter: res.headers.get("retry-after"),
      body: (await res.json()) as Answer["body"],
    };
  }

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it("answers 503 UNAVAILABLE with Retry-After quickly while the emulator is down, then completes every accepted job", async () => {
    const answers: Answer[] = [];
    // A steady trickle of requests before, during and after the outage.
    let stop = false;
    const trickle = (async () => {
      while (!stop) {
        answers.push(await submit());
        await sleep(150);
      }
    })();
    await sleep(1_500);
    await emulator.close();
    const down = await Promise.all([submit(), submit(), submit()]);
    await sleep(2_000);
    emulator = await startOwnEmulator(port);
    await sleep(1_500);
    stop = true;
    await trickle;
    answers.push(...down, await submit());

    for (const a of down) {
      expect(a.status).toBe(503);
      expect(a.body.error?.code).toBe("UNAVAILABLE");
      expect(Number(a.retryAfter)).toBeGreaterThan(0);
      expect(a.ms).toBeLessThan(QUICK_MS);
    }
    for (const a of answers) {
      expect([202, 503]).toContain(a.status);
      if (a.status === 503) {
        expect(["UNAVAILABLE", "QUEUE_UNAVAILABLE"]).toContain(a.body.error?.code);
        expect(a.body.error?.requestId).toBeTruthy();
        expect(a.retryAfter).toBeTruthy();
        expect(a.ms).toBeLessThan(QUICK_MS);
      }
    }
    const accepted = answers.filter((a) => a.status === 202).map((a) => a.body.jobId!);
    expect(accepted.length).toBeGreaterThanOrEqual(3);
    for (const jobId of accepted) {
      const status = await waitForState(c, jobStatusKey("public", jobId), ["succeeded", "failed"], 90_000);
      expect(status.state, `${jobId}: ${JSON.stringify(status.error)}`).toBe("succeeded");
    }
  });

  it("retries a job whose S3 writes fail and ends with exactly one result set and one usage record", async () => {
    // Swap the worker for one whose first three writes of overlay.png fail (after four other results
    // were written), so the first attempt dies half-way through its results.
    const [first] = stack.workers;
    first.child.kill("SIGTERM");
    await first.exited;
    await stack.startWorker({
      ALIGNSAM_FAULT_S3_PUT_FAILURES: "3",
      ALIGNSAM_FAULT_S3_PUT_KEY: "/results/overlay\\.png$",
    });
    const answer = await submit();
    expect(answer.status).toBe(202);
    const jobId = answer.body.jobId!;
    const status = await waitForState(c, jobStatusKey("public", jobId), ["succeeded", "failed"], 60_000);
    expect(status.state, JSON.stringify(status.error)).toBe("succeeded");
    expect(status.attempts).toBe(2);

    const injected = e2e.logs.filter((l) => l.includes('"msg":"fault injected') && l.includes(jobId));
    expect(injected).toHaveLength(3);
    expect(e2e.logs.some((l) => l.includes('"msg":"job error"') && l.includes(jobId))).toBe(true);

    const results = await c.list(`${jobPrefix("public", jobId)}results/`);
    // The default outputs (polygons is opt-in).
    const files = DEFAULT_SEGMENT_OUTPUTS.map((o) => SEGMENT_OUTPUT_FILES[o]).sort();
    expect(results.map((k) => k.split("/").pop()).sort()).toEqual(files);
    expect(Object.keys(status.resultKeys ?? {}).sort()).toEqual(files);
    const usage = (await c.list(usagePrefix("public"))).filter((k) => k.includes(`/${jobId}/`));
    expect(usage).toHaveLength(1);
  });
});
