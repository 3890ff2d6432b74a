import { describe, expect, it } from "vitest";
import { AlignSamError } from "../errors.ts";
import { defaultTaskRegistry, type TaskDefinition } from "../tasks/registry.ts";
import { namesCocoClasses, trainPrior } from "./train-prior.ts";

const voc = defaultTaskRegistry.get("voc");
const shadow = defaultTaskRegistry.get("shadow");
const saliency = defaultTaskRegistry.get("saliency");
const dogs: TaskDefinition = {
  name: "dogs",
  description: "a class-named concept",
  branch: "explicit",
  texts: ["a photo of a dog"],
  metrics: ["mIoU"],
};

function failure(fn: () => unknown): AlignSamError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AlignSamError);
    return e as AlignSamError;
  }
  throw new Error("expected a refusal");
}

describe("trainPrior", () => {
  it("defaults to CenterNet for explicit tasks whose texts are COCO classes (or the {class} template)", () => {
    expect(trainPrior(voc, {})).toBe("centernet");
    expect(trainPrior(dogs, {})).toBe("centernet");
    expect(namesCocoClasses(shadow)).toBe(false);
  });

  it("leaves the choice to CLIP Surgery when a manifest is given, and keeps --prior none", () => {
    expect(trainPrior(voc, { clipManifest: "clip/" })).toBeUndefined();
    expect(trainPrior(voc, { prior: "none" })).toBe("none");
    expect(trainPrior(shadow, { prior: "none" })).toBe("none");
    expect(trainPrior(voc, { prior: "centernet", clipManifest: "clip/" })).toBe("centernet");
  });

  it("gives implicit tasks no prior whatever is asked", () => {
    expect(trainPrior(saliency, {})).toBe("none");
    expect(trainPrior(saliency, { prior: "centernet" })).toBe("none");
  });

  it("refuses shadow without a prior it can use, naming the flags that fix it", () => {
    const e = failure(() => trainPrior(shadow, {}));
    expect(e.code).toBe("PRIOR_UNAVAILABLE");
    expect(e.message).toMatch(/--clip-manifest.*--prior none/);
    const asked = failure(() => trainPrior(shadow, { prior: "centernet" }));
    expect(asked.code).toBe("TEXT_UNSUPPORTED");
    expect(asked.message).toMatch(/"shadow".*80 COCO classes/);
  });

  it("refuses an unknown --prior, listing the valid ones", () => {
    const e = failure(() => trainPrior(voc, { prior: "clip" }));
    expect(e.code).toBe("INVALID_ARGUMENT");
    expect(e.message).toMatch(/expected one of: none, centernet/);
  });
});
