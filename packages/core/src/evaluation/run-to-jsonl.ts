/**
 * The evaluation runs of `alignsam eval` (one method) and `eval:all` (a task's every method): the
 * streaming runner over the pairs, each record appended to one per-image JSONL file as it is scored
 * (tagged with task and method), so an interrupted run leaves its partial results.
 */
import type { TaskDefinition } from "../tasks/registry.ts";
import {
  type EvaluateManyOptions,
  type EvaluationMethod,
  type EvaluationResult,
  evaluateMany,
  type SampleInfo,
} from "./evaluate.ts";
import { openJsonlWriter } from "./report.ts";

/**
 * {@link evaluateMany} with every record also written to `jsonlPath` (truncated first) as
 * `{ task, method, ...record }`; `onRecord` still sees each record.
 * @example const [alignsam] = await evaluateToJsonl([method], test, task, "out/images.jsonl", { keepRecords: false });
 */
export async function evaluateToJsonl<P extends SampleInfo>(
  methods: readonly EvaluationMethod[],
  pairs: readonly P[],
  task: TaskDefinition,
  jsonlPath: string,
  options: EvaluateManyOptions<P> = {},
): Promise<EvaluationResult[]> {
  const writer = await openJsonlWriter(jsonlPath, { task: task.name, method: "" });
  try {
    return await evaluateMany(methods, pairs, task, {
      ...options,
      onRecord: async (method, record) => {
        await options.onRecord?.(method, record);
        await writer.write(record, method.name);
      },
    });
  } finally {
    await writer.close();
  }
}
