/** What a handler reports to the dispatcher, and small helpers shared by handlers. */
import type { JobStatus } from "@alignsam/core/light";
import type { Delivery, HandlerContext } from "../context.ts";

export type HandlerResult =
  /** The job was already terminal: nothing done. */
  | { outcome: "skipped" }
  /** The job (or this step of it) finished; `status` is set when the job became terminal. */
  | { outcome: "succeeded"; status?: JobStatus };

/** Fault injection for tests: stall the first delivery so a test can kill the worker mid-job. */
export async function holdForFaultInjection(ctx: HandlerContext, delivery: Delivery): Promise<void> {
  const ms = ctx.faultHoldFirstAttemptMs ?? 0;
  if (ms > 0 && delivery.receiveCount <= 1) {
    ctx.log.warn("fault injection: holding job", { ms });
    await new Promise((r) => setTimeout(r, ms));
  }
}
