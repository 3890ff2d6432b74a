/**
 * The playground page in a real (headless) Chromium against the real local stack: emulator, API
 * process and a worker process. A generated image goes in through the file picker; the test waits
 * for the mask, steps through the trajectory by mouse and keyboard, downloads the mask PNG, shows an
 * API error as the API words it, checks the page at phone width, and runs a batch of three images
 * uploaded through the API to its downloaded archive, and trains a task of its own from a generated
 * zip, refused promotion by the guard. Screenshots of each state go to
 * test-output/screenshots/; with ALIGNSAM_UPDATE_SCREENSHOTS=1 the result view is also copied to
 * docs/images/playground.png.
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { EvaluationManifestSchema, evaluationManifestKey, evaluationPrefix } from "@alignsam/core/light";
import { unzipSync, zipSync } from "fflate";
import type { Browser, BrowserContext, Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_ANONYMOUS_TENANT, REPO_ROOT } from "../../infra/local/stack.ts";
import { ensurePlaygroundBuilt } from "../../packages/api/playground/build.ts";
import { sceneFixture } from "../e2e/fixtures.ts";
import { type E2eStack, startE2eStack } from "../e2e/harness.ts";
import { CHROMIUM, confineTo, discScene, HAVE_CHROMIUM, launchChromium } from "./browser.ts";

const SHOTS = join(REPO_ROOT, "test-output/screenshots");

/** The viewer canvas's RGBA pixels. */
async function canvasPixels(page: Page): Promise<Uint8Array> {
  const data = await page.evaluate(() => {
    const c = document.getElementById("canvas") as HTMLCanvasElement;
    return Array.from(c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data);
  });
  return Uint8Array.from(data);
}

/** Share of pixels whose colour differs by more than 24 in some channel between two renders. */
function changedShare(a: Uint8Array, b: Uint8Array): number {
  let changed = 0;
  for (let i = 0; i < a.length; i += 4) {
    if (Math.max(Math.abs(a[i] - b[i]), Math.abs(a[i + 1] - b[i + 1]), Math.abs(a[i + 2] - b[i + 2])) > 24) {
      changed++;
    }
  }
  return changed / (a.length / 4);
}

/** Set a range input as a user would (the page listens for "input"). */
async function setRange(page: Page, selector: string, value: number): Promise<void> {
  await page.fill(selector, String(value));
  await page.dispatchEvent(selector, "input");
}
const DOCS_SHOT = join(REPO_ROOT, "docs/images/playground.png");
const WIDTH = 320;
const HEIGHT = 240;

const SUITE = HAVE_CHROMIUM
  ? "playground page in Chromium"
  : `playground page in Chromium — skipped: no Chromium at ${CHROMIUM} (set ALIGNSAM_CHROMIUM)`;

// Say why in the run's output too, not only in the skipped suite's title.
if (!HAVE_CHROMIUM) {
  console.warn(
    `browser tests skipped: no Chromium at ${CHROMIUM}. Install Debian's (apt-get install chromium) or set ALIGNSAM_CHROMIUM.`,
  );
}

