/**
 * The load benchmark's result type and its Markdown page (docs/benchmarks/load.md), apart from the
 * run itself so a runner can render a stored result again.
 */

export interface LoadBenchResult {
  readonly command: string;
  readonly machine: {
    cpu: string;
    cores: number;
    memoryGiB: number;
    node: string;
    /** 1/5/15-minute load averages before the stack started and after the drain. */
    loadAverageAtStart: number[];
    loadAverage: number[];
  };
  readonly settings: {
    durationSeconds: number;
    connections: number;
    workers: number;
    imageBytes: number;
    imageSize: number;
  };
  readonly api: {
    readonly requests: number;
    readonly requestsPerSecond: number;
    readonly latencyMs: { p50: number; p90: number; p99: number; max: number };
    readonly status2xx: number;
    readonly non2xx: number;
    readonly errors: number;
    readonly timeouts: number;
    readonly statusCodes: Record<string, number>;
  };
  readonly jobs: {
    /** 202 answers autocannon counted. */
    readonly accepted: number;
    /**
     * Jobs the API accepted: status documents the load run left in S3. Up to `connections` more than
     * `accepted`, for requests in flight when autocannon stopped (the server finished them; the
     * client no longer listened).
     */
    readonly statusDocuments: number;
    readonly succeeded: number;
    readonly failed: number;
    /** Segment usage records of those jobs (must equal statusDocuments). */
    readonly usageRecords: number;
    /** From the end of the load to an empty queue with every status terminal. */
    readonly drainSeconds: number;
    /** Jobs finished per second of the whole run (load + drain). */
    readonly jobsPerSecond: number;
    readonly acceptedEqualsCompleted: boolean;
  };
}

/** The result as the Markdown page docs/benchmarks/load.md. */
export function renderLoadMarkdown(r: LoadBenchResult): string {
  const { api, jobs, machine: m, settings: s } = r;
  const codes = Object.entries(api.statusCodes)
    .map(([code, n]) => `${code}: ${n}`)
    .join(", ");
  return [
    "# API load benchmark",
    "",
    "POST /v1/segment (multipart, one small generated PNG, outputs mask,rle,metrics) driven by autocannon",
    "over loopback for a fixed duration and concurrency, against the local stack: the fauxqs S3 + SQS",
    "emulator (in the benchmark's process, in memory), the API's Node entry and the worker processes",
    "(classic backend, the shipped saliency policy). Then the workers drain the queue, and every job the",
    "API accepted is checked to have finished and been metered. Requests are anonymous with the rate",
    "limit lifted; one warm-up job per worker runs first and is not counted.",
    "",
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}; load average ${m.loadAverageAtStart.join(" / ")} at the start and ${m.loadAverage.join(" / ")} at the end (1/5/15 min; other work shares the machine)`,
    `- Settings: ${s.durationSeconds} s, ${s.connections} connections, ${s.workers} workers, ${s.imageSize}x${s.imageSize} PNG (${s.imageBytes} bytes)`,
    "",
    "| API | |",
    "| --- | --- |",
    `| requests | ${api.requests} |`,
    `| requests/s (mean) | ${api.requestsPerSecond} |`,
    `| latency p50 / p90 / p99 / max (ms) | ${api.latencyMs.p50} / ${api.latencyMs.p90} / ${api.latencyMs.p99} / ${api.latencyMs.max} |`,
    `| non-2xx | ${api.non2xx} |`,
    `| connection errors / timeouts | ${api.errors} / ${api.timeouts} |`,
    `| status codes | ${codes || "none"} |`,
    "",
    "| Jobs | |",
    "| --- | --- |",
    `| answered 202 | ${jobs.accepted} |`,
    `| jobs accepted (status documents; includes requests cut off when the load stopped) | ${jobs.statusDocuments} |`,
    `| succeeded / failed | ${jobs.succeeded} / ${jobs.failed} |`,
    `| usage records | ${jobs.usageRecords} |`,
    `| drain after the load (s) | ${jobs.drainSeconds} |`,
    `| jobs/s over load + drain | ${jobs.jobsPerSecond} |`,
    `| accepted = completed = usage records | ${jobs.acceptedEqualsCompleted ? "yes" : "**no**"} |`,
    "",
    "The workers consume while the load runs. The API accepts faster than the workers segment, so the",
    "queue absorbs the burst and the drain dominates the wall time. The API, the emulator, autocannon",
    "and the workers share the same cores (and, on a shared machine, other people's work: see the load",
    "average), so treat the numbers as a floor for this hardware, not a capacity figure for a",
    "deployment.",
    "",
    `Command: \`${r.command}\``,
    "",
  ].join("\n");
}
