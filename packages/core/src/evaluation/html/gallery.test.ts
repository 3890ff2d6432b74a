import sharp from "sharp";
import { describe, expect, it } from "vitest";
import type { RgbImage } from "../../image/types.ts";
import type { BinaryMask } from "../../mask/types.ts";
import { pickGalleryCases, renderGalleryPanels, withGalleryPanels } from "./gallery.ts";

/** A 400x300 gradient with a bright disc, and the disc as the mask. */
function scene(): { image: RgbImage; mask: BinaryMask } {
  const width = 400;
  const height = 300;
  const data = new Uint8Array(width * height * 3);
  const mask = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = (x - 200) ** 2 + (y - 150) ** 2 < 80 ** 2;
      const i = y * width + x;
      mask[i] = inside ? 1 : 0;
      data.set(inside ? [230, 200, 40] : [x % 256, y % 256, 90], i * 3);
    }
  }
  return { image: { width, height, data }, mask: { width, height, data: mask } };
}

async function decodeDataUri(uri: string) {
  const match = /^data:image\/(png|jpeg);base64,(.+)$/.exec(uri);
  expect(match).not.toBeNull();
  return sharp(Buffer.from(match![2], "base64")).metadata();
}

describe("picking gallery cases", () => {
  const records = [0.4, 0.9, 0.1, 0.6, 0.5].map((v, i) => ({
    id: `img${i}`,
    metrics: { mIoU: v, MAE: 1 - v },
  }));

  it("takes the best, median and worst image by IoU", () => {
    expect(pickGalleryCases(records, "mIoU").map((c) => [c.rank, c.id])).toEqual([
      ["best", "img1"],
      ["median", "img4"],
      ["worst", "img2"],
    ]);
  });

  it("ranks a lower-is-better metric the other way round", () => {
    expect(pickGalleryCases(records, "MAE").map((c) => c.id)).toEqual(["img1", "img4", "img2"]);
  });

  it("never shows an image twice and skips images without a score", () => {
    expect(pickGalleryCases([{ id: "a", metrics: { mIoU: 0.3 } }]).map((c) => c.rank)).toEqual(["best"]);
    const two = [
      { id: "a", metrics: { mIoU: 0.3 } },
      { id: "b", metrics: { mIoU: null } },
      { id: "c", metrics: { mIoU: 0.8 } },
    ];
    expect(pickGalleryCases(two).map((c) => c.id)).toEqual(["c", "a"]);
    expect(pickGalleryCases([])).toEqual([]);
  });
});

describe("gallery thumbnails", () => {
  it("downscales photo, truth and prediction to 160 px and scales the clicks with them", async () => {
    const { image, mask } = scene();
    const panels = await renderGalleryPanels(
      {
        image,
        truth: mask,
        prediction: mask,
        clicks: [
          { x: 200, y: 150, label: 1, step: 1 },
          { x: 20, y: 30, label: 0, step: 2 },
        ],
      },
      "images",
    );
    expect([panels.width, panels.height]).toEqual([160, 120]);
    for (const uri of [panels.image!, panels.truth, panels.prediction]) {
      const meta = await decodeDataUri(uri);
      expect([meta.width, meta.height]).toEqual([160, 120]);
    }
    expect(panels.clicks).toEqual([
      { x: 80, y: 60, label: 1, order: 1 },
      { x: 8, y: 12, label: 0, order: 2 },
    ]);
    // Three thumbnails stay small enough for a report to carry a gallery.
    expect(panels.image!.length + panels.truth.length + panels.prediction.length).toBeLessThan(40_000);
  });

  it("leaves the photo out in masks-only mode", async () => {
    const { image, mask } = scene();
    const panels = await renderGalleryPanels(
      { image, truth: mask, prediction: mask, clicks: [] },
      "masks-only",
    );
    expect(panels.image).toBeUndefined();
    const { data, info } = await sharp(Buffer.from(panels.prediction.split(",")[1], "base64"))
      .raw()
      .toBuffer({ resolveWithObject: true });
    // The centre of the disc is white, a corner black: a mask picture, not the photo.
    const at = (x: number, y: number) => data[(y * info.width + x) * info.channels];
    expect([at(80, 60), at(2, 2)]).toEqual([255, 0]);
  });

  it("refuses a mask of another size with MASK_SHAPE", async () => {
    const { image, mask } = scene();
    const small = { width: 10, height: 10, data: new Uint8Array(100) };
    await expect(
      renderGalleryPanels({ image, truth: small, prediction: mask, clicks: [] }, "images"),
    ).rejects.toMatchObject({ code: "MASK_SHAPE" });
  });

  it("loads nothing when the mode is none", async () => {
    const cases = [{ rank: "best" as const, id: "a", metrics: { mIoU: 1 } }];
    const fail = () => Promise.reject(new Error("must not load"));
    expect(await withGalleryPanels(cases, "none", fail, fail)).toEqual(cases);
  });
});
