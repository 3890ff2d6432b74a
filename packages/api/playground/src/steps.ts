/**
 * Result documents the viewer reads (trajectory.json, steps.json) and their decoding into drawable
 * layers: each step's mask as a tinted bitmap, the SRM map as a heat map. Layers stay at the masks'
 * own (low) resolution; the canvas upsamples them when it draws. The documents' shapes are core's
 * (packages/core/src/jobs/segment-results.ts), imported as types only: nothing of core is bundled.
 */
import type { StepsDocument } from "@alignsam/core/light";

export type Layer = HTMLCanvasElement;

function base64Bytes(b64: string): Uint8Array<ArrayBuffer> {
  const raw = atob(b64);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/** Decode image bytes to RGBA pixels (through a canvas: the page's own blob, so never tainted). */
async function pixels(blob: Blob): Promise<ImageData> {
  const bitmap = await createImageBitmap(blob);
  const canvas = document.createElement("canvas");
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const g = canvas.getContext("2d", { willReadFrequently: true })!;
  g.drawImage(bitmap, 0, 0);
  bitmap.close();
  return g.getImageData(0, 0, canvas.width, canvas.height);
}

function layerFrom(data: ImageData, colour: (v: number) => [number, number, number, number]): Layer {
  const canvas = document.createElement("canvas");
  canvas.width = data.width;
  canvas.height = data.height;
  const out = new ImageData(data.width, data.height);
  for (let i = 0; i < data.data.length; i += 4) out.data.set(colour(data.data[i]), i);
  canvas.getContext("2d")!.putImageData(out, 0, 0);
  return canvas;
}

/** Foreground (grey >= 128, i.e. p >= 0.5) tinted, background transparent. */
const maskColour = (v: number): [number, number, number, number] =>
  v >= 128 ? [30, 144, 255, 255] : [0, 0, 0, 0];

/** Blue (background) to red (foreground), for the SRM's probability map. */
const heatColour = (v: number): [number, number, number, number] => [v, 40, 255 - v, 255];

/** A binary mask PNG (mask.png: 0 / 255, or 0 / 1) as a tinted layer. */
export async function maskLayer(png: Blob): Promise<Layer> {
  return layerFrom(await pixels(png), (v) => maskColour(v > 0 ? 255 : 0));
}

export interface StepLayers {
  masks: Layer[];
  /** The SRM map that labelled each step's clicks (null where the document has none). */
  srms: (Layer | null)[];
  /** The last SRM map (older documents carry only this one). */
  srm: Layer | null;
}

/** Every step's mask and the SRM map of a steps.json, ready to draw. */
export async function stepLayers(doc: StepsDocument): Promise<StepLayers> {
  const png = (b64: string) => new Blob([base64Bytes(b64)], { type: "image/png" });
  const masks = await Promise.all(
    doc.steps.map(async (s) => layerFrom(await pixels(png(s.png)), maskColour)),
  );
  const srms = await Promise.all(
    doc.steps.map(async (s) => (s.srm ? layerFrom(await pixels(png(s.srm.png)), heatColour) : null)),
  );
  const srm = doc.srm ? layerFrom(await pixels(png(doc.srm.png)), heatColour) : null;
  return { masks, srms, srm };
}
