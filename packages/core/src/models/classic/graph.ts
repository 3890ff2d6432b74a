/**
 * The superpixel region graph: per-node mean features, area, centroid, whether the node touches the
 * image border, and 4-neighbour adjacency with the length of each shared boundary. Built once per
 * image in encode; decode only reads it.
 */
import type { Superpixels } from "./superpixels.ts";

export interface RegionGraph {
  readonly count: number;
  /** Feature dimension per node. */
  readonly dims: number;
  /** Node-major mean features: node i, feature f at i * dims + f. */
  readonly features: Float32Array;
  /** Pixels per node (working resolution). */
  readonly area: Float32Array;
  readonly centroidX: Float32Array;
  readonly centroidY: Float32Array;
  /** 1 where the node touches the image border. */
  readonly border: Uint8Array;
  /** CSR adjacency: neighbours of i are neighbours[offsets[i] .. offsets[i+1]). */
  readonly offsets: Int32Array;
  readonly neighbours: Int32Array;
  /** Shared boundary length in pixel edges, aligned with `neighbours`. */
  readonly boundary: Float32Array;
}

/** Build the region graph of `sp` over the given feature planes (working resolution). */
export function buildRegionGraph(sp: Superpixels, planes: readonly Float32Array[]): RegionGraph {
  const { width, height, labels, count } = sp;
  const dims = planes.length;
  const features = new Float32Array(count * dims);
  const area = new Float32Array(count);
  const cxs = new Float32Array(count);
  const cys = new Float32Array(count);
  const border = new Uint8Array(count);
  const pairs = new Map<number, number>();
  const addPair = (a: number, b: number) => {
    if (a === b) return;
    const key = a < b ? a * count + b : b * count + a;
    pairs.set(key, (pairs.get(key) ?? 0) + 1);
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const l = labels[p];
      area[l] += 1;
      cxs[l] += x;
      cys[l] += y;
      for (let f = 0; f < dims; f++) features[l * dims + f] += planes[f][p];
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1) border[l] = 1;
      if (x + 1 < width) addPair(l, labels[p + 1]);
      if (y + 1 < height) addPair(l, labels[p + width]);
    }
  }
  for (let i = 0; i < count; i++) {
    const a = area[i] || 1;
    cxs[i] /= a;
    cys[i] /= a;
    for (let f = 0; f < dims; f++) features[i * dims + f] /= a;
  }
  const degree = new Int32Array(count);
  for (const key of pairs.keys()) {
    degree[Math.floor(key / count)]++;
    degree[key % count]++;
  }
  const offsets = new Int32Array(count + 1);
  for (let i = 0; i < count; i++) offsets[i + 1] = offsets[i] + degree[i];
  const neighbours = new Int32Array(offsets[count]);
  const boundary = new Float32Array(offsets[count]);
  const fill = offsets.slice(0, count);
  // Sorted keys keep the adjacency order, hence every float sum in decode, deterministic.
  const keys = [...pairs.keys()].sort((a, b) => a - b);
  for (const key of keys) {
    const a = Math.floor(key / count);
    const b = key % count;
    const len = pairs.get(key)!;
    neighbours[fill[a]] = b;
    boundary[fill[a]++] = len;
    neighbours[fill[b]] = a;
    boundary[fill[b]++] = len;
  }
  return {
    count,
    dims,
    features,
    area,
    centroidX: cxs,
    centroidY: cys,
    border,
    offsets,
    neighbours,
    boundary,
  };
}

/** Weighted squared feature distance between nodes i and j. */
export function featureDistance(g: RegionGraph, weights: Float32Array, i: number, j: number): number {
  const { dims, features } = g;
  let d = 0;
  for (let f = 0; f < dims; f++) {
    const w = weights[f];
    if (w === 0) continue;
    const diff = features[i * dims + f] - features[j * dims + f];
    d += w * diff * diff;
  }
  return d;
}

/**
 * Random-walker edge conductances w_ij = len_ij * exp(-beta d_ij / mean(d)): the mean normalises
 * beta across images, the boundary length makes long shared borders conduct more.
 */
export function edgeWeights(g: RegionGraph, featureWeights: Float32Array, beta: number): Float32Array {
  const out = new Float32Array(g.neighbours.length);
  let sum = 0;
  for (let i = 0; i < g.count; i++) {
    for (let e = g.offsets[i]; e < g.offsets[i + 1]; e++) {
      out[e] = featureDistance(g, featureWeights, i, g.neighbours[e]);
      sum += out[e];
    }
  }
  const mean = sum / Math.max(1, out.length) || 1;
  for (let e = 0; e < out.length; e++) out[e] = g.boundary[e] * (Math.exp((-beta * out[e]) / mean) + 1e-6);
  return out;
}
