/**
 * Node entry: `node packages/api/src/entry/node.ts` serves the API on PORT (default 3000). Logs are
 * JSON lines (../http/logger.ts): the start line prints the configuration with secrets masked, and
 * each request's line carries its request id and nothing from its headers or body.
 */
import { serve } from "@hono/node-server";
import { createApp } from "../app.ts";
import { createClients } from "../clients.ts";
import { describeConfig, loadConfig } from "../config.ts";
import { apiLog } from "../http/logger.ts";

const config = loadConfig(process.env);
const app = createApp({ ...createClients(config), config });
const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
  // Always printed (whatever the log level): the stack launcher and the tests read the port from it.
  console.log(
    JSON.stringify({ msg: "alignsam api listening", port: info.port, config: describeConfig(config) }),
  );
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    apiLog.info("stopping", { signal });
    server.close(() => process.exit(0));
  });
}
