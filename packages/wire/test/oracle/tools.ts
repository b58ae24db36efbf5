/**
 * Finding the external oracles (tshark, Debian's scapy) and deciding whether their
 * absence skips the suite (a developer machine) or fails it (CI, where both are installed).
 */
import { spawnSync } from 'node:child_process';

/** True when `command args` runs and exits 0 (a missing binary or module is false). */
export function runs(command: string, args: readonly string[]): boolean {
  const r = spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 });
  return r.error === undefined && r.status === 0;
}

/** An environment variable (tests take the tool paths and the seed from there). */
export function env(name: string): string | undefined {
  return process.env[name];
}

/** In CI a missing oracle is a broken test environment, not a reason to skip. */
export const IN_CI = (env('CI') ?? '') !== '' && env('CI') !== 'false';

export interface Oracle {
  /** Whether the tool answered. */
  available: boolean;
  /** Skip the suite: the tool is missing and we are not in CI. */
  skip: boolean;
  /** The suite name, with the reason when it is skipped or bound to fail. */
  title: string;
}

/** Decides how a suite that needs `what` runs; `missing` says why it is not there. */
export function oracle(name: string, available: boolean, missing: string): Oracle {
  if (available) return { available, skip: false, title: name };
  if (IN_CI) return { available, skip: false, title: `${name} (failing: ${missing} and CI is set)` };
  return { available, skip: true, title: `${name} (skipped: ${missing})` };
}
