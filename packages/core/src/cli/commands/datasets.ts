import type { Command } from "commander";
import { describeDatasets, formatDatasetTable, resolveDatasetsRoot } from "../../datasets/index.ts";
import { action, emit, type GlobalOptions } from "../output.ts";
import { registerDatasetUpload } from "./remote-commands.ts";

/**
 * `alignsam datasets [--data DIR]`: what is found where (pairs, classes, problems per task);
 * `alignsam datasets upload DIR|ARCHIVE`: send a labelled set to the service (./remote-commands.ts).
 */
export function registerDatasetsCommand(program: Command): void {
  const datasets = program.command("datasets");
  registerDatasetUpload(datasets, program);
  datasets
    .description("list the task folders found under the datasets root, with pair counts and problems")
    .option("--data <dir>", "datasets root (default: $ALIGNSAM_DATASETS, else ../shared/datasets)")
    .action(
      action(
        async (options: { data?: string }) => {
          const root = options.data ?? resolveDatasetsRoot();
          const descriptions = await describeDatasets(root);
          emit(
            program.opts<GlobalOptions>(),
            () => formatDatasetTable(descriptions, root),
            () => ({ root, tasks: descriptions }),
          );
        },
        () => program.opts<GlobalOptions>().json === true,
      ),
    );
}
