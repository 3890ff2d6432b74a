/**
 * Admission and enqueue benchmark, written as its own section of docs/benchmarks/load.md:
 *
 * 1. The quota check (`admit`, packages/api/src/usage/quota.ts) for a tenant holding 0, 10 000 and
 *    100 000 usage records: p50/p99 of sequential admissions against the fauxqs emulator, beside
 *    the time of one count from listings (how every admission counted before the counter). The
 *    records go straight into the emulator's object store (fauxqs's S3Store, in this process): the
 *    same objects a PUT makes, without 100 000 signed HTTP round trips; a timed batch of real PUTs
 *    states what those would cost.
 * 2. POST /v1/segment against its floor (enqueue-floor.ts).
 *
 *   npm exec -- node bench/admission.ts [--quick] [--out docs/benchmarks/load.md | --no-write]
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { defaultTaskRegistry, resolveAll, type UsageRecord, usageRecordKey } from "@alignsam/core/light";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { buildApp } from "fauxqs";
import { createClients } from "../packages/api/src/clients.ts";
import { loadConfig } from "../packages/api/src/config.ts";
import type { RouteContext } from "../packages/api/src/http/context.ts";
import { createStore } from "../packages/api/src/storage/store.ts";
import {
  admit,
  countFromListings,
  createQuotaCounter,
  useQuotaCounter,
} from "../packages/api/src/usage/quota.ts";
import { type EnqueueFloorResult, percentile, runEnqueueFloor } from "./enqueue-floor.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
const START = "<!-- admission-bench: start (bench/admission.ts) -->";
const END = "<!-- admission-bench: end -->";

export interface AdmissionRow {
  readonly records: number;
  /** Seconds to put the records into the emulator's store. */
  readonly seedSeconds: number;
  /** The tenant's first admission, which seeds its counter from the listings. */
  readonly firstAdmissionMs: number;
  readonly admissions: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** One count from listings (the old per-request cost). */
  readonly listingCountMs: number;
}

export interface AdmissionBenchResult {
  readonly command: string;
  readonly loadAverage: { start: number[]; end: number[] };
  readonly httpPuts: { count: number; concurrency: number; seconds: number };
  readonly admission: AdmissionRow[];
  readonly enqueue: EnqueueFloorResult;
}

interface S3StoreLike {
  putObject(bucket: string, key: string, body: Buffer, contentType?: string): unknown;
}

/** fauxqs on loopback with its stores in hand (the classes are not exported: loaded from dist). */
async function startS3Emulator() {
  const dist = join(dirname(fileURLToPath(import.meta.resolve("fauxqs"))));
  const load = async (file: string, name: string) =>
    ((await import(pathToFileURL(join(dist, file)).href)) as Record<string, new () => unknown>)[name];
  const stores = {
    sqsStore: new (await load("sqs/sqsStore.js", "SqsStore"))(),
    snsStore: new (await load("sns/snsStore.js", "SnsStore"))(),
    s3Store: new (await load("s3/s3Store.js", "S3Store"))(),
  };
  if (!existsSync(join(dist, "s3/s3Store.js"))) throw new Error("fauxqs 2.4.x expected");
  const app = buildApp({ logger: false, stores: stores as never });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    s3Store: stores.s3Store as S3StoreLike,
    close: () => app.close(),
  };
}

function usageRecord(tenant: string, jobId: string, acceptedAt: string): UsageRecord {
  return {
    v: 1,
    tenant,
    jobId,
    kind: "segment",
    task: "saliency",
    images: 1,
    steps: 15,
    modelSeconds: 0.25,
    acceptedAt,
    meteredAt: acceptedAt,
  };
}

/** Records spread over the year before 2026-01-01, one day partition per 300 records. */
function recordAt(tenant: string, i: number): { key: string; body: Buffer } {
  const acceptedAt = new Date(Date.UTC(2025, 0, 1) + Math.floor(i / 300) * 86_400_000).toISOString();
  const jobId = `old-${i}`;
  return {
    key: usageRecordKey(tenant, acceptedAt.slice(0, 10), jobId, { kind: "segment" }),
    body: Buffer.from(JSON.stringify(usageRecord(tenant, jobId, acceptedAt))),
  };
}

