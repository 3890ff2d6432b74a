#!/usr/bin/env node
/**
 * `alignsam`: one binary, one subcommand per job. Thin: each command lives in commands/<name>.ts.
 */
import { Command } from "commander";
import { registerDatasetsCommand } from "./commands/datasets.ts";

const program = new Command("alignsam")
  .description("AlignSAM: adapt a frozen promptable segmenter to a task with a learned prompting agent")
  .option("--json", "machine-readable output (one JSON document on stdout)")
  .showHelpAfterError();

registerDatasetsCommand(program);

await program.parseAsync(process.argv);
