/**
 * SamOnnxModel.mask_postprocessing (bilinear up to S x S, crop the letterboxed image, bilinear to
 * the original size) computed the way ONNX Runtime's CPU Resize computes it, float32 operation for
 * float32 operation (pytorch_half_pixel coordinates, the NCHW UpsampleBilinear weights and sum
 * order). A mask upscaled here from the decoder's low-res logits is byte-equal to the graph's own
 * `masks` output, so the adapter can skip that output (4 candidates at the original size on every
 * decode) and upscale only the candidate that is read. A float64 upscale differs by ~1e-6, which
 * flips a pixel or so per megapixel at threshold 0.
 */
import type { LetterboxGeometry } from "./letterbox.ts";

const f32 = Math.fround;

interface Axis {
  readonly i1: Int32Array;
  readonly i2: Int32Array;
  readonly d1: Float32Array;
  readonly d2: Float32Array;
}

/** SetupUpsampleBilinear for one axis: the first `count` of `outSize` outputs of an inSize -> outSize resize. */
function axis(inSize: number, outSize: number, count: number): Axis {
  const scale = f32(outSize / inSize);
  const i1 = new Int32Array(count);
  const i2 = new Int32Array(count);
  const d1 = new Float32Array(count);
  const d2 = new Float32Array(count);
  for (let o = 0; o < count; o++) {
    // pytorch_half_pixel: (o + 0.5) / scale - 0.5 in float32; 0 for a length-1 output; identity at scale 1.
    let x = scale === 1 ? o : outSize > 1 ? f32(f32(f32(o + 0.5) / scale) - 0.5) : 0;
    x = Math.max(0, Math.min(x, inSize - 1));
    const a = Math.min(Math.trunc(x), inSize - 1);
    const b = Math.min(a + 1, inSize - 1);
    i1[o] = a;
    i2[o] = b;
    d1[o] = a === b ? 0.5 : Math.abs(x - a);
    d2[o] = a === b ? 0.5 : Math.abs(x - b);
  }
  return { i1, i2, d1, d2 };
}

/**
 * The top-left outH x outW of an inH x inW -> fullH x fullW bilinear resize, as ORT computes it:
 * y = dx2*dy2*X11 + dx1*dy2*X21 + dx2*dy1*X12 + dx1*dy1*X22, each product and sum rounded to float32.
 */
export function ortResizeBilinear(
  src: Float32Array,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
  full: { h: number; w: number } = { h: outH, w: outW },
): Float32Array {
  const ty = axis(inH, full.h, outH);
  const tx = axis(inW, full.w, outW);
  const out = new Float32Array(outH * outW);
  for (let y = 0; y < outH; y++) {
    const r1 = ty.i1[y] * inW;
    const r2 = ty.i2[y] * inW;
    const dy1 = ty.d1[y];
    const dy2 = ty.d2[y];
    const o = y * outW;
    for (let x = 0; x < outW; x++) {
      const a = tx.i1[x];
      const b = tx.i2[x];
      const dx1 = tx.d1[x];
      const dx2 = tx.d2[x];
      let v = f32(f32(dx2 * dy2) * src[r1 + a]);
      v = f32(v + f32(f32(dx1 * dy2) * src[r1 + b]));
      v = f32(v + f32(f32(dx2 * dy1) * src[r2 + a]));
      out[o + x] = v + f32(f32(dx1 * dy1) * src[r2 + b]);
    }
  }
  return out;
}

/**
 * One candidate's low-res logits (lowResSize^2) -> logits at the original size, byte-equal to the
 * official export's `masks` output for that candidate.
 */
export function postprocessLowRes(
  lowRes: Float32Array,
  lowResSize: number,
  g: LetterboxGeometry,
): Float32Array {
  if (lowRes.length !== lowResSize * lowResSize) {
    throw new RangeError(`low-res logits have ${lowRes.length} values, expected ${lowResSize}x${lowResSize}`);
  }
  const cropped = ortResizeBilinear(lowRes, lowResSize, lowResSize, g.resizedH, g.resizedW, {
    h: g.size,
    w: g.size,
  });
  return ortResizeBilinear(cropped, g.resizedH, g.resizedW, g.origH, g.origW);
}
