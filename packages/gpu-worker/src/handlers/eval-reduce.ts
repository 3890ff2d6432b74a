/**
 * `eval-reduce`: read every per-image document, reduce them to dataset metrics (core's
 * `summarizeImages`: class-pooled mIoU for a class-prompted task, from the documents' counts), write
 * summary.json, report.md and report.html (./eval-report-html.ts), then the evaluation's succeeded
 * status (last). Idempotent: a second reduce message finds the job terminal and does nothing; a
 * crash before the status rewrites the same summary from the same inputs.
 */

import { markdownTable } from "@alignsam/core/evaluation/report";
import {
  type EvalReduceMessage,
  type EvaluationJobSummary,
  evaluationPerImageKey,
  evaluationReportKey,
  evaluationSummaryKey,
  isTerminal,
  type PerImageMetrics,
  PerImageMetricsSchema,
  type TaskDefinition,
} from "@alignsam/core/light";
import { type ImageResult, iouConventionFor, summarizeImages } from "@alignsam/core/metrics";
import type { Delivery, HandlerContext } from "../context.ts";
import { readStatus, startJob, succeedJob } from "../job-status.ts";
import { resolvePolicy, resolveTenantTask, servedBy } from "../policy-store.ts";
import { evaluationHtmlKey, renderEvaluationHtml } from "./eval-report-html.ts";
import { evaluationJobRef, readManifest } from "./eval-shard.ts";
import type { HandlerResult } from "./result.ts";

export async function handleEvalReduce(
  ctx: HandlerContext,
  msg: EvalReduceMessage,
  delivery: Delivery,
): Promise<HandlerResult> {
  const manifest = await readManifest(ctx, msg.tenant, msg.evalId);
  const ref = evaluationJobRef(msg.tenant, manifest);
  const existing = await readStatus(ctx, ref);
  if (existing && isTerminal(existing.state)) return { outcome: "skipped" };

  const items = manifest.shards.flatMap((s) => s.items);
  const docs: PerImageMetrics[] = [];
  for (const item of items) {
    const doc = await ctx.storage.getJson(
      evaluationPerImageKey(msg.tenant, msg.evalId, item.id),
      PerImageMetricsSchema,
    );
    // All shard markers exist before a reduce is sent, so a missing document is a real fault: retry.
    if (!doc) throw new Error(`per-image metrics of "${item.id}" missing in evaluation "${msg.evalId}"`);
    docs.push(doc);
  }
  // The policy the shards followed (the named version, else the tenant's promoted one, else the
  // bundled one), resolved as they resolved it: the gallery re-segments with it, the status names it.
  const policy = await resolvePolicy(ctx.storage, manifest.task, manifest.policyVersion, msg.tenant);
  const task = await resolveTenantTask(ctx.storage, ctx.tasks, msg.tenant, manifest.task, policy);
  const ok = docs.filter((d) => !d.error);
  // Core's one aggregation, as `alignsam eval` and eval:all form their numbers.
  const { metrics } = summarizeImages(ok.map(imageResultOf), {
    metrics: task.metrics,
    iou: iouConventionFor(task),
  });
  const summary: EvaluationJobSummary = {
    v: 1,
    evalId: msg.evalId,
    jobId: manifest.jobId,
    task: task.name,
    policyVersion: manifest.policyVersion,
    images: ok.length,
    failed: docs.length - ok.length,
    metrics,
    createdAt: manifest.createdAt,
  };
  const summaryKey = evaluationSummaryKey(msg.tenant, msg.evalId);
  const reportKey = evaluationReportKey(msg.tenant, msg.evalId);
  await ctx.storage.putJson(summaryKey, summary);
  await ctx.storage.putText(
    reportKey,
    renderReport(summary, docs, task.metrics),
    "text/markdown; charset=utf-8",
  );
  const htmlKey = evaluationHtmlKey(reportKey);
  let htmlWritten = false;
  try {
    const html = await renderEvaluationHtml(ctx, {
      tenant: msg.tenant,
      manifest,
      task,
      policy,
      summary,
      docs,
    });
    await ctx.storage.putText(htmlKey, html, "text/html; charset=utf-8");
    htmlWritten = true;
  } catch (e) {
    // The page is a view of the summary: losing it must not fail or retry a finished evaluation.
    ctx.log.error("report.html not written", {
      evalId: msg.evalId,
      error: e instanceof Error ? e.message : String(e),
    });
  }

  const status = await startJob(ctx, ref, delivery, manifest.shards.length);
  if (!status) return { outcome: "skipped" };
  const done = await succeedJob(
    ctx,
    { ...status, policy: servedBy(task.name, policy) },
    {
      "summary.json": summaryKey,
      "report.md": reportKey,
      ...(htmlWritten ? { "report.html": htmlKey } : {}),
    },
    {
      metrics,
      images: summary.images,
      failed: summary.failed,
    },
  );
  return { outcome: "succeeded", status: done };
}

/** A per-image document as core's aggregation takes it (documents of older shards carry no counts). */
function imageResultOf(d: PerImageMetrics): ImageResult {
  return {
    id: d.imageId,
    values: d.metrics,
    ...(d.className ? { classes: [d.className] } : {}),
    ...(d.counts ? { confusion: d.counts } : {}),
  };
}

/**
 * A short Markdown report: the dataset metrics as core's evaluation table (the columns, formats and
 * labels of `alignsam eval` and EVALUATION.md), then the images that failed and why.
 */
export function renderReport(
  summary: EvaluationJobSummary,
  docs: readonly PerImageMetrics[],
  taskMetrics: TaskDefinition["metrics"],
): string {
  const ok = docs.filter((d) => !d.error);
  const row = {
    method: `AlignSAM (policy ${summary.policyVersion ?? "current"})`,
    metrics: summary.metrics,
    images: summary.images,
    msPerImage: ok.length === 0 ? Number.NaN : ok.reduce((t, d) => t + d.durationMs, 0) / ok.length,
  };
  const lines = [
    `# Evaluation ${summary.evalId}`,
    "",
    `Task \`${summary.task}\`, policy ${summary.policyVersion ?? "current"}: ${summary.images} images scored, ${summary.failed} failed.`,
    "",
    markdownTable([row], taskMetrics).trimEnd(),
  ];
  const failed = docs.filter((d) => d.error);
  if (failed.length > 0) {
    lines.push("", "## Failed images", "");
    for (const d of failed) lines.push(`- \`${d.imageId}\`: ${d.error?.code} — ${d.error?.message}`);
  }
  return `${lines.join("\n")}\n`;
}
