/**
 * Queue-driven scaling of the GPU worker service: SQS and ECS do the distribution, this only sets
 * how many workers run.
 */
import type { DeploySettings } from "./settings.ts";

/**
 * Scale the service on the queue: target tracking keeps visible messages per running worker near
 * `messagesPerWorker`; because that ratio cannot start a fleet of zero, a step policy on an alarm
 * "messages wait and no worker runs" adds the first one.
 */
export function createQueueScaling(args: {
  settings: DeploySettings;
  cluster: SstResource;
  service: SstResource;
  jobs: SstResource;
}) {
  const { settings, cluster, service, jobs } = args;
  const queueName = jobs.nodes.queue.name;
  const target = new aws.appautoscaling.Target("WorkerScalingTarget", {
    serviceNamespace: "ecs",
    scalableDimension: "ecs:service:DesiredCount",
    resourceId: $interpolate`service/${cluster.name}/${service.name}`,
    minCapacity: settings.minWorkers,
    maxCapacity: settings.maxWorkers,
  });
  const visible = {
    id: "visible",
    metricStat: {
      metric: {
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: [{ name: "QueueName", value: queueName }],
      },
      stat: "Maximum",
    },
    returnData: false,
  };
  const running = {
    id: "running",
    metricStat: {
      metric: {
        namespace: "ECS/ContainerInsights",
        metricName: "RunningTaskCount",
        dimensions: [
          { name: "ClusterName", value: cluster.name },
          { name: "ServiceName", value: service.name },
        ],
      },
      stat: "Average",
    },
    returnData: false,
  };
  const backlogPolicy = new aws.appautoscaling.Policy("WorkerBacklogPolicy", {
    policyType: "TargetTrackingScaling",
    serviceNamespace: target.serviceNamespace,
    scalableDimension: target.scalableDimension,
    resourceId: target.resourceId,
    targetTrackingScalingPolicyConfiguration: {
      targetValue: settings.messagesPerWorker,
      scaleInCooldown: 300,
      scaleOutCooldown: 60,
      customizedMetricSpecification: {
        metrics: [
          visible,
          running,
          {
            id: "backlog",
            expression: "visible / IF(running > 0, running, 1)",
            label: "messages per worker",
            returnData: true,
          },
        ],
      },
    },
  });
  const wakePolicy = new aws.appautoscaling.Policy("WorkerWakePolicy", {
    policyType: "StepScaling",
    serviceNamespace: target.serviceNamespace,
    scalableDimension: target.scalableDimension,
    resourceId: target.resourceId,
    stepScalingPolicyConfiguration: {
      adjustmentType: "ChangeInCapacity",
      cooldown: 60,
      metricAggregationType: "Maximum",
      stepAdjustments: [{ metricIntervalLowerBound: "0", scalingAdjustment: 1 }],
    },
  });
  const wakeAlarm = new aws.cloudwatch.MetricAlarm("WorkerWakeAlarm", {
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    evaluationPeriods: 1,
    threshold: 1,
    treatMissingData: "notBreaching",
    alarmActions: [wakePolicy.arn],
    metricQueries: [
      {
        id: "visible",
        metric: {
          namespace: "AWS/SQS",
          metricName: "ApproximateNumberOfMessagesVisible",
          dimensions: { QueueName: queueName },
          period: 60,
          stat: "Maximum",
        },
      },
      {
        id: "running",
        metric: {
          namespace: "ECS/ContainerInsights",
          metricName: "RunningTaskCount",
          dimensions: { ClusterName: cluster.name, ServiceName: service.name },
          period: 60,
          stat: "Average",
        },
      },
      { id: "idleWithWork", expression: "IF(visible > 0 AND FILL(running, 0) == 0, 1, 0)", returnData: true },
    ],
  });
  return { scalingTarget: target, backlogPolicy, wakePolicy, wakeAlarm };
}