const round1 = (x: number) => Math.round(x * 10) / 10;

async function benchAdmission(
  sizes: readonly number[],
  admissions: number,
  progress: (line: string) => void,
): Promise<{ rows: AdmissionRow[]; httpPuts: AdmissionBenchResult["httpPuts"] }> {
  const emulator = await startS3Emulator();
  const bucket = "alignsam-admission";
  const config = loadConfig({
    ALIGNSAM_BUCKET: bucket,
    ALIGNSAM_QUEUE_URL: `${emulator.endpoint}/000000000000/unused`,
    ALIGNSAM_S3_ENDPOINT: emulator.endpoint,
  });
  const { s3, sqs } = createClients(config);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const ctx: RouteContext = {
      store: createStore(s3, bucket, 900),
      sqs,
      config,
      tasks: defaultTaskRegistry,
      clock: () => new Date(),
      newId: randomUUID,
      resolveHost: resolveAll,
    };
    useQuotaCounter(ctx, createQuotaCounter({ s3, config }));

    // What real PUTs cost on this emulator, in parallel batches of 32.
    const httpCount = 2000;
    const concurrency = 32;
    const t0 = performance.now();
    for (let start = 0; start < httpCount; start += concurrency) {
      await Promise.all(
        Array.from({ length: Math.min(concurrency, httpCount - start) }, (_, j) => {
          const r = recordAt("http-puts", start + j);
          return s3.send(new PutObjectCommand({ Bucket: bucket, Key: r.key, Body: r.body }));
        }),
      );
    }
    const httpPuts = { count: httpCount, concurrency, seconds: round1((performance.now() - t0) / 1000) };
    progress(`admission: ${httpCount} HTTP PUTs took ${httpPuts.seconds} s`);

    const rows: AdmissionRow[] = [];
    for (const records of sizes) {
      const tenant = `history-${records}`;
      const s0 = performance.now();
      for (let i = 0; i < records; i++) {
        const r = recordAt(tenant, i);
        emulator.s3Store.putObject(bucket, r.key, r.body, "application/json");
      }
      const seedSeconds = round1((performance.now() - s0) / 1000);
      const principal = { tenant, quota: 1_000_000_000 };
      const admitOnce = () => admit(ctx, principal, { jobId: randomUUID(), kind: "segment", images: 1 });
      const f0 = performance.now();
      await admitOnce();
      const firstAdmissionMs = round1(performance.now() - f0);
      const l0 = performance.now();
      const counted = await countFromListings(ctx, tenant);
      const listingCountMs = round1(performance.now() - l0);
      if (counted !== records + 1) throw new Error(`counted ${counted} images, expected ${records + 1}`);
      for (let i = 0; i < 10; i++) await admitOnce(); // warm-up
      const latencies: number[] = [];
      for (let i = 0; i < admissions; i++) {
        const t = performance.now();
        await admitOnce();
        latencies.push(performance.now() - t);
      }
      latencies.sort((a, b) => a - b);
      const row: AdmissionRow = {
        records,
        seedSeconds,
        firstAdmissionMs,
        admissions,
        p50Ms: round1(percentile(latencies, 50)),
        p99Ms: round1(percentile(latencies, 99)),
        listingCountMs,
      };
      progress(`admission: ${records} records: p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms`);
      rows.push(row);
    }
    return { rows, httpPuts };
  } finally {
    s3.destroy();
    sqs.destroy();
    await emulator.close();
  }
}

