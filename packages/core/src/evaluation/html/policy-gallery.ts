/**
 * Gallery cases of an AlignSAM policy on dataset pairs: the cases picked from per-image records
 * are segmented again with the settings of an evaluation's "AlignSAM" row (greedy, seed 0, the
 * policy's T, no ablation), because stored records hold scores, not clicks. Greedy episodes are
 * deterministic, so the clicks drawn are the ones behind the scored mask.
 */
import type { DatasetPair } from "../../datasets/loader.ts";
import { loadPair } from "../../datasets/pair.ts";
import type { PromptableSegmenter } from "../../models/ports.ts";
import { segmentImage } from "../../pipeline/index.ts";
import type { PriorChoice } from "../../pipeline/prepare.ts";
import type { Policy } from "../../policy/policy.ts";
import { pickGalleryCases, withGalleryPanels } from "./gallery.ts";
import type { GalleryCase, GalleryMode } from "./report-model.ts";

/**
 * Best, median and worst cases of `records` by IoU, with pictures unless `mode` is "none".
 * @example const cases = await alignSamGallery("images", records, testPairs, policy, { segmenter });
 */
export async function alignSamGallery(
  mode: GalleryMode,
  records: readonly { id: string; metrics: Readonly<Record<string, number | null>> }[],
  pairs: readonly DatasetPair[],
  policy: Policy,
  options: { segmenter: PromptableSegmenter; prior?: PriorChoice },
): Promise<GalleryCase[]> {
  const cases = pickGalleryCases(records, "mIoU");
  const byId = new Map(pairs.map((p) => [p.id, p]));
  const pairOf = (id: string) => {
    const pair = byId.get(id);
    if (!pair) throw new Error(`gallery case "${id}" is not among the evaluated pairs`);
    return pair;
  };
  return withGalleryPanels(
    cases,
    mode,
    async (id) => {
      const { image, mask } = await loadPair(pairOf(id));
      return { image, truth: mask };
    },
    async (id, image) => {
      const classes = pairOf(id).classes;
      const result = await segmentImage(image, policy, {
        segmenter: options.segmenter,
        ...(options.prior !== undefined ? { prior: options.prior } : {}),
        ablation: "none",
        seed: 0,
        greedy: true,
        ...(classes && classes.length > 0 ? { texts: classes } : {}),
      });
      return {
        prediction: result.mask,
        clicks: result.trajectory.map((s) => ({ x: s.point.x, y: s.point.y, label: s.label, step: s.step })),
      };
    },
  );
}
