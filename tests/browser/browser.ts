/**
 * Browser-test support: Debian's headless Chromium driven by playwright-core (never a downloaded
 * browser), kept offline, and a generated test image (never a dataset image).
 */
import { existsSync } from "node:fs";
import { type Browser, type BrowserContext, chromium } from "playwright-core";
import sharp from "sharp";

export const CHROMIUM = process.env.ALIGNSAM_CHROMIUM ?? "/usr/bin/chromium";
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

/** Flags that keep Chromium quiet and off the network beyond what the page itself asks for. */
const OFFLINE_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--no-first-run",
  "--no-default-browser-check",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-default-apps",
  "--disable-domain-reliability",
  "--disable-sync",
  "--disable-extensions",
  "--metrics-recording-only",
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: OFFLINE_ARGS, headless: true });
}

/**
 * Abort every request that leaves `origin` and record it, so a test can prove the page needs no CDN
 * and nothing else off-site.
 */
export async function confineTo(context: BrowserContext, origin: string): Promise<string[]> {
  const offsite: string[] = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`) || url.startsWith("blob:") || url.startsWith("data:")) {
      return route.continue();
    }
    offsite.push(url);
    return route.abort("blockedbyclient");
  });
  return offsite;
}

/**
 * A bright disc on a textured, darker background (salient by construction), as PNG bytes.
 */
export async function discScene(width = 320, height = 240): Promise<Uint8Array> {
  const rgb = new Uint8Array(width * height * 3);
  const cx = width * 0.55;
  const cy = height * 0.5;
  const r = Math.min(width, height) * 0.28;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) {
        rgb.set([250, 205, 60], i);
      } else {
        const t = ((x * 7 + y * 13) % 23) + (((x >> 3) + (y >> 3)) % 2) * 18;
        rgb.set([40 + t, 70 + t, 95 + t], i);
      }
    }
  }
  return new Uint8Array(
    await sharp(rgb, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer(),
  );
}
