/**
 * Which of the decoder's candidate masks to return. SAM's decoder predicts 4 masks: index 0 is the
 * single-mask output, 1..3 the multimask outputs (SamPredictor slices [1:] with multimask_output,
 * [0:1] without). Exports that bake the choice in give 3 (transformers.js) or 1 (return_single_mask).
 */
export type MultimaskMode = "multi" | "single" | "auto";

/**
 * Indices of the candidates to return. "auto" follows SAM's advice (and the export's select_masks):
 * several candidates for an ambiguous single click, the single-mask output once there are more.
 */
export function selectCandidates(
  count: number,
  scores: ArrayLike<number>,
  mode: MultimaskMode,
  userPoints: number,
): number[] {
  const all = Array.from({ length: count }, (_, i) => i);
  const single = mode === "single" || (mode === "auto" && userPoints > 1);
  if (count === 4) return single ? [0] : [1, 2, 3];
  if (count > 1 && single) {
    let best = 0;
    for (let i = 1; i < count; i++) if (scores[i] > scores[best]) best = i;
    return [best];
  }
  return all;
}
