/**
 * The GPU worker fleet. SST's Service runs on Fargate, which has no GPUs, so this is raw AWS
 * provider resources: an ECS cluster whose capacity provider is an Auto Scaling group of GPU
 * instances (ECS-managed scaling adds instances when tasks cannot be placed), one worker task per
 * GPU, and the service's task count tracking the queue backlog per worker, with a wake-up step
 * that starts the first worker when messages wait and none runs.
 */
import type { DeploySettings } from "./settings.ts";
import { workerIam } from "./worker-iam.ts";
import { createQueueScaling } from "./worker-scaling.ts";

export interface WorkerArgs {
  readonly settings: DeploySettings;
  readonly vpc: SstResource;
  readonly bucket: SstResource;
  readonly jobs: SstResource;
  readonly deadLetters: SstResource;
  readonly callbackSecret: SstResource;
}

/** Seconds ECS waits after SIGTERM before SIGKILL (the most ECS allows is 120). */
const STOP_TIMEOUT_SECONDS = 120;

/** Worker environment: the names are the worker's own (packages/gpu-worker/src/config.ts). */
function workerEnvironment(args: WorkerArgs) {
  const { settings, bucket, jobs, deadLetters } = args;
  return [
    { name: "ALIGNSAM_REGION", value: settings.region },
    { name: "ALIGNSAM_BUCKET", value: bucket.name },
    { name: "ALIGNSAM_QUEUE_URL", value: jobs.url },
    { name: "ALIGNSAM_DLQ_URL", value: deadLetters.url },
    { name: "ALIGNSAM_MAX_RECEIVES", value: String(settings.maxReceiveCount) },
    { name: "ALIGNSAM_VISIBILITY_TIMEOUT_SECONDS", value: String(settings.visibilityTimeoutSeconds) },
    { name: "ALIGNSAM_HEARTBEAT_SECONDS", value: String(Math.floor(settings.visibilityTimeoutSeconds / 4)) },
    { name: "ALIGNSAM_WORKER_CONCURRENCY", value: "1" },
    // Below the container's stopTimeout, so ECS never SIGKILLs a worker still releasing its job.
    { name: "ALIGNSAM_SHUTDOWN_GRACE_SECONDS", value: String(STOP_TIMEOUT_SECONDS - 30) },
  ];
}

export function createGpuWorker(args: WorkerArgs) {
  const { settings, vpc, jobs } = args;
  const stageName = `alignsam-${$app.stage}`;

  const cluster = new aws.ecs.Cluster("WorkerCluster", {
    name: `${stageName}-workers`,
    settings: [{ name: "containerInsights", value: "enabled" }],
  });
  const repository = new aws.ecr.Repository("WorkerImage", {
    name: `${stageName}-worker`,
    forceDelete: $app.stage !== "production",
    imageScanningConfiguration: { scanOnPush: true },
  });
  const logGroup = new aws.cloudwatch.LogGroup("WorkerLogs", {
    name: `/alignsam/${$app.stage}/worker`,
    retentionInDays: settings.logRetentionDays,
  });
  const iam = workerIam(args);

  // GPU instances that join the cluster with GPU support on.
  const ami = aws.ssm.getParameterOutput({ name: settings.gpuAmiParameter });
  const userData = cluster.name.apply((name: string) =>
    Buffer.from(
      [
        "#!/bin/bash",
        `echo ECS_CLUSTER=${name} >> /etc/ecs/ecs.config`,
        "echo ECS_ENABLE_GPU_SUPPORT=true >> /etc/ecs/ecs.config",
      ].join("\n"),
    ).toString("base64"),
  );
  const launchTemplate = new aws.ec2.LaunchTemplate("WorkerLaunchTemplate", {
    imageId: ami.value,
    instanceType: settings.gpuInstanceType,
    iamInstanceProfile: { arn: iam.instanceProfile.arn },
    vpcSecurityGroupIds: vpc.securityGroups,
    userData,
    metadataOptions: { httpTokens: "required", httpEndpoint: "enabled" },
    blockDeviceMappings: [
      {
        deviceName: "/dev/xvda",
        ebs: { volumeSize: settings.rootVolumeGiB, volumeType: "gp3", encrypted: "true" },
      },
    ],
  });
  const group = new aws.autoscaling.Group("WorkerInstances", {
    vpcZoneIdentifiers: vpc.privateSubnets,
    minSize: 0,
    maxSize: settings.maxWorkers,
    launchTemplate: { id: launchTemplate.id, version: "$Latest" },
    protectFromScaleIn: true, // ECS managed termination protection decides which instance may go
    tags: [{ key: "AmazonECSManaged", value: "true", propagateAtLaunch: true }],
  });
  const capacityProvider = new aws.ecs.CapacityProvider("WorkerCapacity", {
    name: `${stageName}-gpu`,
    autoScalingGroupProvider: {
      autoScalingGroupArn: group.arn,
      managedTerminationProtection: "ENABLED",
      managedScaling: {
        status: "ENABLED",
        targetCapacity: 100,
        minimumScalingStepSize: 1,
        maximumScalingStepSize: settings.maxWorkers,
      },
    },
  });
  const clusterCapacity = new aws.ecs.ClusterCapacityProviders("WorkerClusterCapacity", {
    clusterName: cluster.name,
    capacityProviders: [capacityProvider.name],
    defaultCapacityProviderStrategies: [{ capacityProvider: capacityProvider.name, weight: 1, base: 0 }],
  });

  const taskDefinition = new aws.ecs.TaskDefinition("WorkerTask", {
    family: `${stageName}-worker`,
    requiresCompatibilities: ["EC2"],
    networkMode: "bridge",
    executionRoleArn: iam.executionRole.arn,
    taskRoleArn: iam.taskRole.arn,
    containerDefinitions: $jsonStringify([
      {
        name: "worker",
        image: $interpolate`${repository.repositoryUrl}:${settings.workerImageTag}`,
        essential: true,
        cpu: settings.workerCpu,
        memoryReservation: settings.workerMemoryMiB,
        resourceRequirements: [{ type: "GPU", value: "1" }],
        environment: workerEnvironment(args),
        secrets: [{ name: "ALIGNSAM_CALLBACK_SECRET", valueFrom: iam.callbackSecretParameter.arn }],
        stopTimeout: STOP_TIMEOUT_SECONDS,
        logConfiguration: {
          logDriver: "awslogs",
          options: {
            "awslogs-group": logGroup.name,
            "awslogs-region": settings.region,
            "awslogs-stream-prefix": "worker",
          },
        },
      },
    ]),
  });
  const service = new aws.ecs.Service(
    "WorkerService",
    {
      name: `${stageName}-worker`,
      cluster: cluster.arn,
      taskDefinition: taskDefinition.arn,
      desiredCount: settings.minWorkers,
      capacityProviderStrategies: [{ capacityProvider: capacityProvider.name, weight: 1, base: 0 }],
      deploymentMinimumHealthyPercent: 0,
      deploymentMaximumPercent: 100,
      placementStrategies: [{ type: "binpack", field: "memory" }],
    },
    { dependsOn: [clusterCapacity], ignoreChanges: ["desiredCount"] },
  );

  const scaling = createQueueScaling({ settings, cluster, service, jobs });
  return {
    cluster,
    repository,
    logGroup,
    launchTemplate,
    group,
    capacityProvider,
    taskDefinition,
    service,
    ...scaling,
  };
}
