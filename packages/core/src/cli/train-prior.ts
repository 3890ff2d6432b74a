/**
 * Which M_c `alignsam train` gives the explicit branch when the user did not say: CLIP Surgery with
 * --clip-manifest, else the built-in CenterNet detector when the task's texts are COCO classes (or
 * the "{class}" template of a class-prompted task), else a refusal that names the flags that fix it.
 * Checked before any image is loaded, so a forgotten flag costs nothing.
 */
import { AlignSamError, isAlignSamError } from "../errors.ts";
import { resolveCocoClasses } from "../models/centernet/vocabulary.ts";
import type { TaskDefinition } from "../tasks/registry.ts";
import { PRIOR_CHOICES } from "./backend.ts";

type PriorFlag = (typeof PRIOR_CHOICES)[number];

/** Whether the CenterNet detector can answer this task's texts (class-prompted tasks: per image). */
export function namesCocoClasses(task: TaskDefinition): boolean {
  if (task.texts.some((t) => t.includes("{class}"))) return true;
  try {
    resolveCocoClasses(task.texts);
    return true;
  } catch (e) {
    if (isAlignSamError(e, "TEXT_UNSUPPORTED")) return false;
    throw e;
  }
}

/**
 * The `prior` flag to open the backend with: "none" for implicit tasks (they use no prior) and
 * with --prior none; "centernet" when asked or by default for COCO-class tasks; undefined when a
 * CLIP manifest decides.
 * @example trainPrior(voc, {}) // "centernet"
 */
export function trainPrior(
  task: TaskDefinition,
  flags: { readonly prior?: string; readonly clipManifest?: string },
): PriorFlag | undefined {
  if (flags.prior !== undefined && !(PRIOR_CHOICES as readonly string[]).includes(flags.prior)) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `--prior is "${flags.prior}"; expected one of: ${PRIOR_CHOICES.join(", ")}`,
      { valid: [...PRIOR_CHOICES] },
    );
  }
  const asked = flags.prior as PriorFlag | undefined;
  if (task.branch === "implicit" || asked === "none") return "none";
  if (asked === "centernet") {
    if (!namesCocoClasses(task)) {
      throw new AlignSamError(
        "TEXT_UNSUPPORTED",
        `task "${task.name}" asks the prior about ${task.texts.map((t) => `"${t}"`).join(", ")}, which the CenterNet prior does not know (it knows the 80 COCO classes); pass --clip-manifest <CLIP Surgery package>, or --prior none to train with M_c = 1`,
        { task: task.name, texts: task.texts },
      );
    }
    return "centernet";
  }
  if (flags.clipManifest !== undefined) return undefined;
  if (namesCocoClasses(task)) return "centernet";
  throw new AlignSamError(
    "PRIOR_UNAVAILABLE",
    `task "${task.name}" uses the explicit SRM branch, which needs a vision-language prior, and the built-in CenterNet prior knows only COCO classes: pass --clip-manifest <CLIP Surgery package>, or --prior none to train with M_c = 1 (recorded in the policy card)`,
    { task: task.name, valid: [...PRIOR_CHOICES] },
  );
}
