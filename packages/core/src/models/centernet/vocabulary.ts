/**
 * The closed vocabulary of the CenterNet prior: the 80 COCO classes in the detector's heatmap order,
 * plus the names other datasets use for them (PASCAL VOC's "tvmonitor", "aeroplane", ...), so a
 * task's text maps to heatmap channels whatever dataset named it.
 */
import { AlignSamError } from "../../errors.ts";

/** COCO's 80 detection classes in contiguous-id order (heatmap channel c is COCO_CLASSES[c]). */
// biome-ignore format: a dense list keeps the channel order readable
export const COCO_CLASSES = [
  "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
  "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
  "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag",
  "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite", "baseball bat",
  "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle", "wine glass", "cup",
  "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange", "broccoli", "carrot",
  "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant", "bed", "dining table",
  "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone", "microwave", "oven",
  "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors", "teddy bear",
  "hair drier", "toothbrush",
] as const;

/** Other names of COCO classes (normalised: lower case, single spaces). */
export const CLASS_SYNONYMS: Readonly<Record<string, string>> = {
  tvmonitor: "tv",
  "tv monitor": "tv",
  television: "tv",
  monitor: "tv",
  aeroplane: "airplane",
  aeroplanes: "airplane",
  plane: "airplane",
  motorbike: "motorcycle",
  sofa: "couch",
  diningtable: "dining table",
  table: "dining table",
  pottedplant: "potted plant",
  "potted-plant": "potted plant",
  "potted plants": "potted plant",
  bike: "bicycle",
  people: "person",
  persons: "person",
  man: "person",
  woman: "person",
  child: "person",
  human: "person",
  "cell-phone": "cell phone",
  cellphone: "cell phone",
  "mobile phone": "cell phone",
  "hair dryer": "hair drier",
  "teddy bears": "teddy bear",
  doughnut: "donut",
  fridge: "refrigerator",
  ball: "sports ball",
};

/** Prompt templates stripped from a text before lookup ("a photo of a {class}" -> class). */
const TEMPLATE_PREFIXES = [
  /^(?:a |an |the )?(?:photo|picture|image|drawing|painting|rendering)s? of (?:a |an |the |one |some |many )?/,
  /^there (?:is|are) (?:a |an |the |some )?/,
  /^(?:a |an |the |some )/,
];

function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[_]+/g, " ")
    .replace(/[.!?,;:]+$/g, "")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/ in the scene$| in the image$| in the photo$/, "");
}

/** Singular forms to try for an English plural ("buses" -> "bus", "knives" -> "knife"). */
function singulars(word: string): string[] {
  const out: string[] = [];
  if (word.endsWith("ves")) out.push(`${word.slice(0, -3)}fe`, `${word.slice(0, -3)}f`);
  if (word.endsWith("ies")) out.push(`${word.slice(0, -3)}y`);
  if (word.endsWith("es")) out.push(word.slice(0, -2));
  if (word.endsWith("s")) out.push(word.slice(0, -1));
  if (word === "people") out.push("person");
  if (word === "mice") out.push("mouse");
  return out;
}

const INDEX = new Map<string, number>(COCO_CLASSES.map((c, i) => [c, i]));

function lookup(name: string): number | undefined {
  const direct = INDEX.get(name) ?? INDEX.get(CLASS_SYNONYMS[name] ?? "");
  if (direct !== undefined) return direct;
  const words = name.split(" ");
  const last = words.pop() ?? "";
  for (const s of singulars(last)) {
    const candidate = [...words, s].join(" ");
    const hit = INDEX.get(candidate) ?? INDEX.get(CLASS_SYNONYMS[candidate] ?? "");
    if (hit !== undefined) return hit;
  }
  return undefined;
}

/**
 * The COCO class index a text names, or undefined. Accepts COCO and VOC names, synonyms, plurals,
 * any case, underscores, and prompt templates ("a photo of a tvmonitor" -> 62).
 */
export function cocoClassOf(text: string): number | undefined {
  const name = normalise(text);
  const direct = lookup(name);
  if (direct !== undefined) return direct;
  for (const prefix of TEMPLATE_PREFIXES) {
    const stripped = name.replace(prefix, "");
    if (stripped !== name) {
      const hit = lookup(stripped);
      if (hit !== undefined) return hit;
    }
  }
  return undefined;
}

/** Every name the vocabulary answers to (COCO names first, then synonyms), for messages and info. */
export const CENTERNET_VOCABULARY: readonly string[] = [...COCO_CLASSES, ...Object.keys(CLASS_SYNONYMS)];

/**
 * The distinct classes named by `texts` (several texts are several phrasings or a union of classes).
 * Refuses any text outside the vocabulary with TEXT_UNSUPPORTED listing what is supported: a prior
 * that silently answered "nothing here" would train the SRM on a blank map.
 */
export function resolveCocoClasses(texts: readonly string[]): number[] {
  if (texts.length === 0) {
    throw new AlignSamError("INVALID_ARGUMENT", "the prior needs at least one text");
  }
  const out = new Set<number>();
  const unknown: string[] = [];
  for (const t of texts) {
    const c = cocoClassOf(t);
    if (c === undefined) unknown.push(t);
    else out.add(c);
  }
  if (unknown.length > 0) {
    throw new AlignSamError(
      "TEXT_UNSUPPORTED",
      `the CenterNet prior knows only the 80 COCO classes (and VOC names for them); ${unknown
        .map((t) => `"${t}"`)
        .join(
          ", ",
        )} is not one of: ${COCO_CLASSES.join(", ")} (also accepted: ${Object.keys(CLASS_SYNONYMS).join(", ")}); configure a CLIP Surgery model (--clip-manifest) for open-vocabulary texts`,
      { unsupported: unknown, valid: [...COCO_CLASSES], synonyms: { ...CLASS_SYNONYMS } },
    );
  }
  return [...out];
}
