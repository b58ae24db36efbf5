/**
 * `createLab` builds a planned lab with the `ip` tool and returns a `Lab`: run commands and
 * processes in its namespaces, read its bridges' FDBs and hosts' neighbor tables, take links
 * down, inject loss, and tear everything down (also from exit and signal handlers).
 */
import { spawn } from 'node:child_process';
import {
  deleteNamespaces,
  deleteNamespacesSync,
  isAlive,
  killNamespaceProcesses,
  listNamespaces,
  register,
  sleepSync,
  unregister,
} from './cleanup.js';
import { CommandError, check, NetlabError, NetlabErrorCode } from './errors.js';
import { checkIfname, checkSysctlKey, newRunPrefix, sysctlArgument } from './names.js';
import {
  type FdbEntry,
  type InterfaceState,
  type Neighbor,
  parseFdb,
  parseInterfaces,
  parseNeighbors,
  parseNftCounters,
} from './parse.js';
import { DEFAULT_KILL_GRACE_MS, DEFAULT_MAX_LINES, LabProcess, type ProcessExit } from './process.js';
import { canCreateNamespaces, type RunOptions, run, runChecked, which } from './run.js';
import { type LabPlan, type LabSpec, type PlannedInterface, type PlannedNode, planLab } from './spec.js';

/** Options of `createLab`. */
export interface CreateLabOptions {
  /** Time limit of each setup and query command. Default 10 000 ms. */
  readonly commandTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL when `destroy` stops processes. Default 2000 ms. */
  readonly killGraceMs?: number;
  /** The same, in exit and signal handlers (which block the process meanwhile). Default 200 ms. */
  readonly exitKillGraceMs?: number;
}

/** Options of `lab.exec`. */
export interface ExecOptions {
  /** Default 10 000 ms; the command is SIGKILLed when it runs longer. */
  readonly timeoutMs?: number;
  /** Written to the command's stdin. */
  readonly input?: string | Uint8Array;
  /** Added to (and overriding) this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Throw on a non-zero exit (default true). With false, look at `exitCode` yourself. */
  readonly check?: boolean;
  /** Bytes kept of stdout and of stderr. Default 16 MiB. */
  readonly maxOutputBytes?: number;
}

/** What `lab.exec` returns. */
export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Options of `lab.spawn`. */
export interface SpawnOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Lines kept per stream (older ones are dropped and counted). Default 1000. */
  readonly maxLines?: number;
  /**
   * Have the kernel SIGKILL the process when this Node process dies, even by SIGKILL
   * (`setpriv --pdeathsig KILL`). Default true when `setpriv` is installed.
   */
  readonly dieWithParent?: boolean;
}

/** Options of `lab.injectLoss`. */
export interface LossOptions {
  /** Probability that a frame is dropped, 0..1 (resolution 1e-6). */
  readonly probability: number;
  /** Which frames: received (`ingress`), sent (`egress`) or both. Default `both`. */
  readonly direction?: 'ingress' | 'egress' | 'both';
}

/** A loss rule in place; `remove` takes it away. */
export interface LossInjector {
  readonly node: string;
  readonly ifname: string;
  readonly probability: number;
  /** Frames dropped so far, per direction. */
  dropped(): Promise<{ readonly ingress: number; readonly egress: number }>;
  remove(): Promise<void>;
}

/** An interface's kernel state plus what the plan says about it. */
export interface LabInterface extends InterfaceState {
  readonly host: string;
  readonly kind: 'bridge-link' | 'veth' | 'other';
  readonly bridge?: string;
  readonly port?: string;
  readonly peer?: { readonly host: string; readonly name: string };
}

/** A bridge FDB entry, with the lab host and interface behind its port when there is one. */
export interface LabFdbEntry extends FdbEntry {
  readonly host?: string;
  readonly hostInterface?: string;
}

const ARG = /^[^\0]*$/;

