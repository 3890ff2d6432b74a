import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { INPUT_TTL_SECONDS_DEFAULT } from "../../infra/input-expiry.ts";
import { API_ENV } from "../../packages/api/src/config.ts";
import { WORKER_ENV } from "../../packages/gpu-worker/src/config.ts";
import { createSstStandIns, recordOf, ref, type SstStandIns, show } from "./sst-recorder.ts";

const ROOT = join(import.meta.dirname, "..", "..");

interface SstConfigModule {
  default: {
    app(input: { stage: string }): Record<string, unknown>;
    run(): Promise<Record<string, unknown>>;
  };
}

async function evaluate(
  stage = "dev",
): Promise<{ sst: SstStandIns; outputs: Record<string, unknown>; config: SstConfigModule["default"] }> {
  const sst = createSstStandIns();
  sst.install(stage);
  const config = ((await import("../../sst.config.ts")) as unknown as SstConfigModule).default;
  const outputs = await config.run();
  return { sst, outputs, config };
}

type ContainerDefinition = {
  image: string;
  resourceRequirements: Array<{ type: string; value: string }>;
  environment: Array<{ name: string; value: string }>;
  secrets: Array<{ name: string; valueFrom: string }>;
  logConfiguration: { options: Record<string, string> };
};

describe("sst.config.ts", () => {
  let current: SstStandIns | undefined;
  afterEach(() => {
    current?.uninstall();
    current = undefined;
    vi.unstubAllEnvs();
  });

  it("retains and protects production data, removes other stages", async () => {
    const { sst, config } = await evaluate();
    current = sst;
    expect(config.app({ stage: "production" })).toMatchObject({
      name: "alignsam",
      home: "aws",
      removal: "retain",
      protect: true,
    });
    expect(config.app({ stage: "pr-12" })).toMatchObject({ removal: "remove", protect: false });
  });

  it("creates the bucket, the jobs queue with its dead-letter queue, the API and the GPU worker", async () => {
    const { sst, outputs } = await evaluate();
    current = sst;
    const names = sst.resources.map((r) => `${r.type}:${r.name}`);
    for (const expected of [
      "sst.aws.Bucket:Data",
      "sst.aws.Queue:Jobs",
      "sst.aws.Queue:JobsDeadLetter",
      "sst.aws.Function:Api",
      "sst.Secret:WebhookSecret",
      "sst.Secret:CallbackSecret",
      "sst.aws.Vpc:Vpc",
      "aws.ecs.Cluster:WorkerCluster",
      "aws.ecs.CapacityProvider:WorkerCapacity",
      "aws.autoscaling.Group:WorkerInstances",
      "aws.ecs.TaskDefinition:WorkerTask",
      "aws.ecs.Service:WorkerService",
      "aws.appautoscaling.Policy:WorkerBacklogPolicy",
      "aws.ecr.Repository:WorkerImage",
    ]) {
      expect(names).toContain(expected);
    }
    expect(new Set(names).size).toBe(names.length); // logical names are unique
    expect(show(outputs.api)).toBe(ref("sst.aws.Function:Api.url"));
    expect(show(outputs.queue)).toBe(ref("sst.aws.Queue:Jobs.url"));
  });

  it("wires the dead-letter queue into the jobs queue's redrive with the worker's maxReceiveCount", async () => {
    const { sst } = await evaluate();
    current = sst;
    const jobs = sst.one("sst.aws.Queue", "Jobs").args as {
      dlq: { queue: unknown; retry: number };
      visibilityTimeout: string;
    };
    expect(show(jobs.dlq.queue)).toBe(ref("sst.aws.Queue:JobsDeadLetter.arn"));
    expect(jobs.dlq.retry).toBe(5);
    const env = containerEnv(sst);
    expect(env.ALIGNSAM_MAX_RECEIVES).toBe("5");
    expect(jobs.visibilityTimeout).toBe(`${env.ALIGNSAM_VISIBILITY_TIMEOUT_SECONDS} seconds`);
    expect(Number(env.ALIGNSAM_HEARTBEAT_SECONDS)).toBeLessThan(
      Number(env.ALIGNSAM_VISIBILITY_TIMEOUT_SECONDS),
    );
  });

  it("runs the API's Lambda entry linked to the bucket, queue and secret, configured by the API's own variables", async () => {
    const { sst } = await evaluate();
    current = sst;
    const api = sst.one("sst.aws.Function", "Api").args as {
      handler: string;
      link: unknown[];
      environment: Record<string, unknown>;
    };
    const [file, exported] = [
      api.handler.slice(0, api.handler.lastIndexOf(".")),
      api.handler.split(".").pop(),
    ];
    const source = readFileSync(join(ROOT, `${file}.ts`), "utf8");
    expect(source).toMatch(new RegExp(`export const ${exported}\\b`));
    expect(api.link.map((l) => recordOf(l)?.name).sort()).toEqual([
      "Data",
      "Jobs",
      "QuotaCounters",
      "WebhookSecret",
    ]);
    const known = new Set<string>(Object.values(API_ENV));
    for (const name of Object.keys(api.environment))
      expect(known, `${name} is not an API variable`).toContain(name);
    expect(show(api.environment.ALIGNSAM_BUCKET)).toBe(ref("sst.aws.Bucket:Data.name"));
    expect(show(api.environment.ALIGNSAM_QUEUE_URL)).toBe(ref("sst.aws.Queue:Jobs.url"));
    expect(show(api.environment.ALIGNSAM_WEBHOOK_SECRET)).toBe(ref("sst.Secret:WebhookSecret.value"));
    // A multipart image must fit Lambda's 6 MB payload after base64 (4/3) plus the form's overhead.
    const maxImage = Number(api.environment.ALIGNSAM_MAX_IMAGE_BYTES);
    expect((maxImage + 64 * 1024) * (4 / 3)).toBeLessThan(6 * 1024 * 1024);
  });

  it("expires uploaded inputs: an hourly function linked to the bucket deletes tenants/*/inputs/ older than a day", async () => {
    const { sst } = await evaluate();
    current = sst;
    const cron = sst.one("sst.aws.Cron", "InputJanitor").args as {
      schedule: string;
      function: { handler: string; link: unknown[]; environment: Record<string, unknown> };
    };
    expect(cron.schedule).toBe("rate(1 hour)");
    const { handler, link, environment } = cron.function;
    const file = handler.slice(0, handler.lastIndexOf("."));
    const source = readFileSync(join(ROOT, `${file}.ts`), "utf8");
    expect(source).toMatch(new RegExp(`export async function ${handler.split(".").pop()}\\b`));
    expect(source).toContain("expireInputs");
    expect(link.map((l) => recordOf(l)?.name)).toEqual(["Data"]);
    expect(show(environment.ALIGNSAM_BUCKET)).toBe(ref("sst.aws.Bucket:Data.name"));
    expect(Number(environment.ALIGNSAM_INPUT_TTL_SECONDS)).toBe(INPUT_TTL_SECONDS_DEFAULT);
    expect(INPUT_TTL_SECONDS_DEFAULT).toBe(86_400);
  });

  it("keeps the quota counters in a DynamoDB table the API admits against by name", async () => {
    const { sst } = await evaluate();
    current = sst;
    const table = sst.one("sst.aws.Dynamo", "QuotaCounters").args as {
      fields: Record<string, string>;
      primaryIndex: { hashKey: string };
      ttl: string;
    };
    // counter-dynamo.ts keys every item by `pk` and expires give-back markers through `expiresAt`.
    expect(table).toEqual({ fields: { pk: "string" }, primaryIndex: { hashKey: "pk" }, ttl: "expiresAt" });
    const api = sst.one("sst.aws.Function", "Api").args as { environment: Record<string, unknown> };
    expect(show(api.environment[API_ENV.quotaTable])).toBe(ref("sst.aws.Dynamo:QuotaCounters.name"));
  });

  it("runs the worker image on one GPU with the worker's own variables and the callback secret from SSM", async () => {
    const { sst } = await evaluate();
    current = sst;
    const [container] = containerDefinitions(sst);
    expect(container.image).toBe(`${ref("aws.ecr.Repository:WorkerImage.repositoryUrl")}:latest`);
    expect(container.resourceRequirements).toEqual([{ type: "GPU", value: "1" }]);
    const known = new Set<string>(Object.values(WORKER_ENV));
    for (const { name } of [...container.environment, ...container.secrets]) {
      expect(known, `${name} is not a worker variable`).toContain(name);
    }
    const env = containerEnv(sst);
    expect(env.ALIGNSAM_BUCKET).toBe(ref("sst.aws.Bucket:Data.name"));
    expect(env.ALIGNSAM_QUEUE_URL).toBe(ref("sst.aws.Queue:Jobs.url"));
    expect(env.ALIGNSAM_DLQ_URL).toBe(ref("sst.aws.Queue:JobsDeadLetter.url"));
    expect(container.secrets).toEqual([
      { name: "ALIGNSAM_CALLBACK_SECRET", valueFrom: ref("aws.ssm.Parameter:WorkerCallbackSecret.arn") },
    ]);
    expect(show(sst.one("aws.ssm.Parameter", "WorkerCallbackSecret").args.value)).toBe(
      ref("sst.Secret:CallbackSecret.value"),
    );
    expect(JSON.stringify(sst.resources.map((r) => r.args))).not.toMatch(
      /"ALIGNSAM_CALLBACK_SECRET","value"/,
    );
    expect(container.logConfiguration.options["awslogs-group"]).toBe(
      ref("aws.cloudwatch.LogGroup:WorkerLogs.name"),
    );
  });

  it("places the worker on GPU instances through an ECS capacity provider on an Auto Scaling group", async () => {
    const { sst } = await evaluate();
    current = sst;
    const template = sst.one("aws.ec2.LaunchTemplate", "WorkerLaunchTemplate").args as Record<
      string,
      unknown
    >;
    expect(template.instanceType).toBe("g5.xlarge");
    expect(show(template.imageId)).toContain("aws.ssm.getParameterOutput()");
    expect(sst.calls.find((c) => c.fn === "aws.ssm.getParameterOutput")?.args[0]).toEqual({
      name: "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id",
    });
    const userData = Buffer.from(String(template.userData), "base64").toString();
    expect(userData).toContain(`ECS_CLUSTER=${ref("aws.ecs.Cluster:WorkerCluster.name")}`);
    expect(userData).toContain("ECS_ENABLE_GPU_SUPPORT=true");
    const group = sst.one("aws.autoscaling.Group", "WorkerInstances").args as Record<string, unknown>;
    expect(show((group.launchTemplate as { id: unknown }).id)).toBe(
      ref("aws.ec2.LaunchTemplate:WorkerLaunchTemplate.id"),
    );
    expect(show(group.vpcZoneIdentifiers)).toBe(ref("sst.aws.Vpc:Vpc.privateSubnets"));
    const provider = sst.one("aws.ecs.CapacityProvider", "WorkerCapacity").args as {
      autoScalingGroupProvider: { autoScalingGroupArn: unknown; managedScaling: { status: string } };
    };
    expect(show(provider.autoScalingGroupProvider.autoScalingGroupArn)).toBe(
      ref("aws.autoscaling.Group:WorkerInstances.arn"),
    );
    expect(provider.autoScalingGroupProvider.managedScaling.status).toBe("ENABLED");
    const service = sst.one("aws.ecs.Service", "WorkerService");
    const strategies = service.args.capacityProviderStrategies as Array<{ capacityProvider: unknown }>;
    expect(show(strategies[0].capacityProvider)).toBe(ref("aws.ecs.CapacityProvider:WorkerCapacity.name"));
    expect(((service.opts?.dependsOn ?? []) as unknown[]).map((d) => recordOf(d)?.name)).toEqual([
      "WorkerClusterCapacity",
    ]);
    expect(service.opts?.ignoreChanges).toEqual(["desiredCount"]);
  });

  it("scales the worker service on the jobs queue's visible messages per running worker, waking from zero", async () => {
    const { sst } = await evaluate();
    current = sst;
    const target = sst.one("aws.appautoscaling.Target", "WorkerScalingTarget").args;
    expect(target).toMatchObject({
      minCapacity: 0,
      maxCapacity: 4,
      scalableDimension: "ecs:service:DesiredCount",
    });
    expect(show(target.resourceId)).toBe(
      `service/${ref("aws.ecs.Cluster:WorkerCluster.name")}/${ref("aws.ecs.Service:WorkerService.name")}`,
    );
    const policy = sst.one("aws.appautoscaling.Policy", "WorkerBacklogPolicy").args as {
      targetTrackingScalingPolicyConfiguration: {
        targetValue: number;
        customizedMetricSpecification: {
          metrics: Array<{
            id: string;
            metricStat: { metric: { metricName: string; dimensions: Array<{ value: unknown }> } };
          }>;
        };
      };
    };
    const config = policy.targetTrackingScalingPolicyConfiguration;
    expect(config.targetValue).toBe(10);
    const visible = config.customizedMetricSpecification.metrics.find((m) => m.id === "visible");
    expect(visible?.metricStat.metric.metricName).toBe("ApproximateNumberOfMessagesVisible");
    expect(show(visible?.metricStat.metric.dimensions[0].value)).toBe(
      ref("sst.aws.Queue:Jobs.nodes.queue.name"),
    );
    const alarm = sst.one("aws.cloudwatch.MetricAlarm", "WorkerWakeAlarm").args as {
      alarmActions: unknown[];
    };
    expect(show(alarm.alarmActions[0])).toBe(ref("aws.appautoscaling.Policy:WorkerWakePolicy.arn"));
  });

  it("grants the worker task the bucket and the queue, and nothing to the instance beyond ECS and SSM", async () => {
    const { sst } = await evaluate();
    current = sst;
    const policy = JSON.parse(String(sst.one("aws.iam.RolePolicy", "WorkerTaskAccess").args.policy)) as {
      Statement: Array<{ Action: string[]; Resource: string[] }>;
    };
    const resources = policy.Statement.flatMap((s) => s.Resource);
    expect(resources).toContain(ref("sst.aws.Bucket:Data.arn"));
    expect(resources).toContain(`${ref("sst.aws.Bucket:Data.arn")}/*`);
    expect(resources).toContain(ref("sst.aws.Queue:Jobs.arn"));
    expect(policy.Statement.flatMap((s) => s.Action)).toContain("sqs:ChangeMessageVisibility");
    const attached = sst
      .byType("aws.iam.RolePolicyAttachment")
      .filter((a) => show(a.args.role).includes("WorkerInstanceRole"));
    expect(attached.map((a) => a.args.policyArn).sort()).toEqual([
      "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
      "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
    ]);
  });

  it("takes its knobs from ALIGNSAM_DEPLOY_* and refuses a bad one before creating anything", async () => {
    vi.stubEnv("ALIGNSAM_DEPLOY_MAX_WORKERS", "8");
    vi.stubEnv("ALIGNSAM_DEPLOY_GPU_INSTANCE_TYPE", "g6.2xlarge");
    const { sst } = await evaluate();
    current = sst;
    expect(sst.one("aws.autoscaling.Group", "WorkerInstances").args.maxSize).toBe(8);
    expect(sst.one("aws.appautoscaling.Target", "WorkerScalingTarget").args.maxCapacity).toBe(8);
    expect(sst.one("aws.ec2.LaunchTemplate", "WorkerLaunchTemplate").args.instanceType).toBe("g6.2xlarge");
    sst.uninstall();

    vi.stubEnv("ALIGNSAM_DEPLOY_GPU_INSTANCE_TYPE", "t3.micro");
    const bad = createSstStandIns();
    bad.install("dev");
    current = bad;
    const config = ((await import("../../sst.config.ts")) as unknown as SstConfigModule).default;
    await expect(config.run()).rejects.toThrow(/ALIGNSAM_DEPLOY_GPU_INSTANCE_TYPE/);
    expect(bad.resources).toEqual([]);
  });
});

function containerDefinitions(sst: SstStandIns): ContainerDefinition[] {
  return JSON.parse(String(sst.one("aws.ecs.TaskDefinition", "WorkerTask").args.containerDefinitions));
}

function containerEnv(sst: SstStandIns): Record<string, string> {
  return Object.fromEntries(containerDefinitions(sst)[0].environment.map((e) => [e.name, e.value]));
}
