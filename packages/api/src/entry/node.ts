/** Node entry: `node packages/api/src/entry/node.ts` serves the API on PORT (default 3000). */
import { serve } from "@hono/node-server";
import { createApp } from "../app.ts";
import { createClients } from "../clients.ts";
import { describeConfig, loadConfig } from "../config.ts";

const config = loadConfig(process.env);
const app = createApp({ ...createClients(config), config });
const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
  console.log(
    JSON.stringify({ msg: "alignsam api listening", port: info.port, config: describeConfig(config) }),
  );
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
