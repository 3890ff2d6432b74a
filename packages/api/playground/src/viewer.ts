/**
 * Draws the result: the image, the mask of the chosen step at the chosen opacity, the SRM map as a
 * heat overlay, and the clicks so far as numbered + / − markers. One canvas, redrawn on every change,
 * so what is shown is always one consistent state.
 */
import type { TrajectoryClick } from "@alignsam/core/light";
import type { Layer } from "./steps.ts";

/** Longest side the canvas is drawn at; larger images are scaled down for display only. */
const MAX_SIDE = 1600;
/** Small images are drawn up to this long side, so masks and markers stay legible. */
const MIN_SIDE = 720;

export interface ViewState {
  image: ImageBitmap;
  /** Mask per step (index = step); may be empty when the job wrote no steps.json. */
  stepMasks: Layer[];
  /** mask.png, shown at the last step (what the download gives). */
  finalMask: Layer | null;
  /** SRM map per step (index = step); falls back to `srm`, the last map. */
  stepSrms: (Layer | null)[];
  srm: Layer | null;
  clicks: TrajectoryClick[];
  step: number;
  lastStep: number;
  opacity: number;
  showSrm: boolean;
  showMarkers: boolean;
}

/** The mask drawn for a step: the final mask at the last step, else that step's low-res mask. */
export function maskFor(state: ViewState): Layer | null {
  if (state.step >= state.lastStep && state.finalMask) return state.finalMask;
  return state.stepMasks[state.step] ?? state.finalMask;
}

function drawMarker(
  g: CanvasRenderingContext2D,
  click: TrajectoryClick,
  n: number,
  scale: number,
  radius: number,
): void {
  const x = click.x * scale;
  const y = click.y * scale;
  g.beginPath();
  g.arc(x, y, radius, 0, Math.PI * 2);
  g.fillStyle = click.label === 1 ? "#16a34a" : "#dc2626";
  g.fill();
  g.lineWidth = Math.max(1.5, radius / 5);
  g.strokeStyle = "#ffffff";
  g.stroke();
  // The sign inside, the click's number beside it.
  g.fillStyle = "#ffffff";
  g.font = `bold ${Math.round(radius * 1.6)}px system-ui, sans-serif`;
  g.textAlign = "center";
  g.textBaseline = "middle";
  g.fillText(click.label === 1 ? "+" : "−", x, y + radius * 0.05);
  const label = String(n);
  g.font = `bold ${Math.round(radius * 1.1)}px system-ui, sans-serif`;
  const w = g.measureText(label).width + radius * 0.6;
  const lx = x + radius * 0.9;
  const ly = y - radius * 1.9;
  g.fillStyle = "rgba(17, 24, 39, 0.85)";
  g.fillRect(lx, ly, w, radius * 1.4);
  g.fillStyle = "#ffffff";
  g.textAlign = "left";
  g.fillText(label, lx + radius * 0.3, ly + radius * 0.72);
}

/** Render the state into the canvas (resizing it to the image's display size). */
export function draw(canvas: HTMLCanvasElement, state: ViewState): void {
  const { image } = state;
  const long = Math.max(image.width, image.height);
  const scale = long > MAX_SIDE ? MAX_SIDE / long : Math.max(1, MIN_SIDE / long);
  const w = Math.round(image.width * scale);
  const h = Math.round(image.height * scale);
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const g = canvas.getContext("2d")!;
  g.globalAlpha = 1;
  g.imageSmoothingEnabled = true;
  g.drawImage(image, 0, 0, w, h);
  const srm = state.stepSrms[state.step] ?? state.srm;
  if (state.showSrm && srm) {
    g.globalAlpha = 0.5;
    g.drawImage(srm, 0, 0, w, h);
  }
  const mask = maskFor(state);
  if (mask && state.opacity > 0) {
    g.globalAlpha = state.opacity;
    g.drawImage(mask, 0, 0, w, h);
  }
  g.globalAlpha = 1;
  if (state.showMarkers) {
    const radius = Math.max(8, Math.round(Math.max(w, h) * 0.016));
    state.clicks.forEach((c, i) => {
      if (c.step <= state.step) drawMarker(g, c, i + 1, scale, radius);
    });
  }
}

/** A sentence for screen readers and the caption: what this step shows. */
export function describeStep(state: ViewState): string {
  const shown = state.clicks.filter((c) => c.step <= state.step);
  const pos = shown.filter((c) => c.label === 1).length;
  const neg = shown.length - pos;
  const counts = `${shown.length} click${shown.length === 1 ? "" : "s"} (${pos} +, ${neg} −)`;
  if (state.step === 0) {
    return `Step 0 of ${state.lastStep}: initial prompts from the SRM map, ${counts}.`;
  }
  const latest = state.clicks.filter((c) => c.step === state.step);
  const what = latest
    .map((c) => `${c.label === 1 ? "+" : "−"} at (${Math.round(c.x)}, ${Math.round(c.y)})`)
    .join(", ");
  const which = state.step >= state.lastStep && state.finalMask ? " Final mask." : "";
  return `Step ${state.step} of ${state.lastStep}: click ${what || "none"}; ${counts}.${which}`;
}
