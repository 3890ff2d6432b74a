/**
 * Labelled datasets in one upload. `POST /v1/datasets` takes a zip or tar(.gz) of `images/` +
 * `masks/` (or a COCO instances JSON with its images) in the body, or the id of a presigned upload
 * from `POST /v1/datasets/uploads` for archives past a proxy's body limit; it stores the archive as
 * the tenant's input, records the dataset and enqueues a `dataset-import` job, whose worker unpacks
 * and checks it (packages/gpu-worker/src/handlers/dataset-import.ts). `GET /v1/datasets/{id}` gives
 * the state, counts and per-file report; `GET /v1/datasets` lists the tenant's uploaded datasets.
 * The dataset id is the import job's id.
 */
import {
  DATASET_ARCHIVE_CONTENT_TYPES,
  type DatasetImportMessage,
  type DatasetRecord,
  DatasetRecordSchema,
  DatasetReportSchema,
  datasetPrefix,
  datasetRecordKey,
  datasetReportKey,
  inputKey,
  JobStateSchema,
  JobStatusSchema,
  jobStatusKey,
  KeySegmentSchema,
  messageEnvelope,
  queuedStatus,
  sniffArchiveFormat,
  tenantPrefix,
} from "@alignsam/core/light";
import { createRoute, z } from "@hono/zod-openapi";
import { tenantOf } from "../auth/principal.ts";
import type { ApiApp, RouteContext } from "../http/context.ts";
import { errorResponses, HttpError } from "../http/errors.ts";
import { limitBody, MULTIPART_OVERHEAD_BYTES } from "../http/limits.ts";
import { presignedUploadRoute, presignUpload } from "../http/presigned-upload.ts";
import { publicUrl } from "../http/public-url.ts";
import { getByIdRoute, jsonResponse } from "../http/route-specs.ts";
import { CallbackUrlSchema, filePartSchema } from "../http/schemas.ts";
import { submitJob } from "../jobs/submit.ts";

/** Datasets one listing reads at most. */
const MAX_LISTED = 500;

const fields = {
  name: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .openapi({ description: "a label for listings", example: "shadows-june" }),
  category: z.string().min(1).max(200).optional().openapi({
    description:
      "COCO archives: the category (name or id) rasterised into masks; default: the file's only one",
  }),
  callbackUrl: CallbackUrlSchema.optional(),
};

export const DatasetFormSchema = z
  .strictObject({
    archive: filePartSchema("archive", "dataset.zip", "zip, tar or tar.gz"),
    ...fields,
  })
  .openapi("DatasetFormRequest");

export const DatasetJsonSchema = z
  .strictObject({
    uploadId: KeySegmentSchema.meta({ description: "id returned by POST /v1/datasets/uploads" }),
    ...fields,
  })
  .openapi("DatasetJsonRequest");

const DatasetAcceptedSchema = z
  .object({ datasetId: z.string(), jobId: z.string(), state: z.literal("queued"), statusUrl: z.url() })
  .openapi("DatasetAccepted");

const ReportSchema = DatasetReportSchema;

const DatasetSchema = z
  .object({
    datasetId: z.string(),
    jobId: z.string(),
    name: z.string().optional(),
    category: z.string().optional(),
    format: z.string().optional(),
    archiveBytes: z.int().optional(),
    state: JobStateSchema,
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    createdAt: z.iso.datetime(),
    counts: ReportSchema.shape.totals
      .optional()
      .openapi({ description: "once the import has checked the archive" }),
    prefix: z.string().openapi({
      description:
        "where the pairs are: <prefix>images/, <prefix>masks/ (the `dataset` of evaluations and trainings)",
    }),
    report: ReportSchema.optional(),
  })
  .openapi("Dataset");

const DatasetListItemSchema = DatasetSchema.omit({ report: true }).openapi("DatasetListItem");

