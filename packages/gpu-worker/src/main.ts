/**
 * The worker process: read the configuration, print it (secrets masked), consume until SIGTERM or
 * SIGINT, then stop gracefully (finish or release in-flight jobs) and exit.
 */
import { configureImageCodec } from "@alignsam/core/image";
import { describeWorkerConfig, loadWorkerConfig } from "./config.ts";
import { jsonLogger } from "./context.ts";
import { createCoreEngine } from "./core-engine.ts";
import { createWorker } from "./worker.ts";

const config = loadWorkerConfig(process.env);
const log = jsonLogger({ worker: config.workerId });
const codec = configureImageCodec({ concurrentJobs: config.concurrency });
log.info("starting", { config: describeWorkerConfig(config), imageCodecThreads: codec.threads });
// onnxruntime is loaded only by a worker configured with a SAM model package.
const segmenter = config.samManifest
  ? await (await import("@alignsam/core/models/onnx-sam")).createOnnxSamSegmenter({
      manifestUri: config.samManifest,
      intraOpNumThreads: config.onnxThreads,
    })
  : undefined;
if (segmenter) log.info("segmenter", { modelId: segmenter.info.modelId });
const worker = createWorker(config, {
  engine: createCoreEngine({ embeddingCacheBytes: config.embeddingCacheMb * 1024 * 1024, segmenter }),
  log,
});
worker.start();

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info("shutting down", { signal, inFlight: worker.inFlight });
  await worker.stop();
  process.exit(0);
};
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
