#!/usr/bin/env node
/**
 * `alignsam`: one binary, one subcommand per job. Thin: each command lives in commands/<name>.ts.
 */
import { Command } from "commander";
import { registerDatasetsCommand } from "./commands/datasets.ts";
import { registerEvalCommand } from "./commands/eval.ts";
import { registerEvalAllCommand } from "./commands/eval-all.ts";
import { registerTasksCommand } from "./commands/remote-commands.ts";
import { registerSegmentCommand } from "./commands/segment.ts";
import { registerTrainCommand } from "./commands/train.ts";

const program = new Command("alignsam")
  .description("AlignSAM: adapt a frozen promptable segmenter to a task with a learned prompting agent")
  .option("--json", "machine-readable output (one JSON document on stdout)")
  .showHelpAfterError();

registerDatasetsCommand(program);
registerSegmentCommand(program);
registerTrainCommand(program);
registerEvalCommand(program);
registerEvalAllCommand(program);
registerTasksCommand(program);

await program.parseAsync(process.argv);
