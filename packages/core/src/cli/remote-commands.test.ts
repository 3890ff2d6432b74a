/**
 * `tasks create` and `train --remote` against a stub of the two service routes they call (the real
 * routes are tested in packages/api; the CLI package cannot start the API): what is sent, how
 * progress is followed, and how a failed run ends.
 */
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CLI = join(import.meta.dirname, "main.ts");

describe("remote CLI commands", () => {
  let server: Server;
  let url: string;
  const seen: { method: string; path: string; auth?: string; body: unknown }[] = [];
  let polls = 0;

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      let raw = "";
      for await (const chunk of req) raw += chunk;
      seen.push({
        method: req.method!,
        path: req.url!,
        auth: req.headers.authorization,
        body: raw ? JSON.parse(raw) : undefined,
      });
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(value));
      };
      if (req.method === "POST" && req.url === "/v1/tasks")
        return json(201, { name: "discs", branch: "implicit" });
      if (req.method === "POST" && req.url === "/v1/tasks/discs/trainings")
        return json(202, { jobId: "t1", state: "queued" });
      if (req.method === "POST" && req.url === "/v1/tasks/nope/trainings") {
        return json(404, { error: { code: "UNKNOWN_TASK", message: 'no task "nope"', requestId: "r" } });
      }
      if (req.url === "/v1/tasks/discs/trainings/t1") {
        polls++;
        const progress = {
          phase: "ppo",
          episodesDone: polls,
          episodesTotal: 3,
          reward: 0.5,
          srmLoss: 0.2,
          elapsedSeconds: 1,
          etaSeconds: 2,
        };
        return polls < 3
          ? json(200, { jobId: "t1", state: "running", progress, report: null })
          : json(200, {
              jobId: "t1",
              state: "succeeded",
              progress,
              report: { promoted: false, reason: "fewer than 20 held-out images" },
            });
      }
      json(404, { error: { code: "NOT_FOUND", message: "no route" } });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const run = (args: string[]) =>
    promisify(execFile)(process.execPath, [CLI, ...args], { timeout: 60_000 }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  it("defines a task with its branch and texts, sending the key", async () => {
    const r = await run([
      "tasks",
      "create",
      "discs",
      "--branch",
      "implicit",
      "--text",
      "disc",
      "round thing",
      "--url",
      url,
      "--key",
      "k1",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("task discs defined (implicit)");
    expect(seen.at(-1)).toMatchObject({
      path: "/v1/tasks",
      auth: "Bearer k1",
      body: { name: "discs", branch: "implicit", texts: ["disc", "round thing"] },
    });
  });

  it("starts a remote training, prints its progress and ends with the decision", async () => {
    const r = await run([
      "train",
      "--remote",
      "--task",
      "discs",
      "--dataset",
      "ds1",
      "--epochs",
      "3",
      "--url",
      url,
    ]);
    expect(r.code).toBe(0);
    expect(seen.find((s) => s.path === "/v1/tasks/discs/trainings")?.body).toEqual({
      dataset: "ds1",
      options: { episodes: 3, seed: 0 },
    });
    expect(r.stderr).toContain("ppo 1/3 episodes, reward 0.500, SRM loss 0.200, ETA 2 s");
    expect(r.stdout).toContain("training t1: not promoted (fewer than 20 held-out images)");
  });

  it("prints the service's error code and exits 1", async () => {
    const r = await run(["train", "--remote", "--task", "nope", "--dataset", "ds1", "--url", url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('UNKNOWN_TASK: no task "nope"');
    const noDataset = await run(["train", "--remote", "--task", "discs", "--url", url]);
    expect(noDataset.stderr).toContain("--remote needs --dataset");
  });
});
