/**
 * Typed errors. Everything netlab throws is a `NetlabError` with a stable `name` and `code`;
 * a command that ran and failed is a `CommandError` carrying its argv, exit code and stderr.
 */

/** Stable error codes. */
export const NetlabErrorCode = {
  /** A spec field, a name, an address or an option is not acceptable. */
  INVALID_ARGUMENT: 'ERR_NETLAB_INVALID_ARGUMENT',
  /** A generated or given interface name exceeds IFNAMSIZ - 1 = 15 bytes. */
  NAME_TOO_LONG: 'ERR_NETLAB_NAME_TOO_LONG',
  /** The process lacks CAP_NET_ADMIN and CAP_SYS_ADMIN. */
  NOT_PERMITTED: 'ERR_NETLAB_NOT_PERMITTED',
  /** `ip`, `bridge`, `sysctl`, `nft` or `setpriv` is not installed. */
  TOOL_MISSING: 'ERR_NETLAB_TOOL_MISSING',
  /** A namespace name this run generated already exists (another run owns it). */
  NAME_IN_USE: 'ERR_NETLAB_NAME_IN_USE',
  /** A setup or query command (`ip`, `bridge`, `nft`, `sysctl`) failed. */
  COMMAND_FAILED: 'ERR_NETLAB_COMMAND_FAILED',
  /** `lab.exec` ran the command and it exited non-zero or was killed by a signal. */
  EXEC_FAILED: 'ERR_NETLAB_EXEC_FAILED',
  /** A command, an exec or a wait exceeded its time limit. */
  TIMEOUT: 'ERR_NETLAB_TIMEOUT',
  /** The host, bridge or interface is not part of this lab. */
  UNKNOWN: 'ERR_NETLAB_UNKNOWN',
  /** The lab was destroyed; it accepts no more operations. */
  DESTROYED: 'ERR_NETLAB_DESTROYED',
  /** Output the kernel tools printed could not be parsed. */
  MALFORMED_OUTPUT: 'ERR_NETLAB_MALFORMED_OUTPUT',
} as const;
export type NetlabErrorCode = (typeof NetlabErrorCode)[keyof typeof NetlabErrorCode];

/** Base class of every error this package throws. */
export class NetlabError extends Error {
  override readonly name: string = 'NetlabError';
  readonly code: NetlabErrorCode;

  constructor(code: NetlabErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Details of a command that ran (or was killed) and did not succeed. */
export interface CommandFailure {
  /** The full argv that was executed, `ip netns exec <ns>` included. */
  readonly argv: readonly string[];
  /** Exit status, or `null` when a signal ended the process. */
  readonly exitCode: number | null;
  /** The signal that ended the process, if any. */
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The time limit ran out and netlab killed the process with SIGKILL. */
  readonly timedOut: boolean;
}

/** A command failed: `code` is COMMAND_FAILED, EXEC_FAILED or TIMEOUT. */
export class CommandError extends NetlabError implements CommandFailure {
  override readonly name = 'CommandError';
  readonly argv: readonly string[];
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;

  constructor(code: NetlabErrorCode, what: string, failure: CommandFailure) {
    const how = failure.timedOut
      ? 'timed out'
      : failure.signal !== null
        ? `was killed by ${failure.signal}`
        : `exited with ${failure.exitCode}`;
    const detail = failure.stderr.trim();
    super(code, `${what} ${how}: ${failure.argv.join(' ')}${detail === '' ? '' : `\n${detail}`}`);
    this.argv = failure.argv;
    this.exitCode = failure.exitCode;
    this.signal = failure.signal;
    this.stdout = failure.stdout;
    this.stderr = failure.stderr;
    this.timedOut = failure.timedOut;
  }
}

/** Throws INVALID_ARGUMENT unless `ok`. */
export function check(ok: boolean, message: string): asserts ok {
  if (!ok) throw new NetlabError(NetlabErrorCode.INVALID_ARGUMENT, message);
}
