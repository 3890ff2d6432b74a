/**
 * Recorded stand-ins for the globals SST gives sst.config.ts (`$config`, `$app`, `sst`, `aws`,
 * `$interpolate`, `$jsonStringify`), so the config can be evaluated offline and its resource graph
 * inspected. Every `new <namespace>.<Type>(name, args, opts)` is recorded; every property of a
 * resource is an output token that prints as `<Type:name.property>`, so wiring between resources
 * can be checked by value.
 */

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly args: Record<string, unknown>;
  readonly opts: Record<string, unknown> | undefined;
  readonly instance: unknown;
}

export interface RecordedCall {
  readonly fn: string;
  readonly args: unknown[];
}

const RECORD = Symbol("record");

/** An output: any property is a deeper output, `apply` runs on the printed token, it prints as `<path>`. */
function output(path: string, record?: RecordedResource): unknown {
  const text = ref(path);
  const target = () => undefined;
  return new Proxy(target, {
    get(_t, prop) {
      if (prop === RECORD) return record;
      if (prop === Symbol.toPrimitive || prop === "toString" || prop === "toJSON") return () => text;
      if (prop === "then") return undefined;
      if (prop === "apply") return (fn: (v: string) => unknown) => fn(text);
      return output(`${path}.${String(prop)}`);
    },
  });
}

/** How an output prints: `<type:name.property>` (unresolved, like a Pulumi output at preview). */
export function ref(path: string): string {
  return `<${path}>`;
}

/** The record behind a resource instance, or undefined for a plain value. */
export function recordOf(value: unknown): RecordedResource | undefined {
  return (value as Record<symbol, RecordedResource | undefined> | undefined)?.[RECORD];
}

/** The printed form of an output or value, to compare wiring by value. */
export function show(value: unknown): string {
  return String(value);
}

export interface SstStandIns {
  readonly resources: RecordedResource[];
  readonly calls: RecordedCall[];
  install(stage: string): void;
  uninstall(): void;
  byType(type: string): RecordedResource[];
  one(type: string, name: string): RecordedResource;
}

export function createSstStandIns(): SstStandIns {
  const resources: RecordedResource[] = [];
  const calls: RecordedCall[] = [];

  function namespace(path: string): unknown {
    return new Proxy(function standIn() {}, {
      get(_t, prop) {
        if (typeof prop === "symbol") return undefined;
        return namespace(`${path}.${prop}`);
      },
      construct(_t, argList) {
        const [name, args, opts] = argList as [
          string,
          Record<string, unknown> | undefined,
          Record<string, unknown> | undefined,
        ];
        const type = path;
        const record: { -readonly [K in keyof RecordedResource]: RecordedResource[K] } = {
          type,
          name,
          args: args ?? {},
          opts,
          instance: undefined,
        };
        record.instance = output(`${type}:${name}`, record);
        resources.push(record);
        return record.instance as object;
      },
      apply(_t, _this, argList) {
        calls.push({ fn: path, args: argList });
        return output(`${path}()`);
      },
    });
  }

  const globals: Record<string, unknown> = {};
  return {
    resources,
    calls,
    install(stage) {
      Object.assign(globals, {
        $config: (c: unknown) => c,
        $app: { name: "alignsam", stage },
        $dev: false,
        $interpolate: (strings: TemplateStringsArray, ...values: unknown[]) =>
          strings.reduce((acc, s, i) => acc + s + (i < values.length ? String(values[i]) : ""), ""),
        $jsonStringify: (value: unknown) => JSON.stringify(value),
        sst: namespace("sst"),
        aws: namespace("aws"),
      });
      Object.assign(globalThis, globals);
    },
    uninstall() {
      for (const key of Object.keys(globals)) delete (globalThis as Record<string, unknown>)[key];
    },
    byType(type) {
      return resources.filter((r) => r.type === type);
    },
    one(type, name) {
      const found = resources.filter((r) => r.type === type && r.name === name);
      if (found.length !== 1) {
        throw new Error(
          `expected one ${type} "${name}", found ${found.length}: ${resources.map((r) => `${r.type}:${r.name}`).join(", ")}`,
        );
      }
      return found[0];
    },
  };
}