export function renderAdmissionMarkdown(r: AdmissionBenchResult): string {
  const e = r.enqueue;
  const floorRate = (e.floorBefore.requestsPerSecond + e.floorAfter.requestsPerSecond) / 2;
  const fmt = (n: number) => n.toLocaleString("en-US");
  return [
    START,
    "## Quota admission against history",
    "",
    "`admit()` (one counter read + conditional write, one reservation PUT) for a tenant with a quota,",
    "called in process against the fauxqs emulator on loopback, one admission at a time, after the",
    "tenant's first admission (which seeds its counter by listing, once). The last column is one count",
    "from listings, what every admission did before the counter. Usage records were put straight into",
    `the emulator's object store; as real PUTs, ${fmt(r.httpPuts.count)} took ${r.httpPuts.seconds} s`,
    `(${r.httpPuts.concurrency} in parallel), i.e. about ${Math.round((100_000 * r.httpPuts.seconds) / r.httpPuts.count / 60)} min for 100 000 on this machine.`,
    "",
    "| usage records | admissions | p50 (ms) | p99 (ms) | first admission, seeds the counter (ms) | count from listings (ms) |",
    "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ...r.admission.map(
      (a) =>
        `| ${fmt(a.records)} | ${a.admissions} | ${a.p50Ms} | ${a.p99Ms} | ${a.firstAdmissionMs} | ${a.listingCountMs} |`,
    ),
    "",
    "## Enqueue against its floor",
    "",
    `The floor is the raw SDK work of one anonymous POST /v1/segment (PUT input, PUT status,`,
    `SendMessageBatch), with clients built like the API's, ${e.connections} at a time for ${e.durationSeconds} s, before and`,
    `after the API run; the API is driven by autocannon with ${e.connections} connections for ${e.durationSeconds} s. Same`,
    "emulator, no workers.",
    "",
    "| | requests | requests/s | p50 (ms) | p99 (ms) |",
    "| --- | ---: | ---: | ---: | ---: |",
    `| floor (before) | ${e.floorBefore.requests} | ${e.floorBefore.requestsPerSecond} | ${e.floorBefore.p50Ms} | ${e.floorBefore.p99Ms} |`,
    `| API POST /v1/segment | ${e.api.requests} | ${e.api.requestsPerSecond} | ${e.api.p50Ms} | ${e.api.p99Ms} |`,
    `| floor (after) | ${e.floorAfter.requests} | ${e.floorAfter.requestsPerSecond} | ${e.floorAfter.p50Ms} | ${e.floorAfter.p99Ms} |`,
    "",
    `API requests/s over the floor's (mean of both runs, ${round1(floorRate)}): **${e.ratio}**; API non-2xx: ${e.api.non2xx}.`,
    `Load average ${r.loadAverage.start.join(" / ")} at the start, ${r.loadAverage.end.join(" / ")} at the end.`,
    "",
    `Command: \`${r.command}\``,
    END,
    "",
  ].join("\n");
}

/** Put the section into the page, replacing an earlier one, leaving the rest as it is. */
export async function writeAdmissionSection(path: string, markdown: string): Promise<void> {
  const page = existsSync(path) ? await readFile(path, "utf8") : "";
  const start = page.indexOf(START);
  const end = page.indexOf(END);
  const next =
    start >= 0 && end > start
      ? `${page.slice(0, start)}${markdown}${page.slice(end + END.length).replace(/^\n/, "")}`
      : `${page.replace(/\n*$/, "\n\n")}${markdown}`;
  await writeFile(path, next);
}

export async function runAdmissionBench(options: {
  quick?: boolean;
  write?: string | false;
  progress?: (line: string) => void;
}): Promise<AdmissionBenchResult> {
  const progress = options.progress ?? ((line: string) => process.stderr.write(`[admission] ${line}\n`));
  const quick = options.quick ?? false;
  const start = loadavg().map((v) => Math.round(v * 100) / 100);
  const sizes = quick ? [0, 1000, 10_000] : [0, 10_000, 100_000];
  const { rows, httpPuts } = await benchAdmission(sizes, quick ? 50 : 200, progress);
  const enqueue = await runEnqueueFloor({ connections: 8, durationSeconds: quick ? 4 : 10, progress });
  const result: AdmissionBenchResult = {
    command: `npm exec -- node bench/admission.ts${quick ? " --quick" : ""}`,
    loadAverage: { start, end: loadavg().map((v) => Math.round(v * 100) / 100) },
    httpPuts,
    admission: rows,
    enqueue,
  };
  if (options.write) {
    await writeAdmissionSection(options.write, renderAdmissionMarkdown(result));
    progress(`wrote ${options.write}`);
  }
  return result;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      out: { type: "string", default: resolve(ROOT, "docs/benchmarks/load.md") },
      "no-write": { type: "boolean", default: false },
    },
  });
  const result = await runAdmissionBench({
    quick: values.quick,
    write: values["no-write"] ? false : values.out,
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
