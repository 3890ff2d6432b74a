/**
 * What one `eval:all` run is told: the CLI parses and checks the flags into these (commands/eval-all.ts)
 * and hands over how to show progress, so this module writes files and nothing to a terminal itself.
 */
import type { Progress } from "../../util/progress.ts";
import type { GalleryMode } from "../html/index.ts";

/** The protocol's numbers (each a checked non-negative integer). */
export interface EvalAllSettings {
  /** Training pairs per task (paper: 50); 0 with `allPairs`. */
  readonly train: number;
  readonly seed: number;
  /** E, K, episodes per PPO update and T of a policy trained here. */
  readonly epochs: number;
  readonly ppoEpochs: number;
  readonly episodesPerUpdate: number;
  readonly steps: number;
  /** T values of the mIoU-vs-T table. */
  readonly sweep: readonly number[];
  /** Test pairs scored per task at most (spread over the ids); Infinity: all. */
  readonly maxTest: number;
}

export interface EvalAllOptions {
  /** Task names (`--tasks`), undefined: every task (with `allPairs`, those with a folder). */
  readonly tasks?: string;
  /** Datasets root (`--data-dir`), undefined: $ALIGNSAM_DATASETS, else ../shared/datasets. */
  readonly dataDir?: string;
  /** Score the given policies on every pair, training nothing. */
  readonly allPairs: boolean;
  readonly settings: EvalAllSettings;
  /** Folder of shipped policies, `<policies>/<task>/`, relative to the repository unless absolute. */
  readonly policies: string;
  readonly retrain: boolean;
  readonly savePolicies: boolean;
  /** Re-measure the BASELINES.md rules on every pair of the reference datasets. */
  readonly ruleCheck: boolean;
  readonly vocAllClasses: boolean;
  /** Markdown report and JSON folder; undefined: docs/ (all pairs: alignsam-eval/all-pairs/). */
  readonly out?: string;
  readonly jsonDir?: string;
  /** Rewrite the Markdown and HTML from the saved JSON without evaluating. */
  readonly renderOnly: boolean;
  readonly gallery: GalleryMode;
  /** Folder of the per-task HTML reports; undefined: the JSON folder. */
  readonly htmlDir?: string;
  /** The command line the report records, e.g. "npm run eval:all -- --tasks blur". */
  readonly command: string;
  readonly progress: (label: string, total: number) => Progress;
  /** One line of news for the operator (a skipped policy, a file written). */
  readonly log: (line: string) => void;
}
