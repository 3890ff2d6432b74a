/**
 * What the handler tests share: a handler context on the test emulator (the real core engine with
 * the shipped policies, the built-in tasks) and a labelled picture generated in code.
 */
import { fileURLToPath } from "node:url";
import { defaultTaskRegistry, type JobMessageInput } from "@alignsam/core/light";
import sharp from "sharp";
import { type HandlerContext, jsonLogger } from "../context.ts";
import { createCoreEngine } from "../core-engine.ts";
import type { Storage } from "../storage.ts";

/** The policies shipped in the repository (policies/<task>/). */
export const SHIPPED_POLICIES = fileURLToPath(new URL("../../../../policies", import.meta.url));

/**
 * A context whose follow-up messages go to `enqueue` (default: dropped) and whose log lines go to
 * `onLog` (default: dropped).
 * @example const ctx = testHandlerContext(emu.storage, { enqueue: async (m) => { sent.push(m); } });
 */
export function testHandlerContext(
  storage: Storage,
  o: {
    enqueue?: (message: JobMessageInput) => Promise<void>;
    now?: () => Date;
    onLog?: (line: string) => void;
  } = {},
): HandlerContext {
  return {
    storage,
    engine: createCoreEngine({ bundledPolicyDir: SHIPPED_POLICIES }),
    tasks: defaultTaskRegistry,
    log: jsonLogger({}, o.onLog ?? (() => {})),
    enqueue: o.enqueue ?? (async () => {}),
    now: o.now ?? (() => new Date()),
  };
}

/**
 * A bright disc of radius `r` (exclusive) centred on a w x h darker ground, as PNGs: the image and
 * its binary mask, with the mask's foreground pixel count.
 */
export async function discPair(
  w: number,
  h: number,
  r: number,
): Promise<{ image: Uint8Array; mask: Uint8Array; foreground: number }> {
  const rgb = Buffer.alloc(w * h * 3);
  const grey = Buffer.alloc(w * h);
  let foreground = 0;
  for (let i = 0; i < w * h; i++) {
    const inside = ((i % w) - w / 2) ** 2 + (Math.floor(i / w) - h / 2) ** 2 < r ** 2;
    grey[i] = inside ? 255 : 0;
    foreground += inside ? 1 : 0;
    rgb.set(inside ? [240, 210, 30] : [40, 80, 120], i * 3);
  }
  const png = async (data: Buffer, channels: 1 | 3) =>
    new Uint8Array(
      await sharp(data, { raw: { width: w, height: h, channels } })
        .png()
        .toBuffer(),
    );
  return { image: await png(rgb, 3), mask: await png(grey, 1), foreground };
}
