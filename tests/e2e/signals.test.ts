/**
 * Stopping the local stack by PID: SIGINT or SIGTERM sent to `npm start` or to its launcher
 * (`node infra/local/start.ts`) stops everything within seconds — no process left, both ports free —
 * and SIGKILL to the launcher still takes its API and worker down. Also the emulator behaviour the
 * quick worker shutdown relies on: a long poll the worker aborted takes no message.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterEach, describe, expect, it } from "vitest";
import { startEmulator } from "../../infra/local/emulator.ts";
import { emulatorClients, freePort, REPO_ROOT } from "../../infra/local/stack.ts";
import { waitFor } from "./harness.ts";

/** Node 24 runs the launcher (vitest itself may run on an older host Node). */
const NODE24 =
  Number(process.versions.node.split(".")[0]) >= 23
    ? process.execPath
    : resolve(REPO_ROOT, "node_modules/.bin/node");
/** What "within a few seconds" means here. */
const STOP_MS = 5_000;

/** Parent pid of a live process, or undefined when it is gone or a zombie (dead, not yet reaped). */
function liveParent(pid: number): number | undefined {
  try {
    // "pid (comm) state ppid ...": comm may hold spaces, so split after the last ")".
    const [state, ppid] = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return state === "Z" || state === "X" ? undefined : Number(ppid);
  } catch {
    return undefined;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

/** Every live descendant of `root`. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const ppid = liveParent(pid);
    if (ppid !== undefined) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const server = createServer();
    server.once("error", () => ok(false));
    server.listen(port, "127.0.0.1", () => server.close(() => ok(true)));
  });
}

interface Running {
  /** The process we spawned (npm, or sh that exec'd npm, or the launcher). */
  readonly top: number;
  readonly launcher: number;
  /** The launcher and everything under it, collected once the stack is up. */
  readonly processes: number[];
  readonly ports: number[];
  readonly output: () => string;
}

const started: Running[] = [];
afterEach(() => {
  for (const r of started.splice(0)) {
    for (const pid of [r.top, ...r.processes]) {
      if (liveParent(pid) !== undefined) process.kill(pid, "SIGKILL");
    }
  }
});

/** Start the stack in memory on free ports and wait for its "is up" banner. */
async function launch(how: "npm" | "npm-in-background-job" | "launcher"): Promise<Running> {
  const apiPort = await freePort();
  const emulatorPort = await freePort();
  const env = {
    ...process.env,
    ALIGNSAM_DATA_DIR: "",
    PORT: String(apiPort),
    ALIGNSAM_EMULATOR_PORT: String(emulatorPort),
    ALIGNSAM_WORKERS: "1",
  };
  const [command, args] =
    how === "launcher"
      ? [NODE24, ["infra/local/start.ts"]]
      : how === "npm"
        ? ["npm", ["start"]]
        : // What `npm start &` in a script does: a background job without job control has SIGINT ignored.
          ["sh", ["-c", 'trap "" INT; exec npm start']];
  const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (b: Buffer) => {
    output += b.toString();
  });
  child.stderr.on("data", (b: Buffer) => {
    output += b.toString();
  });
  const top = child.pid!;
  await waitFor(
    "the stack to be up",
    async () => (output.includes("AlignSAM local stack is up") ? true : undefined),
    120_000,
  ).catch((e: Error) => {
    throw new Error(`${e.message}; output:\n${output}`);
  });
  const processes = [top, ...descendants(top)];
  const launcher = processes.find((pid) => commandLine(pid).includes("infra/local/start.ts"));
  expect(launcher, `no launcher among ${processes.map(commandLine).join(" | ")}`).toBeDefined();
  const all = descendants(top);
  // The API and one worker run under the launcher.
  expect(
    all.filter((pid) => /entry\/node\.ts|gpu-worker\/src\/main\.ts/.test(commandLine(pid))),
  ).toHaveLength(2);
  const running: Running = {
    top,
    launcher: launcher!,
    processes: all,
    ports: [apiPort, emulatorPort],
    output: () => output,
  };
  started.push(running);
  return running;
}

/** Everything is gone within STOP_MS of the signal, and both ports can be bound again. */
async function expectAllStopped(r: Running, signalledAt: number) {
  await waitFor(
    `every process of the stack to exit (${[r.top, ...r.processes].join(", ")})`,
    async () => ([r.top, ...r.processes].every((pid) => liveParent(pid) === undefined) ? true : undefined),
    STOP_MS,
  ).catch((e: Error) => {
    const left = [r.top, ...r.processes].filter((pid) => liveParent(pid) !== undefined);
    throw new Error(`${e.message}; still running: ${left.map(commandLine).join(" | ")}\n${r.output()}`);
  });
  expect(Date.now() - signalledAt).toBeLessThan(STOP_MS);
  for (const port of r.ports) expect(await canBind(port), `port ${port} is free`).toBe(true);
}

// The process checks read /proc (Linux).
describe.skipIf(!existsSync("/proc/self/stat"))("stopping npm start by PID", () => {
  for (const [how, signal] of [
    ["npm-in-background-job", "SIGINT"],
    ["npm", "SIGTERM"],
    ["launcher", "SIGINT"],
    ["launcher", "SIGTERM"],
  ] as const) {
    it(`${signal} to the ${how === "launcher" ? "launcher" : "npm process"}${how === "npm-in-background-job" ? " (started as a background job)" : ""} stops everything within seconds`, async () => {
      const r = await launch(how);
      const at = Date.now();
      process.kill(how === "launcher" ? r.launcher : r.top, signal);
      await expectAllStopped(r, at);
      expect(r.output()).toContain("[stack] stopped");
    });
  }

  it("SIGKILL to the launcher still takes its API and worker down", async () => {
    const r = await launch("launcher");
    const at = Date.now();
    process.kill(r.launcher, "SIGKILL");
    await expectAllStopped(r, at);
  });
});

describe("the local emulator's long polls", () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it("gives no message to a long poll whose client aborted it", async () => {
    const emulator = await startEmulator({ port: 0, region: "us-east-1" });
    const { sqs, s3 } = emulatorClients({ region: "us-east-1", endpoint: emulator.endpoint });
    close = async () => {
      sqs.destroy();
      s3.destroy();
      await emulator.close();
    };
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "polls" }))).QueueUrl!;
    const abort = new AbortController();
    const poll = sqs
      .send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 5, VisibilityTimeout: 60 }), {
        abortSignal: abort.signal,
      })
      .then(
        () => "answered",
        (e: Error) => e.name,
      );
    await new Promise((r) => setTimeout(r, 300));
    abort.abort();
    expect(await poll).toBe("AbortError");
    await new Promise((r) => setTimeout(r, 100));
    // The server-side wait of the aborted poll is still pending when this arrives.
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "after-abort" }));
    await new Promise((r) => setTimeout(r, 200));
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 0 }));
    expect(got.Messages?.map((m) => m.Body)).toEqual(["after-abort"]);
  });
});