function createDatasetRoute(ctx: RouteContext) {
  return createRoute({
    method: "post",
    path: "/v1/datasets",
    summary: "Upload a labelled dataset as one archive",
    middleware: [
      limitBody(ctx.config.maxArchiveBytes + MULTIPART_OVERHEAD_BYTES, "the request body"),
    ] as const,
    request: {
      body: {
        content: {
          "multipart/form-data": { schema: DatasetFormSchema },
          "application/json": { schema: DatasetJsonSchema },
        },
      },
    },
    responses: {
      202: jsonResponse("import accepted", DatasetAcceptedSchema),
      ...errorResponses(400, 401, 404, 413, 415, 429, 503),
    },
  });
}

function presignRoute(ctx: RouteContext) {
  return presignedUploadRoute(ctx, {
    path: "/v1/datasets/uploads",
    summary: "Get a presigned URL to upload a large dataset archive",
    name: "DatasetUpload",
    what: "the archive",
    contentTypes: DATASET_ARCHIVE_CONTENT_TYPES,
    errors: [400, 401, 413, 429],
  });
}

const getRoute = getByIdRoute({
  path: "/v1/datasets/{id}",
  summary: "A dataset: import state, counts and the per-file report",
  description: "the dataset",
  schema: DatasetSchema,
});

const listRoute = createRoute({
  method: "get",
  path: "/v1/datasets",
  summary: "The tenant's uploaded datasets, newest first",
  responses: {
    200: jsonResponse("datasets", z.object({ datasets: z.array(DatasetListItemSchema) })),
    ...errorResponses(401, 429),
  },
});

function tooLarge(ctx: RouteContext): HttpError {
  return new HttpError(
    413,
    "PAYLOAD_TOO_LARGE",
    `the archive exceeds the ${ctx.config.maxArchiveBytes} bytes accepted; split it into several datasets`,
    { maxBytes: ctx.config.maxArchiveBytes },
  );
}

/** The dataset's record, its job's state and, once written, its report. */
async function describe(ctx: RouteContext, tenant: string, record: DatasetRecord, withReport: boolean) {
  const [status, report] = await Promise.all([
    ctx.store.getJson(jobStatusKey(tenant, record.jobId), JobStatusSchema),
    ctx.store.getJson(datasetReportKey(tenant, record.datasetId), DatasetReportSchema),
  ]);
  return {
    datasetId: record.datasetId,
    jobId: record.jobId,
    name: record.name,
    category: record.category,
    format: record.format ?? report?.format,
    archiveBytes: record.archiveBytes,
    state: status?.state ?? "queued",
    error: status?.error,
    createdAt: record.createdAt,
    counts: report?.totals,
    prefix: datasetPrefix(tenant, record.datasetId),
    ...(withReport && report ? { report } : {}),
  };
}