function checkArgv(argv: readonly string[]): void {
  check(
    Array.isArray(argv) && argv.length > 0 && argv.every((a) => typeof a === 'string' && ARG.test(a)),
    'argv must be a non-empty array of strings without NUL bytes',
  );
}

let setprivPath: string | null | undefined;

/** A running lab. Create it with `createLab`; end it with `destroy` (or `await using`). */
export class Lab implements AsyncDisposable {
  /** The per-run prefix of every namespace: `sy<owner pid base 36>_<random tag>`. */
  readonly prefix: string;
  readonly plan: LabPlan;
  private readonly options: CreateLabOptions;
  /** Namespaces that may exist, in creation order. */
  private readonly created: string[] = [];
  /** Every namespace this lab created, kept after teardown to check for leftovers. */
  private readonly owned = new Set<string>();
  private readonly running = new Set<LabProcess>();
  private destroying: Promise<void> | null = null;
  private lossTables = 0;

  /** @internal Use `createLab`. */
  constructor(plan: LabPlan, options: CreateLabOptions) {
    this.prefix = plan.prefix;
    this.plan = plan;
    this.options = options;
  }

  /** @internal Runs the plan; on failure tears down what was built and rethrows. */
  async build(): Promise<void> {
    register(this);
    try {
      for (const step of this.plan.steps) {
        try {
          await runChecked(step.argv, this.runOptions());
        } catch (e) {
          if (step.creates !== undefined && e instanceof CommandError && /exists/i.test(e.stderr)) {
            throw new NetlabError(NetlabErrorCode.NAME_IN_USE, `namespace ${step.creates} already exists`, {
              cause: e,
            });
          }
          throw e;
        }
        // Recorded only once created, so teardown never removes a namespace this lab did not
        // make; no signal handler can run between the command's exit and this line.
        if (step.creates !== undefined) {
          this.created.push(step.creates);
          this.owned.add(step.creates);
        }
        // An exit handler tore the lab down while this step ran: undo the step, stop building.
        if (this.destroying !== null) {
          await deleteNamespaces(this.created.splice(0));
          throw new NetlabError(
            NetlabErrorCode.DESTROYED,
            `lab ${this.prefix} was destroyed while being built`,
          );
        }
      }
    } catch (e) {
      // The build error is what the caller needs; a teardown failure would only hide it.
      await this.destroy().catch(() => {});
      throw e;
    }
  }

  private runOptions(extra: RunOptions = {}): RunOptions {
    return { timeoutMs: this.options.commandTimeoutMs ?? 10_000, ...extra };
  }

  private alive(): void {
    if (this.destroying !== null)
      throw new NetlabError(NetlabErrorCode.DESTROYED, `lab ${this.prefix} was destroyed`);
  }

  /** Whether `destroy` (or an exit handler) has run. */
  get destroyed(): boolean {
    return this.destroying !== null;
  }

  /** Hosts and bridges, in creation order. */
  get nodes(): readonly PlannedNode[] {
    return this.plan.nodes;
  }

  /** Processes started with `spawn` that still run. */
  get processes(): readonly LabProcess[] {
    return [...this.running];
  }

  private node(name: string): PlannedNode {
    const node = this.plan.nodes.find((n) => n.name === name);
    if (node === undefined)
      throw new NetlabError(NetlabErrorCode.UNKNOWN, `no host or bridge named '${name}'`);
    return node;
  }

  /** The network namespace name of a host or bridge (for `ip netns exec` by hand). */
  namespace(node: string): string {
    return this.node(node).namespace;
  }

