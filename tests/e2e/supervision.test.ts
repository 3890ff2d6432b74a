/**
 * The local stack supervises its workers: one killed with SIGKILL under load is logged with its
 * signal and restarted, and every queued job still finishes exactly once without anyone restarting
 * the stack; a worker that keeps crashing is given up on, loudly.
 */
import { jobPrefix, jobStatusKey, usagePrefix } from "@alignsam/core/light";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChildHandle } from "../../infra/local/stack.ts";
import { sceneFixture } from "./fixtures.ts";
import { type E2eStack, postSegmentForm, startE2eStack, waitFor, waitForState } from "./harness.ts";

const JOBS = 5;
const RESULT_FILES = 7;
/** The tenant of requests without a key on the local stack. */
const TENANT = "local";

describe("worker supervision on the local stack", () => {
  let e2e: E2eStack;
  const gaveUp: string[] = [];

  beforeAll(async () => {
    e2e = await startE2eStack({
      api: true,
      workers: 1,
      restart: { maxRestarts: 3, windowMs: 120_000, initialDelayMs: 200, maxDelayMs: 1_000 },
      onGiveUp: (worker, reason) => gaveUp.push(`${worker}: ${reason}`),
      workerEnv: {
        // The killed job comes back after 3 s; each first attempt is held 1 s so the kill lands mid-job.
        ALIGNSAM_VISIBILITY_TIMEOUT_SECONDS: "3",
        ALIGNSAM_HEARTBEAT_SECONDS: "1",
        ALIGNSAM_WAIT_TIME_SECONDS: "1",
        ALIGNSAM_RETRY_DELAY_SECONDS: "1",
        ALIGNSAM_FAULT_HOLD_FIRST_ATTEMPT_MS: "1000",
      },
    });
  });
  afterAll(async () => {
    await e2e?.stop();
  });

  const live = (): ChildHandle[] =>
    e2e.stack.workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
  const restarts = () => e2e.logs.filter((l) => /\[stack\] worker-1 restarted/.test(l)).length;

  it("restarts a worker killed with SIGKILL mid-job; every job finishes exactly once", async () => {
    const { image } = await sceneFixture();
    const jobIds: string[] = [];
    for (let i = 0; i < JOBS; i++) {
      const res = await postSegmentForm(e2e.stack.apiUrl!, image, { task: "saliency" });
      expect(res.status).toBe(202);
      jobIds.push(((await res.json()) as { jobId: string }).jobId);
    }
    const running = await waitFor("a job to be running", async () => {
      for (const id of jobIds) {
        const bytes = await e2e.c.get(jobStatusKey(TENANT, id));
        if (bytes && JSON.parse(Buffer.from(bytes).toString()).state === "running") return id;
      }
      return undefined;
    });
    const [victim] = live();
    victim.child.kill("SIGKILL");
    await victim.exited;

    for (const id of jobIds) {
      const status = await waitForState(e2e.c, jobStatusKey(TENANT, id), ["succeeded", "failed"], 60_000);
      expect(status.state, `${id}: ${JSON.stringify(status.error)}`).toBe("succeeded");
      expect(status.attempts, id).toBe(id === running ? 2 : 1);
      expect(await e2e.c.list(`${jobPrefix(TENANT, id)}results/`), id).toHaveLength(RESULT_FILES);
    }
    // One usage record per job, and none for anything else.
    const usage = await e2e.c.list(usagePrefix(TENANT));
    for (const id of jobIds) {
      expect(
        usage.filter((k) => k.includes(`/${id}/`)),
        id,
      ).toEqual([expect.stringMatching(/\/segment\.json$/)]);
    }
    expect(usage).toHaveLength(JOBS);

    expect(
      e2e.logs.some((l) => l.includes(`[stack] worker-1 (pid ${victim.child.pid}) died: signal SIGKILL`)),
    ).toBe(true);
    expect(restarts()).toBe(1);
    expect(live()).toHaveLength(1);
    expect(gaveUp).toEqual([]);
  });

  it("gives up, loudly, on a worker that keeps crashing", async () => {
    // The kill above was crash 1 of the window (restart 1); crashes 2 and 3 are restarted, 4 is one too many.
    for (let crash = 2; crash <= 4; crash++) {
      const worker = await waitFor("a consuming worker", async () =>
        restarts() === crash - 1 ? live()[0] : undefined,
      );
      worker.child.kill("SIGKILL");
      await worker.exited;
    }
    await waitFor("the supervisor to give up", async () => (gaveUp.length > 0 ? true : undefined));
    expect(gaveUp).toEqual([
      expect.stringMatching(/^worker-1: worker-1 crashed 4 times within 120 s \(last: signal SIGKILL\)$/),
    ]);
    expect(e2e.logs.some((l) => l.includes("[stack] GIVING UP on worker-1"))).toBe(true);
    // Left down: no further restart.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(live()).toHaveLength(0);
    expect(restarts()).toBe(3);
  });
});
