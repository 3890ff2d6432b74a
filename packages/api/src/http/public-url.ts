/**
 * Absolute URLs the API hands out (status, evaluation), on the configured public base URL or, when
 * none is configured, on the origin the request arrived at.
 */
import type { ApiConfig } from "../config.ts";

export function publicUrl(config: ApiConfig, requestUrl: string, path: string): string {
  const base = config.publicBaseUrl ?? new URL(requestUrl).origin;
  return `${base}${path}`;
}