  /**
   * Runs `argv` in the namespace of `node` (a host or a bridge) to completion. A non-zero
   * exit throws a `CommandError` with code EXEC_FAILED (TIMEOUT when the limit ran out),
   * carrying the exit code and stderr.
   */
  async exec(node: string, argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    this.alive();
    checkArgv(argv);
    const ns = this.namespace(node);
    const r = await run(['ip', 'netns', 'exec', ns, ...argv], {
      timeoutMs: options.timeoutMs ?? 10_000,
      env: { ...process.env, ...options.env },
      ...(options.input === undefined ? {} : { input: options.input }),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.maxOutputBytes === undefined ? {} : { maxOutputBytes: options.maxOutputBytes }),
    });
    const failed = r.timedOut || r.exitCode !== 0;
    if (r.timedOut || (failed && options.check !== false)) {
      throw new CommandError(
        r.timedOut ? NetlabErrorCode.TIMEOUT : NetlabErrorCode.EXEC_FAILED,
        `exec on ${node}`,
        r,
      );
    }
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode, signal: r.signal };
  }

  /**
   * Starts a long-running process in the namespace of `node`. It is tracked by PID and
   * stopped by `destroy`; resolves once the process exists.
   */
  async spawn(node: string, argv: readonly string[], options: SpawnOptions = {}): Promise<LabProcess> {
    this.alive();
    checkArgv(argv);
    const ns = this.namespace(node);
    if (setprivPath === undefined) setprivPath = which('setpriv');
    const deathSignal = options.dieWithParent !== false && setprivPath !== null;
    const wrapper = deathSignal ? ['setpriv', '--pdeathsig', 'KILL', '--'] : [];
    const child = spawn('ip', ['netns', 'exec', ns, ...wrapper, ...argv], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          e.code === 'ENOENT'
            ? new NetlabError(NetlabErrorCode.TOOL_MISSING, "'ip' is not installed or not on PATH", {
                cause: e,
              })
            : e,
        ),
      );
    });
    const p = new LabProcess(child, node, argv, options.maxLines ?? DEFAULT_MAX_LINES);
    this.running.add(p);
    void p.wait().then(() => this.running.delete(p));
    // A destroy that began while we were starting must not miss this process.
    if (this.destroying !== null) await p.kill('SIGKILL', 0);
    return p;
  }

  /** Writes a sysctl in `node`'s namespace when `value` is given; returns its (new) value. */
  async sysctl(node: string, key: string, value?: string | number): Promise<string> {
    this.alive();
    const ns = this.namespace(node);
    if (value !== undefined) {
      await runChecked(
        ['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', sysctlArgument(key, value)],
        this.runOptions(),
      );
    }
    checkSysctlKey(key);
    return (await runChecked(['ip', 'netns', 'exec', ns, 'sysctl', '-n', key], this.runOptions())).trim();
  }

  private async setLink(node: string, ifname: string, state: 'up' | 'down'): Promise<void> {
    this.alive();
    checkIfname(ifname, 'interface');
    await runChecked(
      ['ip', '-n', this.namespace(node), 'link', 'set', 'dev', ifname, state],
      this.runOptions(),
    );
  }

  /** Sets an interface of a host (or a bridge port, in the bridge's namespace) down. */
  linkDown(node: string, ifname: string): Promise<void> {
    return this.setLink(node, ifname, 'down');
  }

  /** Sets an interface of a host (or a bridge port) up. */
  linkUp(node: string, ifname: string): Promise<void> {
    return this.setLink(node, ifname, 'up');
  }

  private describe(node: string, state: InterfaceState): LabInterface {
    const planned: PlannedInterface | undefined = this.plan.interfaces.find(
      (i) => i.host === node && i.name === state.name,
    );
    if (planned === undefined) return { ...state, host: node, kind: 'other' };
    return {
      ...state,
      host: node,
      kind: planned.kind,
      ...(planned.bridge === undefined ? {} : { bridge: planned.bridge }),
      ...(planned.port === undefined ? {} : { port: planned.port }),
      ...(planned.peer === undefined ? {} : { peer: planned.peer }),
    };
  }

  /** Name, MAC, ifindex, MTU, state and addresses of one interface of `node`. */
  async interface(node: string, ifname: string): Promise<LabInterface> {
    this.alive();
    checkIfname(ifname, 'interface');
    const ns = this.namespace(node);
    const r = await run(['ip', '-n', ns, '-j', 'addr', 'show', 'dev', ifname], this.runOptions());
    if (r.exitCode !== 0) {
      throw new NetlabError(
        NetlabErrorCode.UNKNOWN,
        `${node} has no interface ${ifname}: ${r.stderr.trim()}`,
      );
    }
    const [state] = parseInterfaces(r.stdout);
    if (state === undefined)
      throw new NetlabError(NetlabErrorCode.UNKNOWN, `${node} has no interface ${ifname}`);
    return this.describe(node, state);
  }

  /** Every interface of `node`, `lo` included. */
  async interfaces(node: string): Promise<LabInterface[]> {
    this.alive();
    const out = await runChecked(['ip', '-n', this.namespace(node), '-j', 'addr', 'show'], this.runOptions());
    return parseInterfaces(out).map((s) => this.describe(node, s));
  }

  /**
   * The forwarding database of a bridge (`bridge fdb show br <bridge>`), every entry,
   * with the host and interface behind each port filled in.
   */
  async fdb(bridge: string): Promise<LabFdbEntry[]> {
    this.alive();
    const node = this.node(bridge);
    check(node.kind === 'bridge', `${bridge} is a host, not a bridge`);
    const out = await runChecked(
      ['bridge', '-n', node.namespace, '-j', 'fdb', 'show', 'br', bridge],
      this.runOptions(),
    );
    return parseFdb(out).map((e) => {
      const behind = this.plan.interfaces.find((i) => i.bridge === bridge && i.port === e.port);
      return behind === undefined ? e : { ...e, host: behind.host, hostInterface: behind.name };
    });
  }

  /** The neighbor (ARP and NDP) table of a host (`ip -j neigh show`). */
  async neighbors(node: string): Promise<Neighbor[]> {
    this.alive();
    return parseNeighbors(
      await runChecked(['ip', '-n', this.namespace(node), '-j', 'neigh', 'show'], this.runOptions()),
    );
  }

  /**
   * Drops frames at random on an interface of `node` with nftables (`numgen random` in a
   * netdev ingress/egress chain); netem is not needed. Ingress drops happen before the
   * stack sees the frame, egress drops after it sent it.
   */
  async injectLoss(node: string, ifname: string, options: LossOptions): Promise<LossInjector> {
    this.alive();
    checkIfname(ifname, 'interface');
    const p = options.probability;
    check(typeof p === 'number' && p >= 0 && p <= 1, 'loss probability must be within 0..1');
    const direction = options.direction ?? 'both';
    check(
      ['ingress', 'egress', 'both'].includes(direction),
      "direction must be 'ingress', 'egress' or 'both'",
    );
    const ns = this.namespace(node);
    const table = `netlab_loss_${this.lossTables++}`;
    const threshold = Math.round(p * 1_000_000);
    // numgen compares within 0..mod-1, so certain loss is a plain drop.
    const match = threshold >= 1_000_000 ? '' : `numgen random mod 1000000 < ${threshold} `;
    const chain = (hook: 'ingress' | 'egress') =>
      `  chain ${hook} { type filter hook ${hook} device "${ifname}" priority 0; ${match}counter drop; }\n`;
    const script =
      `table netdev ${table} {\n` +
      (direction !== 'egress' ? chain('ingress') : '') +
      (direction !== 'ingress' ? chain('egress') : '') +
      '}\n';
    await runChecked(['ip', 'netns', 'exec', ns, 'nft', '-f', '-'], this.runOptions({ input: script }));
    let removed = false;
    return {
      node,
      ifname,
      probability: p,
      dropped: async () => {
        this.alive();
        const out = await runChecked(
          ['ip', 'netns', 'exec', ns, 'nft', '-j', 'list', 'table', 'netdev', table],
          this.runOptions(),
        );
        const counts = parseNftCounters(out);
        return { ingress: counts.get('ingress') ?? 0, egress: counts.get('egress') ?? 0 };
      },
      remove: async () => {
        if (removed || this.destroying !== null) return;
        removed = true;
        await runChecked(
          ['ip', 'netns', 'exec', ns, 'nft', 'delete', 'table', 'netdev', table],
          this.runOptions(),
        );
      },
    };
  }

  /**
   * Stops every spawned process (SIGTERM, SIGKILL after the grace period), SIGKILLs
   * anything else still inside the lab's namespaces, and deletes the namespaces in reverse
   * creation order (which removes their veths and bridges). Idempotent.
   */
  destroy(): Promise<void> {
    if (this.destroying === null) this.destroying = this.teardown();
    return this.destroying;
  }

  private async teardown(): Promise<void> {
    try {
      const grace = this.options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
      await Promise.all([...this.running].map((p) => p.kill('SIGTERM', grace)));
      const namespaces = [...this.created].reverse();
      killNamespaceProcesses(namespaces);
      await deleteNamespaces(namespaces);
      const left = this.leftovers();
      if (left.length > 0) {
        throw new NetlabError(
          NetlabErrorCode.COMMAND_FAILED,
          `namespaces left after teardown: ${left.join(', ')}`,
        );
      }
    } finally {
      unregister(this);
    }
  }

  /** Namespaces this lab created that exist now (empty after `destroy`). */
  leftovers(): string[] {
    return listNamespaces().filter((n) => this.owned.has(n));
  }

  /**
   * `destroy` without the event loop, for exit and signal handlers: SIGTERM, a short
   * blocking grace, SIGKILL, then one synchronous `ip -batch` deleting the namespaces.
   */
  destroySync(): void {
    if (this.destroying === null) this.destroying = Promise.resolve();
    const pids = [...this.running].map((p) => p.pid);
    this.running.clear();
    for (const pid of pids) signalPid(pid, 'SIGTERM');
    const deadline = Date.now() + (this.options.exitKillGraceMs ?? 200);
    while (pids.some(isAlive) && Date.now() < deadline) sleepSync(10);
    for (const pid of pids) if (isAlive(pid)) signalPid(pid, 'SIGKILL');
    const namespaces = [...this.created].reverse();
    this.created.length = 0;
    killNamespaceProcesses(namespaces);
    deleteNamespacesSync(namespaces);
    unregister(this);
  }

  /** `await using lab = await createLab(...)` destroys the lab at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.destroy();
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Builds the lab `spec` describes: one namespace per host and per bridge, named
 * `<prefix>-<name>` with a fresh per-run prefix; veth pairs created straight inside the
 * namespaces (never in the root namespace); addresses, sysctls and routes. If any step
 * fails, everything built so far is removed before the error is thrown.
 */
export async function createLab(spec: LabSpec, options: CreateLabOptions = {}): Promise<Lab> {
  let prefix = newRunPrefix();
  // Validate before touching the system, so a bad spec fails the same way everywhere.
  planLab(spec, prefix);
  if (!canCreateNamespaces()) {
    throw new NetlabError(
      NetlabErrorCode.NOT_PERMITTED,
      'netlab needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to create network namespaces',
    );
  }
  for (const tool of ['ip', 'bridge', 'sysctl']) {
    if (which(tool) === null) {
      throw new NetlabError(
        NetlabErrorCode.TOOL_MISSING,
        `'${tool}' is not installed or not on PATH (iproute2, procps)`,
      );
    }
  }
  const existing = listNamespaces();
  for (let tries = 0; existing.some((n) => n.startsWith(`${prefix}-`)); tries++) {
    // 36^4 tags per PID: a clash means a leftover of an earlier process with our PID.
    if (tries >= 8)
      throw new NetlabError(NetlabErrorCode.NAME_IN_USE, `no free prefix for pid ${process.pid}`);
    prefix = newRunPrefix();
  }
  const lab = new Lab(planLab(spec, prefix), options);
  await lab.build();
  return lab;
}

export type { ProcessExit };
