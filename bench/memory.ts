/**
 * Resident memory of a process from /proc/<pid>/status (Linux): VmRSS now and VmHWM, the kernel's
 * own peak, so short spikes between samples are not missed. Elsewhere the readers return undefined.
 */
import { readFileSync } from "node:fs";

export interface ProcMemory {
  /** Resident set now, MiB. */
  readonly rssMiB: number;
  /** Peak resident set since the process started, MiB. */
  readonly hwmMiB: number;
}

/** VmRSS and VmHWM of `pid`, or undefined when /proc is unavailable or the process is gone. */
export function readProcMemory(pid: number): ProcMemory | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(text)?.[1] ?? Number.NaN);
  return { rssMiB: kb("VmRSS") / 1024, hwmMiB: kb("VmHWM") / 1024 };
}

/**
 * CPU time (user + system, ms) a process has used, from /proc/<pid>/stat; undefined off Linux.
 * Unlike wall time it barely moves when other processes load the machine.
 */
export function readProcCpuMs(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15 (1-based).
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(rest[11]) + Number(rest[12]);
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: 100 on every mainstream Linux build (sysconf(_SC_CLK_TCK) is not reachable from Node). */
const CLOCK_TICKS_PER_SECOND = 100;
