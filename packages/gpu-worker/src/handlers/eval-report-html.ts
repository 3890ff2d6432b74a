/**
 * report.html of an evaluation job: the self-contained page of the core's evaluation/html module
 * (metrics table, histogram of per-image IoU, best / median / worst gallery with the clicks drawn).
 * The gallery's three images are segmented again here, greedily with seed 0 as the shards did, since
 * per-image documents hold scores, not clicks; their pixels are the customer's own data going back
 * to the customer's own bucket. A gallery that cannot be drawn (an image gone, a decode error)
 * leaves the page with ids and metrics only: the report never fails the evaluation.
 *
 * The HTML module is loaded on first use through the full `@alignsam/core` entry (the package has
 * no lighter subpath for it), so only a worker that reduces an evaluation pays its import time.
 */
import type {
  EvaluationItem,
  EvaluationJobSummary,
  EvaluationManifest,
  PerImageMetrics,
  TaskDefinition,
} from "@alignsam/core/light";
import type { HandlerContext } from "../context.ts";
import { loadLabelled } from "../datasets.ts";
import type { StoredPolicy } from "../engine.ts";

/** The key of report.html: beside report.md and summary.json. */
export function evaluationHtmlKey(reportMdKey: string): string {
  return reportMdKey.replace(/report\.md$/, "report.html");
}

export interface EvaluationHtmlInput {
  readonly tenant: string;
  readonly manifest: EvaluationManifest;
  readonly task: TaskDefinition;
  readonly policy: StoredPolicy | null;
  readonly summary: EvaluationJobSummary;
  readonly docs: readonly PerImageMetrics[];
}

/** Renders the page (deterministic for the same inputs, so a repeated reduce writes the same bytes). */
export async function renderEvaluationHtml(ctx: HandlerContext, input: EvaluationHtmlInput): Promise<string> {
  const core = await import("@alignsam/core/evaluation/html");
  const { manifest, summary, task, tenant } = input;
  const ok = input.docs.filter((d) => !d.error);
  const perImage = ok.map((d) => ({ id: d.imageId, metrics: d.metrics }));
  const rankBy = task.metrics.includes("mIoU") ? "mIoU" : (task.metrics[0] ?? "mIoU");
  const picked = core.pickGalleryCases(perImage, rankBy);
  const items = new Map<string, EvaluationItem>(
    manifest.shards.flatMap((s) => s.items).map((i) => [i.id, i]),
  );
  let cases = picked;
  try {
    cases = await core.withGalleryPanels(
      picked,
      "images",
      async (id) => {
        const item = items.get(id);
        if (!item) throw new Error(`gallery image "${id}" is not in the manifest`);
        const sample = await loadLabelled(ctx.storage, tenant, manifest.datasetId, item, ctx.imageLimits);
        return { image: sample.image, truth: sample.mask };
      },
      async (_id, image) => {
        const outcome = await ctx.engine.segment({
          task,
          image,
          policy: input.policy,
          ...(manifest.className !== undefined ? { className: manifest.className } : {}),
          greedy: true,
          seed: 0,
        });
        return {
          prediction: outcome.mask,
          clicks: outcome.trajectory.map((s) => ({ x: s.x, y: s.y, label: s.label, step: s.step })),
        };
      },
    );
  } catch (e) {
    ctx.log.warn("report.html: gallery without pictures", {
      evalId: summary.evalId,
      error: e instanceof Error ? e.message : String(e),
    });
  }
  const durations = ok.map((d) => d.durationMs).filter((v) => Number.isFinite(v));
  const failed = input.docs.filter((d) => d.error);
  const section = core.singleMethodSection({
    task: task.name,
    metrics: Object.keys(summary.metrics),
    row: {
      name: `AlignSAM (policy ${summary.policyVersion ?? "current"})`,
      images: summary.images,
      metrics: summary.metrics,
      msPerImage: durations.length ? durations.reduce((a, b) => a + b, 0) / durations.length : null,
    },
    perImage,
    gallery: { mode: "images", cases },
    facts: [
      `Dataset ${manifest.datasetId}: ${summary.images} images scored, ${summary.failed} failed, over ${manifest.shards.length} shards.`,
    ],
    notes: failed.map((d) => `Failed: ${d.imageId}: ${d.error?.code} — ${d.error?.message}`),
  });
  return core.renderHtmlReport(
    core.singleSectionReport(
      `Evaluation ${summary.evalId}`,
      [`Task ${task.name}, policy ${summary.policyVersion ?? "current"}; created ${summary.createdAt}.`],
      section,
    ),
  );
}
