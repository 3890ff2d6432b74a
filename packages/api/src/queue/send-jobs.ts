/**
 * Enqueue job messages: each one is parsed against the shared schema before it leaves, so the API
 * can never send what the worker would refuse, and batches of ten keep a large fan-out cheap.
 */

import { type JobMessage, type JobMessageInput, JobMessageSchema } from "@alignsam/core/light";
import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";

const SQS_BATCH_LIMIT = 10;

/** Send messages in order; throws if any entry of any batch failed (callers mark the job failed). */
export async function sendJobs(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly JobMessageInput[],
): Promise<JobMessage[]> {
  const parsed = messages.map((m) => JobMessageSchema.parse(m));
  for (let i = 0; i < parsed.length; i += SQS_BATCH_LIMIT) {
    const batch = parsed.slice(i, i + SQS_BATCH_LIMIT);
    const res = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((m, j) => ({
          Id: String(j),
          MessageBody: JSON.stringify(m),
          MessageAttributes: { type: { DataType: "String", StringValue: m.type } },
        })),
      }),
    );
    if (res.Failed && res.Failed.length > 0) {
      const why = res.Failed.map((f) => `${f.Code}: ${f.Message ?? ""}`).join("; ");
      throw new Error(`SQS refused ${res.Failed.length} of ${batch.length} messages: ${why}`);
    }
  }
  return parsed;
}
