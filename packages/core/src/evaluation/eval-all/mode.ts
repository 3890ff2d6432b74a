/**
 * `eval:all`'s two ways of choosing images and policies: the project's protocol (a seeded few-shot split; the shipped policy only when it trained on
 * exactly that split, else training) and `--all-pairs`, a user's check of given policies on their
 * own folder (every pair scored, nothing trained, the policy loaded whatever it trained on).
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { listDatasetTasks, resolveDatasetsRoot, splitTrainTest } from "../../datasets/index.ts";
import { AlignSamError } from "../../errors.ts";
import type { PromptableSegmenter } from "../../models/ports.ts";
import { PolicyCardSchema } from "../../policy/card.ts";
import type { Policy } from "../../policy/policy.ts";
import { loadPolicy } from "../../policy/store.ts";
import { defaultTaskRegistry, type TaskDefinition } from "../../tasks/registry.ts";
import type { PolicyInfo } from "../evaluation-doc.ts";
import { describePolicy, openPolicyModels, type PolicyModels } from "../policy-source.ts";

/** Where `--all-pairs` writes when --out / --json-dir are not given: never over the committed docs/. */
export const ALL_PAIRS_OUT_DIR = "alignsam-eval/all-pairs";

export interface EvaluationMode {
  /** Datasets root: `<root>/<dataset>/{images,masks}`. */
  readonly root: string;
  /** Score every pair with the given policies, training nothing. */
  readonly allPairs: boolean;
  readonly tasks: readonly TaskDefinition[];
  /** The Markdown report and the JSON folder, relative to the repository unless absolute. */
  readonly out: string;
  readonly jsonDir: string;
}

export interface ModeArgs {
  /** `--tasks`, undefined when not given. */
  readonly tasks?: string;
  readonly dataDir?: string;
  readonly allPairs: boolean;
  readonly out?: string;
  readonly jsonDir?: string;
}

/**
 * Resolves the datasets root, the tasks and the output paths. With `--all-pairs` and no `--tasks`,
 * the tasks are those whose dataset folder is under the root (a user's folder rarely holds all
 * five); a named task without its folder is refused up front, not after the others ran.
 * @example await resolveMode({ allPairs: true, dataDir: "my-data" }, process.env)
 */
export async function resolveMode(
  args: ModeArgs,
  env: Record<string, string | undefined> = process.env,
): Promise<EvaluationMode> {
  const root = args.dataDir !== undefined ? resolve(args.dataDir) : resolveDatasetsRoot(env);
  const named = args.tasks
    ?.split(",")
    .map((n) => n.trim())
    .filter((n) => n !== "");
  let tasks = (named ?? defaultTaskRegistry.names()).map((n) => defaultTaskRegistry.get(n));
  if (args.allPairs) {
    const present = new Set(await listDatasetTasks(root));
    const folder = (t: TaskDefinition) => t.dataset ?? t.name;
    if (named === undefined) tasks = tasks.filter((t) => present.has(folder(t)));
    const missing = tasks.filter((t) => !present.has(folder(t)));
    if (tasks.length === 0 || missing.length > 0) {
      throw new AlignSamError(
        "DATASET_NOT_FOUND",
        `no ${missing.map(folder).join(", ") || "task"} folder with images/ and masks/ under ${root}; found: ${[...present].join(", ") || "(none)"}`,
        { root, found: [...present] },
      );
    }
  }
  return {
    root,
    allPairs: args.allPairs,
    tasks,
    out: args.out ?? (args.allPairs ? join(ALL_PAIRS_OUT_DIR, "EVALUATION.md") : "docs/EVALUATION.md"),
    jsonDir: args.jsonDir ?? (args.allPairs ? ALL_PAIRS_OUT_DIR : "docs/evaluation"),
  };
}

/**
 * The pairs a task trains on and is scored on: every pair for testing (none for training) with
 * `--all-pairs`, else the seeded few-shot split.
 * @example selectPairs(pairs, { allPairs: true, train: 50, seed: 0 }) // { train: [], test: pairs }
 */
export function selectPairs<T extends { id: string }>(
  pairs: readonly T[],
  o: { allPairs: boolean; train: number; seed: number },
): { train: T[]; test: T[] } {
  return splitTrainTest(pairs, { train: o.allPairs ? 0 : o.train, seed: o.seed });
}

/**
 * The policy in `dir` as it is, for `--all-pairs`: no training-split check (the folder is not the
 * one it trained on) and no training fallback; a missing or other-task policy is an error.
 */
export async function loadGivenPolicy(
  task: TaskDefinition,
  dir: string,
  segmenter: PromptableSegmenter,
): Promise<{ policy: Policy; info: PolicyInfo; models: PolicyModels }> {
  if (!existsSync(join(dir, "card.json"))) {
    throw new AlignSamError(
      "POLICY_NOT_FOUND",
      `--all-pairs scores given policies and trains none: no policy for "${task.name}" at ${dir} (pass --policies DIR holding <task>/card.json, or --tasks)`,
      { task: task.name, dir },
    );
  }
  const card = PolicyCardSchema.parse(JSON.parse(await readFile(join(dir, "card.json"), "utf8")));
  if (card.task.name !== task.name) {
    throw new AlignSamError(
      "POLICY_INCOMPATIBLE",
      `the policy at ${dir} was trained for task "${card.task.name}", not "${task.name}"`,
      { dir, policyTask: card.task.name, task: task.name },
    );
  }
  const models = await openPolicyModels(task, card, segmenter);
  const policy = await loadPolicy(dir, { segmenterInfo: models.segmenter.info });
  const info = describePolicy(policy, "loaded", card.training.durationMs, dir);
  return { policy, info, models };
}
