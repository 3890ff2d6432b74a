// biome-ignore-all lint/suspicious/noExplicitAny: stand-in for SST's generated, fully typed declarations
/**
 * Ambient globals of an SST v3 config. `sst install` generates the real, precise declarations in
 * .sst/platform/config.d.ts (from the installed providers); that cannot run offline, so these loose
 * stand-ins let `tsc` check sst.config.ts and infra/aws/*.ts here. The shapes used are exercised by
 * tests/infra/sst-config.test.ts.
 */

interface SstAppInput {
  readonly stage: string;
}

interface SstAppConfig {
  name: string;
  removal?: "remove" | "retain" | "retain-all";
  protect?: boolean;
  home: "aws" | "cloudflare" | "local";
  providers?: Record<string, unknown>;
}

interface SstConfig {
  app(input: SstAppInput): SstAppConfig;
  run(): Promise<Record<string, unknown> | undefined>;
}

declare function $config(config: SstConfig): SstConfig;
declare const $app: { readonly name: string; readonly stage: string };
declare const $dev: boolean;
declare function $interpolate(strings: TemplateStringsArray, ...values: unknown[]): any;
declare function $jsonStringify(value: unknown, replacer?: unknown, space?: number): any;
/** A resource or output from SST or the AWS provider (precisely typed by the generated declarations). */
type SstResource = any;

declare const sst: any;
declare const aws: any;