describe.skipIf(!HAVE_CHROMIUM)(SUITE, () => {
  let e2e: E2eStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let offsite: string[];
  const pageErrors: string[] = [];
  const notFound: string[] = [];
  let apiUrl: string;

  const shot = (name: string, fullPage = true) =>
    page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
  const step = async () => Number(await page.locator("#canvas").getAttribute("data-step"));

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    await ensurePlaygroundBuilt();
    [e2e, browser] = await Promise.all([
      startE2eStack({
        api: true,
        workers: 1,
        workerEnv: { ALIGNSAM_WAIT_TIME_SECONDS: "1" },
      }),
      launchChromium(),
    ]);
    apiUrl = e2e.stack.apiUrl!;
    context = await browser.newContext({ viewport: { width: 1100, height: 900 }, acceptDownloads: true });
    offsite = await confineTo(context, new URL(apiUrl).origin);
    page = await context.newPage();
    page.on("pageerror", (err) => pageErrors.push(String(err)));
    page.on("response", (r) => {
      if (r.status() === 404) notFound.push(r.url());
    });
    page.on("console", (msg) => {
      if (msg.type() === "error") pageErrors.push(msg.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await e2e?.stop();
  });

  it("loads the page and its tasks from the API, with nothing fetched off-site", async () => {
    const res = await page.goto(apiUrl);
    expect(res?.status()).toBe(200);
    // The page names its own (inline) icon, so no browser asks for /favicon.ico and gets a 404.
    expect(await page.locator('link[rel="icon"]').getAttribute("href")).toBe("data:,");
    expect(res?.headers()["content-security-policy"]).toContain("default-src 'self'");
    await expect.poll(() => page.locator("#task option").count()).toBeGreaterThan(1);
    const tasks = (await (await fetch(`${apiUrl}/v1/tasks`)).json()) as { tasks: Array<{ name: string }> };
    const options = await page
      .locator("#task option")
      .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(options).toEqual(tasks.tasks.map((t) => t.name));
    await expect
      .poll(() => page.locator("#evaluations-status").textContent())
      .toContain("No evaluations yet");
    await shot("1-empty");
  });

  it("lists recent evaluations with a link to each one's report", async () => {
    // An evaluation as the API and the reduce step leave it, under the local stack's anonymous tenant.
    const tenant = LOCAL_ANONYMOUS_TENANT;
    const manifest = EvaluationManifestSchema.parse({
      v: 1,
      evalId: "ev1",
      jobId: "ev1",
      tenant,
      task: "saliency",
      datasetId: "discs",
      shards: [{ index: 0, items: [{ id: "d0", image: "d0.png", mask: "d0.png" }] }],
      createdAt: new Date().toISOString(),
    });
    await e2e.c.put(evaluationManifestKey(tenant, "ev1"), JSON.stringify(manifest));
    await e2e.c.put(`${evaluationPrefix(tenant, "ev1")}report.html`, "<h1>Evaluation ev1</h1>");
    await page.click("#evaluations-refresh");
    await expect.poll(() => page.locator("#evaluations-status").textContent()).toBe("1 recent evaluation.");
    const link = page.locator("#evaluations a");
    expect(await link.textContent()).toBe("Open report");
    expect(await page.locator("#evaluations li").textContent()).toMatch(/^saliency · 1 images · /);
    const report = await fetch((await link.getAttribute("href"))!);
    expect(await report.text()).toBe("<h1>Evaluation ev1</h1>");
  });

  it("takes an image dropped on the drop zone", async () => {
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array([137, 80, 78, 71])], "dropped.png", { type: "image/png" }));
      document
        .getElementById("drop-zone")!
        .dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true }));
    });
    expect(await page.locator("#image-name").textContent()).toBe("Chosen: dropped.png (1 KiB)");
    expect(await page.locator("#image").evaluate((i) => (i as HTMLInputElement).files?.[0]?.name)).toBe(
      "dropped.png",
    );
  });

  it("segments a generated image and shows the mask over it", async () => {
    await page.selectOption("#task", "saliency");
    await page.setInputFiles("#image", {
      name: "disc.png",
      mimeType: "image/png",
      buffer: Buffer.from(await discScene(WIDTH, HEIGHT)),
    });
    await page.click("#run");
    await expect
      .poll(() => page.evaluate(() => document.body.dataset.state), { timeout: 45_000 })
      .toBe("done");
    expect(await page.locator("#status").textContent()).toMatch(/succeeded/);
    expect(await page.locator("#result").isVisible()).toBe(true);
    // The canvas shows the image (aspect kept), tinted where the mask is: at the default opacity
    // part of the picture differs from the bare image that opacity 0 shows. (Which part depends on
    // the shipped policy, so the test does not pin pixels.)
    const [cw, ch] = await page
      .locator("#canvas")
      .evaluate((c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]);
    expect(cw / ch).toBeCloseTo(WIDTH / HEIGHT, 2);
    await page.uncheck("#show-markers");
    const tinted = await canvasPixels(page);
    await setRange(page, "#opacity", 0);
    const bare = await canvasPixels(page);
    const share = changedShare(tinted, bare);
    expect(share).toBeGreaterThan(0.01);
    expect(share).toBeLessThan(0.99);
    await setRange(page, "#opacity", 55);
    await page.check("#show-markers");
    expect(await page.locator("#step-caption").textContent()).toMatch(/Final mask/);
    await shot("2-result");
    // The picture for the docs: title to the end of the result, the page's width.
    await page.evaluate(() => window.scrollTo(0, 0)); // boxes are measured from the viewport's top
    const main = (await page.locator("main").boundingBox())!;
    const result = (await page.locator("#result").boundingBox())!;
    await page.screenshot({
      path: join(SHOTS, "playground.png"),
      fullPage: true,
      clip: { x: main.x, y: 0, width: main.width, height: result.y + result.height + 12 },
    });
    if (process.env.ALIGNSAM_UPDATE_SCREENSHOTS === "1") {
      mkdirSync(join(REPO_ROOT, "docs/images"), { recursive: true });
      copyFileSync(join(SHOTS, "playground.png"), DOCS_SHOT);
    }
  });

  it("steps through the trajectory with numbered clicks, by mouse and by keyboard", async () => {
    const last = await step();
    expect(last).toBeGreaterThan(0);
    // One mask per step from steps.json: the initial prompts' and one after each click.
    expect(await page.locator("#canvas").getAttribute("data-step-masks")).toBe(String(last + 1));
    const clicks = await page.locator("#clicks li").allTextContents();
    expect(clicks.length).toBeGreaterThan(last);
    expect(clicks[0]).toMatch(/^1 [+−] \(\d+, \d+\)$/);
    await page.click("#step-prev");
    expect(await step()).toBe(last - 1);
    expect(await page.locator("#clicks li.future").count()).toBeGreaterThan(0);
    // Keyboard: focus the slider, Home goes to the start, the arrow keys move a step.
    await page.focus("#step");
    await page.keyboard.press("Home");
    expect(await step()).toBe(0);
    expect(await page.locator("#step-caption").textContent()).toMatch(/^Step 0 of \d+: initial prompts/);
    await page.check("#show-srm");
    await shot("3-step0-srm");
    // The heat overlay is the SRM map that labelled this step's clicks, so it changes with the step
    // (masks hidden, so only the overlay can differ).
    await setRange(page, "#opacity", 0);
    const heatAtStart = await canvasPixels(page);
    await page.focus("#step");
    await page.keyboard.press("Tab"); // focus moves on to the Next button, and Enter presses it
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("step-next");
    await page.keyboard.press("Enter");
    expect(await step()).toBe(1);
    const heatAtStep1 = await canvasPixels(page);
    expect(heatAtStep1.some((v, i) => v !== heatAtStart[i])).toBe(true);
    await page.uncheck("#show-srm");
    await setRange(page, "#opacity", 90);
    await shot("4-step1");
    await setRange(page, "#step", last);
    expect(await step()).toBe(last);
  });

  it("downloads the mask as a PNG of the input's size", async () => {
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-mask")]);
    expect(download.suggestedFilename()).toBe("mask.png");
    const meta = await sharp(await readFile((await download.path())!)).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", WIDTH, HEIGHT]);
    const [rle] = await Promise.all([page.waitForEvent("download"), page.click("#download-rle")]);
    const coco = JSON.parse(await readFile((await rle.path())!, "utf8")) as {
      size: number[];
      counts: string;
    };
    expect(coco.size).toEqual([HEIGHT, WIDTH]);
  });

  it("waits out a 429 while polling instead of giving up", async () => {
    // Fault injection: the first status poll is answered as the rate limiter would.
    let limited = 0;
    await page.route(/\/v1\/jobs\/[^/]+$/, (route) => {
      if (limited++ > 0) return route.continue();
      return route.fulfill({
        status: 429,
        headers: { "content-type": "application/json", "retry-after": "1" },
        body: JSON.stringify({
          error: { code: "RATE_LIMITED", message: "too many requests", requestId: "t" },
        }),
      });
    });
    await page.setInputFiles("#image", {
      name: "disc.png",
      mimeType: "image/png",
      buffer: Buffer.from(await discScene(96, 72)),
    });
    await page.click("#run");
    await expect
      .poll(() => page.evaluate(() => document.body.dataset.state), { timeout: 45_000 })
      .toBe("done");
    expect(limited).toBeGreaterThan(1);
    await page.unroute(/\/v1\/jobs\/[^/]+$/);
  });

  it("fits a phone's width (375 px) without sideways scrolling", async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot("5-phone");
  });
  it("shows an API error as the API words it", async () => {
    const notImage = Buffer.from("this is not an image, whatever its name says");
    const form = new FormData();
    form.set("image", new File([notImage], "fake.png", { type: "image/png" }));
    form.set("task", "saliency");
    const direct = (await (await fetch(`${apiUrl}/v1/segment`, { method: "POST", body: form })).json()) as {
      error: { code: string; message: string };
    };
    await page.setInputFiles("#image", { name: "fake.png", mimeType: "image/png", buffer: notImage });
    await page.click("#run");
    await expect.poll(() => page.evaluate(() => document.body.dataset.state)).toBe("error");
    const shown = await page.locator("#error").textContent();
    expect(shown).toBe(`${direct.error.message} (${direct.error.code})`);
    expect(await page.locator("#error").getAttribute("role")).toBe("alert");
    await shot("6-error");
  });

  it("sends the API key it keeps when one is filled in, and forgets it on request", async () => {
    const direct = (await (
      await fetch(`${apiUrl}/v1/tasks`, { headers: { Authorization: "Bearer not-a-real-key" } })
    ).json()) as { error: { code: string; message: string } };
    expect(direct.error.code).toBe("UNAUTHORIZED");
    await page.click("#settings summary");
    await page.fill("#api-key", "not-a-real-key");
    await page.locator("#api-key").blur(); // "change" stores it
    expect(await page.evaluate(() => localStorage.getItem("alignsam.apiKey"))).toBe("not-a-real-key");
    // A new key reloads the task list with it: the API refuses the key, and says so in its words.
    await expect
      .poll(() => page.locator("#error").textContent())
      .toBe(`Could not load the tasks: ${direct.error.message} (${direct.error.code})`);
    await expect
      .poll(() => page.locator("#evaluations-status").textContent())
      .toContain(direct.error.message);
    await shot("7-bad-key");
    await page.click("#api-key-clear");
    expect(await page.evaluate(() => localStorage.getItem("alignsam.apiKey"))).toBeNull();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("api-key");
    // Without the key the page works again: tasks back, error gone.
    await expect.poll(() => page.locator("#task option").count()).toBeGreaterThan(1);
    expect(await page.locator("#error").isVisible()).toBe(false);
    expect(offsite).toEqual([]);
    expect(notFound).toEqual([]);
    // The only console errors allowed are the browser's notes of the 415, 401 and 429 above.
    expect(pageErrors.filter((e) => !/status of 4(15|01|29)/.test(e))).toEqual([]);
  });

  it("uploads several images through the API, segments them as a batch and downloads the archive", async () => {
    await page.setViewportSize({ width: 1100, height: 900 });
    await page.selectOption("#batch-task", "saliency");
    const files = await Promise.all(
      [0, 1, 2].map(async (i) => ({
        name: `disc-${i}.png`,
        mimeType: "image/png",
        buffer: Buffer.from(await discScene(96 + 16 * i, 72)),
      })),
    );
    // A fourth file that is no image: refused on its own, with the API's words; the rest go on.
    const fake = { name: "fake.png", mimeType: "image/png", buffer: Buffer.from("not an image at all") };
    await page.setInputFiles("#batch-images", [...files, fake]);
    await page.click("#batch-run");
    await expect
      .poll(() => page.locator("#batch-form").getAttribute("data-state"), { timeout: 40_000 })
      .toMatch(/^(done|error)$/);
    expect(await page.locator("#batch-error").textContent()).toBe("");
    const rows = await page.locator("#batch-files li").allTextContents();
    expect(rows.slice(0, 3)).toEqual(files.map((f) => `${f.name}: uploaded`));
    expect(rows[3]).toMatch(/^fake\.png: not uploaded: .*\(IMAGE_UNSUPPORTED_FORMAT\)$/);
    expect(await page.locator("#batch-status").textContent()).toMatch(
      /succeeded: 3 of 3 images segmented\.$/,
    );
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#batch-zip")]);
    expect(download.suggestedFilename()).toMatch(/-batch\.zip$/);
    const zip = await readFile((await download.path())!);
    expect(zip.subarray(0, 2).toString("latin1")).toBe("PK");
    const entries = Object.keys(unzipSync(zip));
    expect(entries.filter((e) => e.startsWith("masks/"))).toHaveLength(3);
    expect(entries).toContain("coco.json");
    await shot("8-batch");
  });

  it("defines a task, imports a zip, trains with live progress, reports the guard's refusal and lists the task", async () => {
    // Five 64x64 disc pairs and a mask without an image: too few for the guard (20 held out, 10 to train).
    const entries: Record<string, Uint8Array> = {};
    for (let i = 0; i < 5; i++) {
      const f = await sceneFixture({ width: 64, height: 64, cx: 0.3 + 0.1 * i, r: 0.2, seed: i + 1 });
      entries[`images/d${i}.png`] = f.image;
      entries[`masks/d${i}.png`] = f.mask;
    }
    entries["masks/stray.png"] = (await sceneFixture({ width: 64, height: 64, seed: 9 })).mask;
    // Every line the status and progress showed, in order (a short run may pass a state between polls).
    await page.evaluate(() => {
      const log: string[] = [];
      (window as unknown as { trainLog: string[] }).trainLog = log;
      for (const id of ["train-status", "train-details"]) {
        const el = document.getElementById(id)!;
        new MutationObserver(() => log.push(`${id}: ${el.textContent}`)).observe(el, { childList: true });
      }
    });
    await page.fill("#train-name", "discs");
    await page.fill("#train-texts", "bright disc");
    for (const [field, value] of [
      ["episodes", 1],
      ["steps", 3],
      ["ppoEpochs", 1],
      ["srmMaxEpochs", 2],
      ["srmAugment", 0],
    ] as const) {
      await page.fill(`#train-${field}`, String(value));
    }
    await page.setInputFiles("#train-archive", {
      name: "discs.zip",
      mimeType: "application/zip",
      buffer: Buffer.from(zipSync(entries)),
    });
    await page.click("#train-run");
    await expect
      .poll(() => page.locator("#train-form").getAttribute("data-state"), { timeout: 60_000 })
      .toMatch(/^(done|error)$/);
    expect(await page.locator("#train-error").textContent()).toBe("");
    expect(await page.locator("#train-dataset-status").textContent()).toMatch(
      /: 5 pairs imported, 1 file refused\.$/,
    );
    expect(await page.locator("#train-dataset-files li").allTextContents()).toEqual([
      expect.stringMatching(/^masks\/stray\.png: refused: .*\(UNPAIRED\)$/),
    ]);
    const log = await page.evaluate(() => (window as unknown as { trainLog: string[] }).trainLog);
    expect(log).toContainEqual(
      expect.stringMatching(/^train-status: Training \w+: (loading|encoding|fitting|training|scoring)/),
    );
    expect(log).toContainEqual(
      expect.stringMatching(/^train-details: Episodes (\d+) of \1 · reward -?\d.* · SRM loss \d/),
    );
    // The report: refused, naming the minimum; scores and baselines; no Promote button for it.
    expect(await page.locator("#train-decision").textContent()).toMatch(
      /^Not promoted: 1 held-out image\(s\) scored; promotion needs at least 20 .*4 training image\(s\); promotion needs at least 10/,
    );
    expect(await page.locator("#train-summary").textContent()).toMatch(
      /^Trained on 4 images, judged on 1 held-out\./,
    );
    expect(await page.locator("#train-scores tbody tr").count()).toBe(1);
    expect(await page.locator("#train-baselines").textContent()).toContain("SRM map alone");
    expect(await page.locator("#train-promote").isVisible()).toBe(false);
    // Its version, refused by the guard: promoting it anyway gets the API's 409 and its reason.
    expect(await page.locator("#train-serving").textContent()).toMatch(/^Serving: none of your versions yet/);
    expect(await page.locator("#train-versions li").textContent()).toContain("refused by the guard");
    expect(await page.locator("#train-rollback").isDisabled()).toBe(true);
    await page.click("#train-versions li button");
    await expect
      .poll(() => page.locator("#train-error").textContent())
      .toMatch(/at least 20 .*\(PROMOTION_REFUSED\)$/);
    // The new task is in the segment panel's list, marked as the tenant's own.
    expect(await page.locator('#task option[value="discs"]').textContent()).toBe("discs (yours)");
    await shot("9-training");
  }, 90_000);

  it("trains a promotable version of the same task, promotes it from the report and rolls it back", async () => {
    // 30 pairs: 20 held out and 10 to train, the guard's minimums; promotion left to the page.
    const entries: Record<string, Uint8Array> = {};
    for (let i = 0; i < 30; i++) {
      const f = await sceneFixture({ width: 48, height: 48, cx: 0.3 + 0.04 * (i % 10), r: 0.2, seed: i + 1 });
      entries[`images/p${i}.png`] = f.image;
      entries[`masks/p${i}.png`] = f.mask;
    }
    await page.selectOption("#train-task", "discs");
    expect(await page.locator("#train-new").isVisible()).toBe(false);
    await page.selectOption("#train-promote-mode", "manual");
    await page.setInputFiles("#train-archive", {
      name: "discs-30.zip",
      mimeType: "application/zip",
      buffer: Buffer.from(zipSync(entries)),
    });
    await page.click("#train-run");
    await expect
      .poll(() => page.locator("#train-form").getAttribute("data-state"), { timeout: 90_000 })
      .toMatch(/^(done|error)$/);
    expect(await page.locator("#train-error").textContent()).toBe("");
    expect(await page.locator("#train-summary").textContent()).toMatch(
      /^Trained on 10 images, judged on 20 held-out\./,
    );
    expect(await page.locator("#train-decision").textContent()).toMatch(/^Not promoted: promotable /);
    await page.click("#train-promote");
    await expect
      .poll(() => page.locator("#train-serving").textContent())
      .toMatch(/^Serving: your version \w{8}\.$/);
    expect(await page.locator("#train-promote").isVisible()).toBe(false);
    expect(await page.locator("#train-versions li").allTextContents()).toContainEqual(
      expect.stringMatching(/ · serving $/),
    );
    await page.click("#train-rollback");
    await expect
      .poll(() => page.locator("#train-serving").textContent())
      .toMatch(/^Serving: none of your versions yet/);
    expect(await page.locator("#train-rollback").isDisabled()).toBe(true);
    expect(await page.locator("#train-status").textContent()).toBe("Rolled back discs.");
  }, 120_000);
});
