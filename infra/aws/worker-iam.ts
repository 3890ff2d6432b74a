/**
 * Identities of the GPU worker, each with only what it needs: the instance joins the ECS cluster;
 * the execution role pulls the image, writes logs and reads the callback secret; the task role
 * reads and writes the bucket and consumes (and re-sends to) the jobs queue.
 */
import type { DeploySettings } from "./settings.ts";

function assumedBy(service: string) {
  return $jsonStringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });
}

export function workerIam(args: {
  settings: DeploySettings;
  bucket: SstResource;
  jobs: SstResource;
  deadLetters: SstResource;
  callbackSecret: SstResource;
}) {
  const { bucket, jobs, deadLetters, callbackSecret } = args;

  const instanceRole = new aws.iam.Role("WorkerInstanceRole", {
    assumeRolePolicy: assumedBy("ec2.amazonaws.com"),
  });
  for (const [name, arn] of [
    ["WorkerInstanceEcs", "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"],
    ["WorkerInstanceSsm", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"],
  ] as const) {
    new aws.iam.RolePolicyAttachment(name, { role: instanceRole.name, policyArn: arn });
  }
  const instanceProfile = new aws.iam.InstanceProfile("WorkerInstanceProfile", { role: instanceRole.name });

  // The secret reaches the container through ECS `secrets`, never as plain task-definition text.
  const callbackSecretParameter = new aws.ssm.Parameter("WorkerCallbackSecret", {
    name: `/alignsam/${$app.stage}/worker/callback-secret`,
    type: "SecureString",
    value: callbackSecret.value,
  });

  const executionRole = new aws.iam.Role("WorkerExecutionRole", {
    assumeRolePolicy: assumedBy("ecs-tasks.amazonaws.com"),
  });
  new aws.iam.RolePolicyAttachment("WorkerExecutionManaged", {
    role: executionRole.name,
    policyArn: "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
  });
  new aws.iam.RolePolicy("WorkerExecutionSecrets", {
    role: executionRole.id,
    policy: $jsonStringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: ["ssm:GetParameters"], Resource: [callbackSecretParameter.arn] },
      ],
    }),
  });

  const taskRole = new aws.iam.Role("WorkerTaskRole", {
    assumeRolePolicy: assumedBy("ecs-tasks.amazonaws.com"),
  });
  new aws.iam.RolePolicy("WorkerTaskAccess", {
    role: taskRole.id,
    policy: $jsonStringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: ["s3:ListBucket"], Resource: [bucket.arn] },
        {
          Effect: "Allow",
          Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
          Resource: [$interpolate`${bucket.arn}/*`],
        },
        {
          Effect: "Allow",
          Action: [
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:SendMessage",
            "sqs:GetQueueAttributes",
          ],
          Resource: [jobs.arn],
        },
        { Effect: "Allow", Action: ["sqs:GetQueueAttributes"], Resource: [deadLetters.arn] },
      ],
    }),
  });

  return { instanceRole, instanceProfile, executionRole, taskRole, callbackSecretParameter };
}
