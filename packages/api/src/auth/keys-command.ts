/**
 * `npm run keys -- create|list|revoke`: the operator's command line over the API's key store
 * (./key-store.ts). Output as every AlignSAM command prints it: text, or one JSON document with
 * `--json`; errors as one `CODE: message` line and exit code 1.
 */

import { action, emit, type GlobalOptions } from "@alignsam/core/cli/output";
import { AlignSamError, type ApiKeyRecord, KeySegmentSchema } from "@alignsam/core/light";
import { Command } from "commander";
import { createKeyStore, type KeyStore, keyStoreError, loadKeyStoreConfig } from "./key-store.ts";

function parseQuota(value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new AlignSamError("INVALID_ARGUMENT", `--quota must be a whole number of images, not "${value}"`, {
      field: "quota",
    });
  }
  return n;
}

function parseTenant(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!KeySegmentSchema.safeParse(value).success) {
    throw new AlignSamError(
      "INVALID_ARGUMENT",
      `--tenant "${value}" must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit`,
      { field: "tenant" },
    );
  }
  return value;
}

function describeKey(r: ApiKeyRecord): string {
  const quota = r.quota === null ? "unlimited" : `${r.quota} images`;
  const state = r.revokedAt ? `revoked ${r.revokedAt}` : "active";
  return `${r.id}  ${r.name}  tenant ${r.tenant}  quota ${quota}  created ${r.createdAt}  ${state}`;
}

/** Run `use` with a key store from the environment, closing it afterwards. */
async function withStore<T>(use: (store: KeyStore) => Promise<T>): Promise<T> {
  const config = loadKeyStoreConfig(process.env);
  const store = createKeyStore(config);
  try {
    return await use(store);
  } catch (e) {
    throw keyStoreError(e, config);
  } finally {
    store.close();
  }
}

/**
 * The `keys` program: create, list, revoke, and `--json` for machine output.
 *
 * @example
 * await keysProgram().parseAsync(["node", "keys", "list"]);
 */
export function keysProgram(): Command {
  const keys = new Command("keys")
    .description(
      "manage API keys of the service (bucket from ALIGNSAM_BUCKET, endpoint from ALIGNSAM_S3_ENDPOINT)",
    )
    .option("--json", "machine-readable output (one JSON document on stdout)")
    .showHelpAfterError();
  const json = () => keys.opts<GlobalOptions>().json === true;

  keys
    .command("create")
    .description("create a key and print its secret (shown once: only its SHA-256 is stored)")
    .requiredOption("--name <name>", "a label for people (who or what uses the key)")
    .option(
      "--quota <images>",
      "images the key's tenant may process (segment + evaluation); default unlimited",
    )
    .option(
      "--tenant <tenant>",
      "tenant whose data the key reaches; default: a new tenant named by the key id",
    )
    .action(
      action(async (options: { name: string; quota?: string; tenant?: string }) => {
        const quota = parseQuota(options.quota);
        const tenant = parseTenant(options.tenant);
        const { record, secret } = await withStore((s) => s.create({ name: options.name, quota, tenant }));
        emit(
          keys.opts<GlobalOptions>(),
          () =>
            `${describeKey(record)}\nsecret: ${secret}\n(store it now: it is not kept and cannot be shown again; send it as "Authorization: Bearer <secret>")`,
          () => ({ ...record, secret }),
        );
      }, json),
    );

  keys
    .command("list")
    .description("list keys (ids, names, tenants, quotas, revocations; never secrets)")
    .action(
      action(async () => {
        const records = await withStore((s) => s.list());
        emit(
          keys.opts<GlobalOptions>(),
          () => (records.length === 0 ? "no API keys" : records.map(describeKey).join("\n")),
          () => ({ keys: records }),
        );
      }, json),
    );

  keys
    .command("revoke <id>")
    .description("revoke a key by id: requests with it are refused (401) from then on")
    .action(
      action(async (id: string) => {
        const record = await withStore((s) => s.revoke(id));
        emit(
          keys.opts<GlobalOptions>(),
          () => `revoked ${describeKey(record)}`,
          () => record,
        );
      }, json),
    );
  return keys;
}
