/**
 * Scheduled Lambda (storage.ts's `InputJanitor` cron): deletes uploaded inputs older than
 * ALIGNSAM_INPUT_TTL_SECONDS from ALIGNSAM_BUCKET, the AWS side of ../input-expiry.ts.
 */
import { createS3Client } from "@alignsam/core/storage";
import { z } from "zod";
import { expireInputs, INPUT_TTL_SECONDS_DEFAULT } from "../input-expiry.ts";

const EnvSchema = z.object({
  ALIGNSAM_BUCKET: z.string().min(1),
  ALIGNSAM_INPUT_TTL_SECONDS: z.coerce.number().int().min(1).default(INPUT_TTL_SECONDS_DEFAULT),
});

export async function handler(): Promise<{ deleted: number }> {
  const env = EnvSchema.parse(process.env);
  const s3 = createS3Client();
  try {
    const { deleted } = await expireInputs(s3, env.ALIGNSAM_BUCKET, {
      ttlSeconds: env.ALIGNSAM_INPUT_TTL_SECONDS,
    });
    console.log(JSON.stringify({ msg: "expired inputs", deleted: deleted.length }));
    return { deleted: deleted.length };
  } finally {
    s3.destroy();
  }
}
