/**
 * Guaranteed teardown: every live lab is registered here; on process 'exit', SIGINT, SIGTERM
 * and SIGHUP they are destroyed synchronously (the event loop is gone by then). Labs whose
 * owner died by SIGKILL are found by name and removed by `sweepStaleLabs`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseNamespaceName } from './names.js';
import { run, runSync } from './run.js';

/** Where `ip netns` keeps its named namespaces. */
export const NETNS_DIR = '/run/netns';

/** Something the exit handlers must tear down. */
export interface SyncTeardown {
  destroySync(): void;
}

const live = new Set<SyncTeardown>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function destroyAllSync(): void {
  for (const t of [...live]) {
    try {
      t.destroySync();
    } catch {
      // Keep going: one lab's failure must not leave the others behind.
    }
  }
}

function onExit(): void {
  destroyAllSync();
}

function onSignal(signal: NodeJS.Signals): void {
  destroyAllSync();
  uninstall();
  // Our listener suppressed the default action; when nobody else handles the signal,
  // raise it again so the process ends with the status the signal would have given it.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', onExit);
  for (const s of SIGNALS) process.off(s, onSignal);
}

/** Registers a live lab; installs the process handlers with the first one. */
export function register(t: SyncTeardown): void {
  live.add(t);
  install();
}

/** Forgets a destroyed lab; removes the process handlers with the last one. */
export function unregister(t: SyncTeardown): void {
  live.delete(t);
  if (live.size === 0) uninstall();
}

/** Number of labs currently registered in this process (for tests and diagnostics). */
export function liveLabCount(): number {
  return live.size;
}

/** Whether the process handlers are installed (for tests and diagnostics). */
export function handlersInstalled(): boolean {
  return installed;
}

/** Sleeps without an event loop (exit handlers). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Whether `pid` runs (a zombie does not). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * PIDs of the processes whose network namespace is the named one (what `ip netns pids`
 * does: compare the nsfs inode of `/proc/<pid>/ns/net` with the bind mount's).
 */
export function namespacePids(namespace: string, netnsDir: string = NETNS_DIR): number[] {
  let target: { dev: number; ino: number };
  try {
    target = statSync(join(netnsDir, namespace));
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const s = statSync(`/proc/${entry}/ns/net`);
      if (s.ino === target.ino && s.dev === target.dev) pids.push(Number(entry));
    } catch {
      // The process ended meanwhile, or is a kernel thread without namespaces to show.
    }
  }
  return pids;
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** SIGKILLs whatever still runs inside `namespaces` (all created by the caller's lab). */
export function killNamespaceProcesses(
  namespaces: readonly string[],
  netnsDir: string = NETNS_DIR,
): number[] {
  const killed: number[] = [];
  for (const ns of namespaces) {
    for (const pid of namespacePids(ns, netnsDir)) {
      if (pid === process.pid) continue;
      kill(pid, 'SIGKILL');
      killed.push(pid);
    }
  }
  return killed;
}

function deleteScript(namespaces: readonly string[]): string {
  return namespaces.map((n) => `netns delete ${n}\n`).join('');
}

/** Deletes namespaces in one `ip -force -batch` (goes on past a missing one). */
export async function deleteNamespaces(namespaces: readonly string[]): Promise<void> {
  if (namespaces.length === 0) return;
  await run(['ip', '-force', '-batch', '-'], { input: deleteScript(namespaces) });
}

/** Synchronous `deleteNamespaces` for exit handlers. */
export function deleteNamespacesSync(namespaces: readonly string[]): boolean {
  if (namespaces.length === 0) return true;
  return runSync(['ip', '-force', '-batch', '-'], deleteScript(namespaces));
}

/** The named namespaces that exist now. */
export function listNamespaces(netnsDir: string = NETNS_DIR): string[] {
  try {
    return readdirSync(netnsDir);
  } catch {
    return [];
  }
}

/** What `sweepStaleLabs` did. */
export interface SweepResult {
  /** Namespaces removed: named by this tool, owner PID no longer alive. */
  readonly removed: readonly string[];
  /** Namespaces of this tool left alone because their owner still runs. */
  readonly kept: readonly string[];
  /** PIDs that were still running inside removed namespaces and were SIGKILLed. */
  readonly killed: readonly number[];
}

/**
 * Splits namespace names into this tool's stale ones (owner PID dead) and its live ones;
 * names that are not netlab's are in neither list.
 */
export function classifyNamespaces(
  names: readonly string[],
  alive: (pid: number) => boolean = isAlive,
  self: number = process.pid,
): { stale: string[]; kept: string[] } {
  const stale: string[] = [];
  const kept: string[] = [];
  for (const name of names) {
    const parsed = parseNamespaceName(name);
    if (parsed === null) continue;
    if (parsed.ownerPid === self || alive(parsed.ownerPid)) kept.push(name);
    else stale.push(name);
  }
  return { stale, kept };
}

/**
 * Removes the namespaces that crashed runs of netlab left behind, and only those: the name
 * must match `sy<pid36>_<tag>-<node>` and the owner PID it encodes must no longer run (PIDs
 * are checked in the caller's PID namespace). Processes still inside are SIGKILLed first.
 */
export async function sweepStaleLabs(): Promise<SweepResult> {
  const { stale, kept } = classifyNamespaces(listNamespaces());
  const killed = killNamespaceProcesses(stale);
  await deleteNamespaces(stale);
  return { removed: stale, kept, killed };
}