export function registerDatasetRoutes(app: ApiApp, ctx: RouteContext): void {
  app.openapi(presignRoute(ctx), async (c) => {
    const { contentType, contentLength } = c.req.valid("json");
    if (contentLength > ctx.config.maxArchiveBytes) throw tooLarge(ctx);
    return c.json(await presignUpload(ctx, tenantOf(c), { contentType, contentLength }), 201);
  });

  app.openapi(createDatasetRoute(ctx), async (c) => {
    const contentType = (c.req.header("content-type") ?? "").toLowerCase();
    const isForm = contentType.startsWith("multipart/form-data");
    const form = isForm ? (c.req.valid("form") as z.infer<typeof DatasetFormSchema>) : undefined;
    const json =
      !isForm && contentType ? (c.req.valid("json") as z.infer<typeof DatasetJsonSchema>) : undefined;
    const input = form ?? json;
    if (!input) {
      throw new HttpError(
        400,
        "INVALID_REQUEST",
        "send multipart/form-data with an archive part, or JSON with the uploadId of POST /v1/datasets/uploads",
      );
    }
    const tenant = tenantOf(c);
    let upload: { uploadId: string; bytes?: Uint8Array };
    let format: DatasetRecord["format"] | undefined;
    if (form) {
      if (form.archive.size > ctx.config.maxArchiveBytes) throw tooLarge(ctx);
      const bytes = new Uint8Array(await form.archive.arrayBuffer());
      format = sniffArchiveFormat(bytes);
      upload = { uploadId: ctx.newId(), bytes };
    } else {
      const uploadId = (input as z.infer<typeof DatasetJsonSchema>).uploadId;
      // Not read here (it may be large): the worker names its format by its bytes, or fails the job.
      if (!(await ctx.store.exists(inputKey(tenant, uploadId)))) {
        throw new HttpError(
          404,
          "UPLOAD_NOT_FOUND",
          `no upload "${uploadId}"; PUT the archive to the URL from POST /v1/datasets/uploads first`,
        );
      }
      upload = { uploadId };
    }
    if (form && !format) {
      throw new HttpError(
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        "the archive is not a zip, tar or tar.gz (judged by its bytes)",
        {
          accepted: ["zip", "tar", "tar.gz"],
        },
      );
    }

    const datasetId = ctx.newId();
    const now = ctx.clock();
    const record: DatasetRecord = DatasetRecordSchema.parse({
      v: 1,
      datasetId,
      jobId: datasetId,
      name: input.name,
      category: input.category,
      format,
      archiveBytes: upload.bytes?.length,
      createdAt: now.toISOString(),
    } satisfies DatasetRecord);
    const message: DatasetImportMessage = {
      ...messageEnvelope("dataset-import", { jobId: datasetId, tenant, now, callbackUrl: input.callbackUrl }),
      datasetId,
      uploadId: upload.uploadId,
      category: input.category,
    };
    if (upload.bytes)
      await ctx.store.putBytes(inputKey(tenant, upload.uploadId), upload.bytes, "application/octet-stream");
    await ctx.store.putJson(datasetRecordKey(tenant, datasetId), record);
    await submitJob(
      ctx,
      queuedStatus({ jobId: datasetId, tenant, kind: "dataset", now, callbackUrl: input.callbackUrl }),
      [message],
    );
    const url = publicUrl(ctx.config, c.req.url, `/v1/datasets/${encodeURIComponent(datasetId)}`);
    c.header("Location", url);
    return c.json({ datasetId, jobId: datasetId, state: "queued" as const, statusUrl: url }, 202);
  });

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid("param");
    const tenant = tenantOf(c);
    // Another tenant's id reads an absent key here: the same 404 as an unknown id.
    const record = await ctx.store.getJson(datasetRecordKey(tenant, id), DatasetRecordSchema);
    if (!record) throw new HttpError(404, "NOT_FOUND", `no uploaded dataset "${id}"`);
    return c.json(await describe(ctx, tenant, record, true), 200);
  });

  app.openapi(listRoute, async (c) => {
    const tenant = tenantOf(c);
    const root = `${tenantPrefix(tenant)}datasets/`;
    const ids = (await ctx.store.listFolders(root))
      .map((p) => p.slice(root.length, -1))
      .filter((id) => KeySegmentSchema.safeParse(id).success)
      .slice(0, MAX_LISTED);
    const records: (DatasetRecord | undefined)[] = [];
    for (let i = 0; i < ids.length; i += 16) {
      const batch = ids.slice(i, i + 16);
      records.push(
        ...(await Promise.all(
          batch.map((id) =>
            ctx.store.getJson(datasetRecordKey(tenant, id), DatasetRecordSchema).catch(() => undefined),
          ),
        )),
      );
    }
    const uploaded = records
      .filter((r) => r !== undefined)
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
    const datasets: Awaited<ReturnType<typeof describe>>[] = [];
    // A few at a time, so a long listing does not flood S3.
    for (let i = 0; i < uploaded.length; i += 16) {
      datasets.push(
        ...(await Promise.all(uploaded.slice(i, i + 16).map((r) => describe(ctx, tenant, r, false)))),
      );
    }
    return c.json({ datasets }, 200);
  });
}
