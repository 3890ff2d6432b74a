/** Lambda entry (API Gateway HTTP API or function URL): configuration is read once per cold start. */
import { handle } from "hono/aws-lambda";
import { createApp } from "../app.ts";
import { createClients } from "../clients.ts";
import { describeConfig, loadConfig } from "../config.ts";

const config = loadConfig(process.env);
console.log(JSON.stringify({ msg: "alignsam api cold start", config: describeConfig(config) }));

export const handler = handle(createApp({ ...createClients(config), config }));
