/**
 * The bucket, the jobs queue and its dead-letter queue, created through the AWS SDK as on AWS, and
 * safe to run again on a stack restored from its data folder: an existing bucket is kept, an existing
 * queue keeps its messages and gets the wanted attributes.
 */
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";

export interface StackResources {
  readonly queueUrl: string;
  readonly dlqUrl: string;
}

function errorName(e: unknown): string {
  return (e as { name?: string; Code?: string }).name ?? (e as { Code?: string }).Code ?? "";
}

/** Create the bucket unless it is there already. */
export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch (e) {
    if (!/NotFound|NoSuchBucket/.test(errorName(e))) throw e;
  }
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (e) {
    if (errorName(e) !== "BucketAlreadyOwnedByYou") throw e;
  }
}

/**
 * Create a queue, or bring an existing one (say, restored with different settings from an earlier
 * run) to the wanted attributes without losing its messages. The URL is rebased on `endpoint`: a
 * restored queue remembers the port it was created on, which a restart on a free port changes.
 */
export async function ensureQueue(
  sqs: SQSClient,
  endpoint: string,
  name: string,
  attributes: Record<string, string>,
): Promise<string> {
  let url: string;
  try {
    url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl!;
  } catch (e) {
    if (!/QueueNameExists|QueueAlreadyExists/.test(errorName(e))) throw e;
    url = (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
  }
  return `${endpoint}${new URL(url).pathname}`;
}

/** The jobs queue with a redrive policy to `<queueName>-dlq`, and the bucket. */
export async function ensureStackResources(
  clients: { s3: S3Client; sqs: SQSClient },
  args: {
    endpoint: string;
    bucket: string;
    queueName: string;
    maxReceives: number;
    visibilityTimeoutSeconds: number;
  },
): Promise<StackResources> {
  const { s3, sqs } = clients;
  const dlqUrl = await ensureQueue(sqs, args.endpoint, `${args.queueName}-dlq`, {});
  const dlqArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["QueueArn"] }))
  ).Attributes!.QueueArn!;
  const queueUrl = await ensureQueue(sqs, args.endpoint, args.queueName, {
    VisibilityTimeout: String(args.visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: dlqArn,
      maxReceiveCount: String(args.maxReceives),
    }),
  });
  await ensureBucket(s3, args.bucket);
  return { queueUrl, dlqUrl };
}
