/**
 * CLIP Surgery's feature surgery (Li et al., "CLIP Surgery for Better Explainability with
 * Enhancement in Open-Vocabulary Tasks"), in plain TypeScript over row-major Float32Arrays.
 * The point of surgery: raw CLIP patch-text similarities are dominated by features every class
 * shares (the "redundant" features), so maps light up the same places whatever the text; removing
 * the class-common part leaves what is specific to the text.
 */

/** Each row of an [n, d] matrix scaled to unit L2 norm (zero rows stay zero). */
export function normaliseRows(x: Float32Array, d: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[r * d + j] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < d; j++) out[r * d + j] = x[r * d + j] * inv;
  }
  return out;
}

/**
 * Prompt ensembling (encode_text_with_prompt_ensemble): normalise each prompt's embedding, average,
 * renormalise. Returns one unit vector of length d.
 */
export function ensemble(rows: Float32Array, d: number): Float32Array {
  const unit = normaliseRows(rows, d);
  const mean = new Float32Array(d);
  const n = rows.length / d;
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j] += unit[r * d + j] / n;
  return normaliseRows(mean, d);
}

/**
 * clip_feature_surgery. `image` is [n, d] unit tokens (row 0 the class token), `texts` [c, d] unit
 * class features. With `redundant` (a unit [d] feature, e.g. of the empty text): similarity =
 * image @ (texts - redundant)^T. Without: each token's element-wise products with every class,
 * weighted by the class token's softmax(t * cos) / its mean, minus their mean over classes (the
 * redundant features), summed over d. Returns [n, c] row-major.
 */
export function featureSurgery(
  image: Float32Array,
  texts: Float32Array,
  d: number,
  redundant?: Float32Array,
  t = 2,
): Float32Array {
  const n = image.length / d;
  const c = texts.length / d;
  const out = new Float32Array(n * c);
  if (redundant) {
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < c; k++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += image[i * d + j] * (texts[k * d + j] - redundant[j]);
        out[i * c + k] = s;
      }
    }
    return out;
  }
  // Class weights from the class token: w = softmax(t * cos) / mean(softmax).
  const logits = new Float64Array(c);
  for (let k = 0; k < c; k++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += image[j] * texts[k * d + j];
    logits[k] = t * s;
  }
  const top = Math.max(...logits);
  const exp = logits.map((v) => Math.exp(v - top));
  const sum = exp.reduce((a, v) => a + v, 0);
  const w = exp.map((v) => (v / sum) * c); // prob / mean(prob), mean = 1/c
  const feats = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    out.fill(0, i * c, (i + 1) * c);
    for (let j = 0; j < d; j++) {
      let mean = 0;
      for (let k = 0; k < c; k++) {
        feats[k] = image[i * d + j] * texts[k * d + j] * w[k];
        mean += feats[k] / c;
      }
      for (let k = 0; k < c; k++) out[i * c + k] += feats[k] - mean;
    }
  }
  return out;
}

/**
 * Column `cls` of an [n, c] similarity over the patch tokens (row 0, the class token, dropped),
 * min-max normalised to [0, 1] (get_similarity_map). A constant map becomes all zeros.
 */
export function patchMap(similarity: Float32Array, c: number, cls: number): Float32Array {
  const p = similarity.length / c - 1;
  const out = new Float32Array(p);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < p; i++) {
    const v = similarity[(i + 1) * c + cls];
    out[i] = v;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const range = hi - lo;
  for (let i = 0; i < p; i++) out[i] = range > 0 ? (out[i] - lo) / range : 0;
  return out;
}
