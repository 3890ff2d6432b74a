/**
 * The task registry: which SRM branch a task uses, the text its vision-language prior is asked about,
 * and the metrics its evaluation reports (paper Tables 1, 2 and 4). Light: no model code imported,
 * so the API can validate task names without pulling in ONNX Runtime or TensorFlow.js.
 */
import { z } from "zod";
import { AlignSamError } from "../errors.ts";

export const BranchSchema = z.enum(["implicit", "explicit"]);
export type Branch = z.infer<typeof BranchSchema>;

export const MetricNameSchema = z.enum(["mIoU", "F", "maxF", "E", "MAE", "BER"]);
export type MetricName = z.infer<typeof MetricNameSchema>;

/** Task names: lower-case words joined by '-' or '_' (they become S3 key segments and folder names). */
export const TaskNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, "task names are lower-case letters, digits, '-' and '_'");

export const TaskDefinitionSchema = z.object({
  name: TaskNameSchema,
  description: z.string(),
  branch: BranchSchema,
  /** Texts for the explicit branch's vision-language prior (prompt-ensembled). */
  texts: z.array(z.string().min(1)).min(1),
  /** Folder under the datasets root holding this task's images and masks. */
  dataset: z.string().optional(),
  metrics: z.array(MetricNameSchema).min(1),
});
export type TaskDefinition = z.infer<typeof TaskDefinitionSchema>;

/** The paper's tasks. `coco_mval` stands in for PASCAL VOC (see ../shared/datasets/README.md). */
export const BUILTIN_TASKS: readonly TaskDefinition[] = [
  {
    name: "blur",
    description: "defocus blur detection (CUHK): 1 = blurred region",
    branch: "implicit",
    texts: ["defocus background"],
    dataset: "blur",
    metrics: ["mIoU", "F", "BER"],
  },
  {
    name: "shadow",
    description: "shadow detection (SBU): 1 = shadow",
    branch: "explicit",
    texts: ["shadow"],
    dataset: "shadow",
    metrics: ["mIoU", "BER"],
  },
  {
    name: "glass",
    description: "glass surface detection (GDD): 1 = glass",
    branch: "implicit",
    texts: ["glass"],
    dataset: "glass",
    metrics: ["mIoU", "F", "E"],
  },
  {
    name: "saliency",
    description: "salient object detection (GrabCut + DAVIS): 1 = salient object",
    branch: "implicit",
    texts: ["salient objects"],
    dataset: "saliency",
    metrics: ["MAE", "E", "mIoU"],
  },
  {
    name: "voc",
    description: "class-prompted object segmentation over the 20 PASCAL VOC classes (COCO_MVal stands in)",
    branch: "explicit",
    texts: ["{class}"],
    dataset: "coco_mval",
    metrics: ["mIoU"],
  },
];

export class TaskRegistry {
  private readonly tasks = new Map<string, TaskDefinition>();

  constructor(definitions: readonly TaskDefinition[] = BUILTIN_TASKS) {
    for (const d of definitions) this.define(d);
  }

  /** Add (or replace) a task; user-defined tasks pick a branch and the text that names the concept. */
  define(definition: TaskDefinition): TaskDefinition {
    const parsed = TaskDefinitionSchema.parse(definition);
    this.tasks.set(parsed.name, parsed);
    return parsed;
  }

  has(name: string): boolean {
    return this.tasks.has(name);
  }

  get(name: string): TaskDefinition {
    const task = this.tasks.get(name);
    if (!task) {
      throw new AlignSamError(
        "UNKNOWN_TASK",
        `unknown task "${name}"; expected one of: ${this.names().join(", ")}`,
        {
          valid: this.names(),
        },
      );
    }
    return task;
  }

  names(): string[] {
    return [...this.tasks.keys()];
  }

  list(): TaskDefinition[] {
    return [...this.tasks.values()];
  }
}

export const defaultTaskRegistry = new TaskRegistry();
