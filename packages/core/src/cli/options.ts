/**
 * Turning command-line strings into checked values, with AlignSamError INVALID_ARGUMENT messages that
 * name the flag, and the shared choices every model-running command makes (task, backend, policy).
 */
import { join } from "node:path";
import { findRepositoryRoot } from "../datasets/root.ts";
import { AlignSamError, isAlignSamError } from "../errors.ts";
import { STEPS_RANGE } from "../pipeline/defaults.ts";
import type { Policy } from "../policy/policy.ts";
import { loadPolicy } from "../policy/store.ts";
import { defaultTaskRegistry, type TaskDefinition } from "../tasks/registry.ts";

/**
 * An integer flag of at least `min` (and at most `max` when given); optional flags stay undefined
 * so the pipeline's defaults apply.
 * @example intOption("7", "--samples") // 7
 */
export function intOption(value: string, flag: string, min = 0, max = Number.POSITIVE_INFINITY): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.POSITIVE_INFINITY ? `>= ${min}` : `from ${min} to ${max}`;
    throw new AlignSamError("INVALID_ARGUMENT", `${flag} must be an integer ${range}, got "${value}"`, {
      flag,
      value,
    });
  }
  return n;
}

/** The same for an optional flag. */
export function optionalInt(
  value: string | undefined,
  flag: string,
  min = 0,
  max = Number.POSITIVE_INFINITY,
): number | undefined {
  return value === undefined ? undefined : intOption(value, flag, min, max);
}

/**
 * `--steps`: T within STEPS_RANGE, the range the API and the pipeline check.
 * @example stepsOption("7") // 7; stepsOption("65") throws INVALID_ARGUMENT
 */
export function stepsOption(value: string): number;
export function stepsOption(value: string | undefined): number | undefined;
export function stepsOption(value: string | undefined): number | undefined {
  return optionalInt(value, "--steps", STEPS_RANGE.min, STEPS_RANGE.max);
}

/**
 * A comma-separated list checked against its valid values (the message lists them).
 * @example listOption("mask,rle", "--outputs", ["mask", "rle", "overlay"]) // ["mask", "rle"]
 */
export function listOption<T extends string>(value: string, flag: string, valid: readonly T[]): T[] {
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const item of items) {
    if (!(valid as readonly string[]).includes(item)) {
      throw new AlignSamError(
        "INVALID_ARGUMENT",
        `${flag}: unknown value "${item}"; expected a comma-separated list of: ${valid.join(", ")}`,
        { flag, valid: [...valid] },
      );
    }
  }
  if (items.length === 0) {
    throw new AlignSamError("INVALID_ARGUMENT", `${flag} needs at least one of: ${valid.join(", ")}`, {
      flag,
      valid: [...valid],
    });
  }
  return [...new Set(items)] as T[];
}

/** The task by name (UNKNOWN_TASK lists the valid names). */
export function taskOption(name: string): TaskDefinition {
  return defaultTaskRegistry.get(name);
}

/** Where the shipped policy of a task lives: `<repo>/policies/<task>/`. */
export function defaultPolicyDir(task: string): string {
  return join(findRepositoryRoot(), "policies", task);
}

/**
 * Loads a policy for `task`, saying how to get one when there is none and refusing one made for
 * another task (its state, SRM and metrics would not fit).
 */
export async function loadTaskPolicy(uri: string, task: TaskDefinition): Promise<Policy> {
  let policy: Policy;
  try {
    policy = await loadPolicy(uri);
  } catch (e) {
    if (isAlignSamError(e, "POLICY_NOT_FOUND")) {
      throw new AlignSamError(
        "POLICY_NOT_FOUND",
        `${e.message}; train one with \`alignsam train --task ${task.name}\` (or pass --policy DIR|s3://bucket/prefix)`,
        { ...e.details, task: task.name },
      );
    }
    throw e;
  }
  if (policy.card.task.name !== task.name) {
    policy.dispose();
    throw new AlignSamError(
      "POLICY_INCOMPATIBLE",
      `the policy at ${uri} was trained for task "${policy.card.task.name}", not "${task.name}"`,
      { uri, policyTask: policy.card.task.name, task: task.name },
    );
  }
  return policy;
}
