/**
 * The classic "image encoder": feature stack -> 64 x 64 embedding, SLIC superpixels -> region graph.
 * It is the expensive half (tens to hundreds of ms), run once per image and cached by callers.
 */
import { AlignSamError } from "../../errors.ts";
import type { RgbImage } from "../../image/types.ts";
import type { Embedding } from "../ports.ts";
import { computePixelBlend } from "./blend.ts";
import { computeFeatures, FEATURE_NAMES } from "./features.ts";
import { buildRegionGraph, edgeWeights, featureDistance } from "./graph.ts";
import {
  CLASSIC_EMBEDDING_SIZE,
  CLASSIC_LOW_RES_SIZE,
  CLASSIC_MODEL_ID,
  type ResolvedClassicOptions,
} from "./options.ts";
import { nearestIndex, resizeArea } from "./resample.ts";
import type { ClassicState } from "./state.ts";
import { slic } from "./superpixels.ts";
import { EDGE_FEATURE_WEIGHTS, PRIOR_FEATURE_WEIGHTS } from "./weights.ts";

/** Lab units one standard deviation of detail sharpness is worth when clustering superpixels. */
const SLIC_SHARPNESS_SCALE = 6;

/** Lab units of the pixel-refinement colour kernel. */
const BLEND_COLOUR_SIGMA = 8;

/** Working pixel index under each pixel of a dstW x dstH frame stretched over the working image. */
function pixelMap(workW: number, workH: number, dstW: number, dstH: number): Int32Array {
  const out = new Int32Array(dstW * dstH);
  const xs = nearestIndex(dstW, workW);
  const ys = nearestIndex(dstH, workH);
  for (let y = 0; y < dstH; y++) {
    const row = ys[y] * workW;
    for (let x = 0; x < dstW; x++) out[y * dstW + x] = row + xs[x];
  }
  return out;
}

/** Encode an RGB image into the classic embedding and decoder state. */
export function encodeClassic(image: RgbImage, options: ResolvedClassicOptions): Embedding {
  if (image.width < 1 || image.height < 1 || image.data.length !== image.width * image.height * 3) {
    throw new AlignSamError(
      "IMAGE_EMPTY",
      `cannot encode a ${image.width}x${image.height} image with ${image.data.length} bytes; expected width*height*3 bytes`,
    );
  }
  const stack = computeFeatures(image, options.workingLongSide);
  const { width, height, planes } = stack;
  const detail = planes[FEATURE_NAMES.indexOf("laplacian_energy_detail")];
  const sharpness = new Float32Array(detail.length);
  for (let i = 0; i < detail.length; i++) sharpness[i] = detail[i] * SLIC_SHARPNESS_SCALE;
  const sp = slic([stack.lab.L, stack.lab.a, stack.lab.b, sharpness], width, height, {
    step: options.superpixelStep,
    compactness: options.compactness,
    iterations: options.slicIterations,
  });
  const graph = buildRegionGraph(sp, planes);
  const weights = edgeWeights(graph, EDGE_FEATURE_WEIGHTS, options.beta);
  let distSum = 0;
  let degreeSum = 0;
  for (let i = 0; i < graph.count; i++) {
    for (let e = graph.offsets[i]; e < graph.offsets[i + 1]; e++) {
      distSum += featureDistance(graph, PRIOR_FEATURE_WEIGHTS, i, graph.neighbours[e]);
      degreeSum += weights[e];
    }
  }
  const active = [...PRIOR_FEATURE_WEIGHTS.keys()].filter((f) => PRIOR_FEATURE_WEIGHTS[f] > 0);
  const priorFeatures = new Float32Array(graph.count * active.length);
  for (let i = 0; i < graph.count; i++) {
    active.forEach((f, k) => {
      priorFeatures[i * active.length + k] =
        graph.features[i * graph.dims + f] * Math.sqrt(PRIOR_FEATURE_WEIGHTS[f]);
    });
  }
  const state: ClassicState = {
    kind: "classic",
    workWidth: width,
    workHeight: height,
    labels: sp.labels,
    graph,
    edgeWeights: weights,
    priorFeatures,
    priorDims: active.length,
    lowResPixels: pixelMap(width, height, CLASSIC_LOW_RES_SIZE, CLASSIC_LOW_RES_SIZE),
    blend: options.pixelRefine
      ? computePixelBlend(sp.labels, width, stack.lab, graph, {
          colourSigma: BLEND_COLOUR_SIGMA,
          spatialSigma: options.superpixelStep,
        })
      : undefined,
    meanNeighbourDistance: distSum / Math.max(1, graph.neighbours.length) || 1,
    meanDegree: degreeSum / Math.max(1, graph.count) || 1,
  };
  const size = CLASSIC_EMBEDDING_SIZE;
  const data = new Float32Array(planes.length * size * size);
  planes.forEach((plane, c) => {
    data.set(resizeArea(plane, width, height, 1, size, size), c * size * size);
  });
  return {
    modelId: CLASSIC_MODEL_ID,
    channels: planes.length,
    height: size,
    width: size,
    data,
    imageWidth: image.width,
    imageHeight: image.height,
    backendState: state,
  };
}
