/**
 * Running the kernel tools: argv arrays through `child_process.spawn` (never a shell), output
 * captured up to a bound, a time limit enforced with SIGKILL, failures as typed errors.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { CommandError, type CommandFailure, NetlabError, NetlabErrorCode } from './errors.js';

/** Default limit for setup and query commands. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;
/** Default bound on captured stdout and stderr, each. */
export const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

export interface RunOptions {
  readonly timeoutMs?: number;
  readonly input?: string | Uint8Array;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Bytes kept of stdout and of stderr; the rest is dropped and counted in `droppedBytes`. */
  readonly maxOutputBytes?: number;
}

export interface RunResult extends CommandFailure {
  /** Output bytes beyond `maxOutputBytes` that were not kept. */
  readonly droppedBytes: number;
}

function collector(limit: number) {
  const chunks: Buffer[] = [];
  let kept = 0;
  let dropped = 0;
  return {
    push(chunk: Buffer) {
      const room = limit - kept;
      if (room <= 0) {
        dropped += chunk.length;
        return;
      }
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
      chunks.push(part);
      kept += part.length;
      dropped += chunk.length - part.length;
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
    dropped: () => dropped,
  };
}

function toolMissing(tool: string, cause: unknown): NetlabError {
  return new NetlabError(NetlabErrorCode.TOOL_MISSING, `'${tool}' is not installed or not on PATH`, {
    cause,
  });
}

/** Runs `argv` to completion. Resolves with the outcome whatever the exit status. */
export function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const limit = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  return new Promise((resolve, reject) => {
    const child = spawn(file!, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    const out = collector(limit);
    const err = collector(limit);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', out.push);
    child.stderr.on('data', err.push);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(e.code === 'ENOENT' ? toolMissing(file!, e) : e);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({
        argv,
        exitCode,
        signal,
        stdout: out.text(),
        stderr: err.text(),
        timedOut,
        droppedBytes: out.dropped() + err.dropped(),
      });
    });
    // A child that exits without reading its input must not crash us with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** Runs a setup or query command; anything but exit 0 throws a `CommandError`. Returns stdout. */
export async function runChecked(argv: readonly string[], options: RunOptions = {}): Promise<string> {
  const r = await run(argv, options);
  if (r.exitCode === 0 && !r.timedOut) return r.stdout;
  throw new CommandError(r.timedOut ? NetlabErrorCode.TIMEOUT : NetlabErrorCode.COMMAND_FAILED, 'command', r);
}

/** Synchronous variant for exit handlers, where the event loop no longer runs. Never throws. */
export function runSync(argv: readonly string[], input = '', timeoutMs = 5_000): boolean {
  const [file, ...args] = argv;
  try {
    const r = spawnSync(file!, args, { input, timeout: timeoutMs, killSignal: 'SIGKILL', stdio: 'pipe' });
    return r.status === 0;
  } catch {
    return false;
  }
}

function searchPath(): string {
  const { PATH = '' } = process.env;
  return PATH;
}

/** Absolute path of `name` on PATH, or `null`. */
export function which(name: string, path: string = searchPath()): string | null {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** CAP_NET_ADMIN and CAP_SYS_ADMIN bit numbers (linux/capability.h). */
const CAP_NET_ADMIN = 12n;
const CAP_SYS_ADMIN = 21n;

/** Whether a `/proc/<pid>/status` text grants both capabilities `ip netns add` needs. */
export function statusHasNetnsCapabilities(status: string): boolean {
  const m = /^CapEff:\s*([0-9a-fA-F]+)$/m.exec(status);
  if (m === null) return false;
  const eff = BigInt(`0x${m[1]}`);
  return ((eff >> CAP_NET_ADMIN) & 1n) === 1n && ((eff >> CAP_SYS_ADMIN) & 1n) === 1n;
}

/**
 * Whether this process may create network namespaces: CAP_NET_ADMIN for links and addresses,
 * CAP_SYS_ADMIN for `unshare`/`mount` behind `ip netns add`. Use it to skip root-only tests.
 */
export function canCreateNamespaces(): boolean {
  try {
    return statusHasNetnsCapabilities(readFileSync('/proc/self/status', 'utf8'));
  } catch {
    return false;
  }
}
