/**
 * AWS deployment (SST v3): the bucket, the jobs queue and its dead-letter queue, the Hono API on
 * Lambda, and the GPU worker fleet on ECS scaled on queue backlog. `npx sst deploy --stage <s>`.
 * Knobs: infra/aws/settings.ts (ALIGNSAM_DEPLOY_* variables). Secrets: `npx sst secret set
 * WebhookSecret ...` and `... CallbackSecret ...`. The worker image: infra/worker/push.sh.
 * Types come from .sst/platform/config.d.ts after `sst install`; offline, infra/aws/sst-globals.d.ts.
 */
export default $config({
  app(input) {
    return {
      name: "alignsam",
      removal: input?.stage === "production" ? "retain" : "remove",
      protect: input?.stage === "production",
      home: "aws",
      providers: { aws: { region: process.env.ALIGNSAM_DEPLOY_REGION ?? "us-east-1" } },
    };
  },
  async run() {
    // SST evaluates this file before providers load: infra modules are imported inside run().
    const { deploySettings } = await import("./infra/aws/settings.ts");
    const { createStorage } = await import("./infra/aws/storage.ts");
    const { createQuotaTable } = await import("./infra/aws/quota.ts");
    const { createApi } = await import("./infra/aws/api.ts");
    const { createGpuWorker } = await import("./infra/aws/worker.ts");

    const settings = deploySettings(process.env);
    const { bucket, jobs, deadLetters } = createStorage(settings);
    const webhookSecret = new sst.Secret("WebhookSecret");
    const callbackSecret = new sst.Secret("CallbackSecret");
    const quotaTable = createQuotaTable();
    const api = createApi({ settings, bucket, jobs, webhookSecret, quotaTable });
    const vpc = new sst.aws.Vpc("Vpc", { nat: "ec2", az: 2 });
    const worker = createGpuWorker({ settings, vpc, bucket, jobs, deadLetters, callbackSecret });

    return {
      api: api.url,
      bucket: bucket.name,
      queue: jobs.url,
      deadLetterQueue: deadLetters.url,
      workerImageRepository: worker.repository.repositoryUrl,
    };
  },
});
