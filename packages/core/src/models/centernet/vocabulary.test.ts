import { describe, expect, it } from "vitest";
import { AlignSamError } from "../../errors.ts";
import { COCO_CLASSES, cocoClassOf, resolveCocoClasses } from "./vocabulary.ts";

const index = (name: string) => COCO_CLASSES.indexOf(name as (typeof COCO_CLASSES)[number]);

describe("CenterNet vocabulary", () => {
  it("has the 80 COCO classes in contiguous-id order", () => {
    expect(COCO_CLASSES).toHaveLength(80);
    expect([COCO_CLASSES[0], COCO_CLASSES[15], COCO_CLASSES[62], COCO_CLASSES[79]]).toEqual([
      "person",
      "cat",
      "tv",
      "toothbrush",
    ]);
  });

  it("maps the VOC names to their COCO classes", () => {
    const voc: Record<string, string> = {
      tvmonitor: "tv",
      aeroplane: "airplane",
      motorbike: "motorcycle",
      sofa: "couch",
      diningtable: "dining table",
      pottedplant: "potted plant",
    };
    for (const [name, coco] of Object.entries(voc)) expect(cocoClassOf(name), name).toBe(index(coco));
  });

  it("accepts plurals, case, underscores and prompt templates", () => {
    expect(cocoClassOf("Dogs")).toBe(index("dog"));
    expect(cocoClassOf("buses")).toBe(index("bus"));
    expect(cocoClassOf("knives")).toBe(index("knife"));
    expect(cocoClassOf("potted_plant")).toBe(index("potted plant"));
    expect(cocoClassOf("a photo of a TVMonitor.")).toBe(index("tv"));
    expect(cocoClassOf("a photo of the sheep")).toBe(index("sheep"));
    expect(cocoClassOf("There are some wine glasses")).toBe(index("wine glass"));
  });

  it("resolves several texts to their distinct classes", () => {
    expect(resolveCocoClasses(["cat", "a photo of a cat", "dog"]).sort()).toEqual([15, 16]);
  });

  it("refuses a text outside the vocabulary with TEXT_UNSUPPORTED listing what is supported", () => {
    let error: unknown;
    try {
      resolveCocoClasses(["cat", "shadow"]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AlignSamError);
    const e = error as AlignSamError;
    expect(e.code).toBe("TEXT_UNSUPPORTED");
    expect(e.message).toMatch(/"shadow" is not one of: person, bicycle, car/);
    expect(e.message).toMatch(/tvmonitor/);
    expect(e.message).toMatch(/--clip-manifest/);
  });
});
