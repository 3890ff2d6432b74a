/**
 * What the load benchmark sends and how it watches the stack: the generated PNG and its multipart
 * body, bucket listings, job states and the queue's depth.
 */
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import sharp from "sharp";

/** A small PNG with something to segment: a bright disc on a gradient. */
export async function makePng(size: number): Promise<Uint8Array> {
  const raw = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      const inDisc = (x - size / 2) ** 2 + (y - size / 2) ** 2 < (size / 4) ** 2;
      raw[i] = inDisc ? 240 : (x * 120) / size;
      raw[i + 1] = inDisc ? 220 : (y * 120) / size;
      raw[i + 2] = inDisc ? 60 : 90;
    }
  }
  return new Uint8Array(
    await sharp(raw, { raw: { width: size, height: size, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

/** The exact bytes and Content-Type (with its boundary) a browser form upload would send. */
export async function multipartBody(png: Uint8Array): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData();
  form.set("image", new File([Buffer.from(png)], "load.png", { type: "image/png" }));
  form.set("task", "saliency");
  form.set("outputs", "mask,rle,metrics");
  const req = new Request("http://localhost/", { method: "POST", body: form });
  return { body: Buffer.from(await req.arrayBuffer()), contentType: req.headers.get("content-type")! };
}

export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
  }
  return keys;
}

/** States of every job status document, read 32 at a time. */
export async function readStates(s3: S3Client, bucket: string, keys: string[]): Promise<string[]> {
  const states: string[] = [];
  for (let i = 0; i < keys.length; i += 32) {
    const batch = await Promise.all(
      keys.slice(i, i + 32).map(async (Key) => {
        const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
        return (JSON.parse(await res.Body!.transformToString()) as { state: string }).state;
      }),
    );
    states.push(...batch);
  }
  return states;
}

export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const res = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  const a = res.Attributes ?? {};
  return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
}

export async function postOnce(apiUrl: string, body: Buffer, contentType: string): Promise<string> {
  const res = await fetch(`${apiUrl}/v1/segment`, {
    method: "POST",
    headers: { "content-type": contentType },
    body: new Uint8Array(body),
  });
  if (res.status !== 202)
    throw new Error(`warm-up POST /v1/segment answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { jobId: string }).jobId;
}
