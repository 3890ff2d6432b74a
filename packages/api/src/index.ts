/** The API package's public face: the app factory, its configuration, and the error envelope. */
export { type AppDeps, createApp } from "./app.ts";
export { createClients } from "./clients.ts";
export { API_ENV, type ApiConfig, ApiConfigSchema, describeConfig, loadConfig } from "./config.ts";
export { type ApiErrorCode, type ErrorBody, ErrorBodySchema, HttpError } from "./http/errors.ts";
export { sniffImage } from "./http/image-sniff.ts";
