/**
 * Prints the datasets table: `npm exec -- node packages/core/src/datasets/print-datasets.ts [root]`.
 * The root defaults to ALIGNSAM_DATASETS, else ../shared/datasets beside the repository.
 */
import { isAlignSamError } from "../errors.ts";
import { describeDatasets, formatDatasetTable } from "./describe.ts";
import { resolveDatasetsRoot } from "./root.ts";

const root = process.argv[2] ?? resolveDatasetsRoot();
try {
  console.log(formatDatasetTable(await describeDatasets(root), root));
} catch (e) {
  if (isAlignSamError(e)) {
    console.error(`${e.code}: ${e.message}`);
    process.exitCode = 1;
  } else throw e;
}
