/**
 * The receive-worker harness: the receive loop runs in a worker thread (blocking in poll()
 * there is fine), hands frames to a data-plane handler inside that worker, and exchanges
 * control messages and counters with the main thread. Counters travel through a
 * SharedArrayBuffer (no message per update); control messages are posted and the worker's
 * poll is woken through an eventfd, so it never sleeps on a message.
 *
 * Several workers given the same `fanout.group` share one interface: the kernel splits the
 * traffic between their sockets by flow hash.
 */
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { InvalidArgumentError } from '@switchyard/wire';
import {
  type AfPacketCounters,
  AfPacketLink,
  type AfPacketLinkOptions,
  type RawFrameHandler,
  type RingFrameHandler,
} from './af-packet.js';
import { LinkError, LinkErrorCode } from './errors.js';
import { C, fail, libc } from './sys.js';

/** The link counters, in the order the shared array holds them. */
const COUNTER_NAMES = [
  'rxFrames',
  'rxBytes',
  'txFrames',
  'txBytes',
  'rxDrops',
  'txDrops',
  'outgoingIgnored',
  'truncated',
  'checksumNotReady',
  'vlanReinserted',
  'blocks',
  'txErrors',
  'txBatches',
  'kernelPackets',
  'kernelDrops',
  'kernelFreezes',
  'socketErrors',
] as const satisfies readonly (keyof AfPacketCounters)[];

/** Link options a worker can receive (plain data: no callbacks). */
export type WorkerLinkOptions = Omit<AfPacketLinkOptions, 'driver' | 'onWarning'>;

export interface ReceiveWorkerOptions {
  link: WorkerLinkOptions;
  /** Passed to the worker's setup as `ctx.data` (structured-cloned). */
  data?: unknown;
  /** Shared user counters the data plane may write (ctx.counters). Default 16. */
  counterSlots?: number;
  /** Extra Node flags for the worker, e.g. ['--import', 'tsx'] to run a .ts script. */
  execArgv?: string[];
  /** Called with warnings from the worker's link. Default `process.emitWarning`. */
  onWarning?: (message: string) => void;
  /**
   * How long the idle worker blocks in `poll()` before it refreshes the kernel's statistics
   * (ms, 1..60000). Frames, control messages and `close()` wake it sooner. Default 200.
   */
  idleWaitMs?: number;
}

/** What the worker's setup function gets. */
export interface ReceiveWorkerContext {
  readonly link: AfPacketLink;
  readonly data: unknown;
  /** Shared with the main thread's `ReceiveWorker.userCounters()`. */
  readonly counters: Float64Array;
  /** Sends a message to the main thread's `onMessage` handler. */
  post(message: unknown): void;
}

/** The data plane a worker runs: per-frame handler plus optional control hooks. */
export interface DataPlane {
  /** Gets each frame as a view into the ring (valid until it returns). */
  onFrame?: RingFrameHandler;
  /** Or: the allocation-free form (ring, info.offset, info.length). */
  onFrameRaw?: RawFrameHandler;
  onMessage?(message: unknown): void;
  onClose?(): void;
}

type ToWorker = { type: 'user'; message: unknown } | { type: 'close' };
type FromWorker =
  | { type: 'ready'; wakeFd: number; name: string; mac: number; mtu: number; ring: AfPacketLink['ring'] }
  | { type: 'user'; message: unknown }
  | { type: 'warning'; message: string }
  | { type: 'error'; name: string; message: string; code?: string }
  | { type: 'closed' };

interface Init {
  link: WorkerLinkOptions;
  data: unknown;
  shared: SharedArrayBuffer;
  counterSlots: number;
  idleWaitMs: number;
}

/** Main-thread handle of one receive worker. */
export class ReceiveWorker {
  readonly worker: Worker;
  /** Interface facts the worker's link reported when it started. */
  readonly interface: { name: string; mac: number; mtu: number; ring: AfPacketLink['ring'] };
  private readonly shared: Float64Array;
  private readonly wakeFd: number;
  private messageHandler: ((message: unknown) => void) | undefined;
  private closing: Promise<void> | undefined;
  private exited = false;
  private readonly wakeBuf = new Uint8Array(new BigUint64Array([1n]).buffer);

  private constructor(worker: Worker, shared: Float64Array, ready: Extract<FromWorker, { type: 'ready' }>) {
    this.worker = worker;
    this.shared = shared;
    this.wakeFd = ready.wakeFd;
    this.interface = { name: ready.name, mac: ready.mac, mtu: ready.mtu, ring: ready.ring };
  }

  /**
   * Starts a worker running `script` (which calls `serveReceiveWorker`) and resolves once
   * its link is open; rejects with the worker's error (e.g. LinkPermissionError) otherwise.
   */
  static start(script: URL | string, options: ReceiveWorkerOptions): Promise<ReceiveWorker> {
    const slots = options.counterSlots ?? 16;
    if (!Number.isInteger(slots) || slots < 0 || slots > 1 << 16)
      throw new InvalidArgumentError('link', 'counterSlots', `needs 0..65536, got ${slots}`);
    const idleWaitMs = options.idleWaitMs ?? 200;
    if (!Number.isInteger(idleWaitMs) || idleWaitMs < 1 || idleWaitMs > 60_000)
      throw new InvalidArgumentError('link', 'idleWaitMs', `needs 1..60000, got ${idleWaitMs}`);
    const shared = new SharedArrayBuffer((COUNTER_NAMES.length + slots) * 8);
    const init: Init = { link: options.link, data: options.data, shared, counterSlots: slots, idleWaitMs };
    const worker = new Worker(script, { workerData: init, execArgv: options.execArgv ?? [] });
    const warn = options.onWarning ?? ((m: string) => process.emitWarning(m, 'SwitchyardLinkWarning'));
    return new Promise((resolve, reject) => {
      let handle: ReceiveWorker | undefined;
      worker.on('message', (m: FromWorker) => {
        switch (m.type) {
          case 'ready':
            handle = new ReceiveWorker(worker, new Float64Array(shared), m);
            resolve(handle);
            break;
          case 'user':
            handle?.messageHandler?.(m.message);
            break;
          case 'warning':
            warn(m.message);
            break;
          case 'error': {
            const e = new LinkError(
              (m.code as LinkErrorCode | undefined) ?? LinkErrorCode.SYSCALL,
              m.message,
            );
            Object.defineProperty(e, 'name', { value: m.name });
            void worker.terminate();
            reject(e);
            break;
          }
          case 'closed':
            break;
        }
      });
      worker.on('error', (e) => reject(e));
      worker.on('exit', () => {
        if (handle !== undefined) handle.exited = true;
        reject(new LinkError(LinkErrorCode.CLOSED, 'receive worker exited before its link opened'));
      });
    });
  }

  /** A snapshot of the worker's link counters (read from shared memory, no round trip). */
  counters(): AfPacketCounters {
    const out = {} as Record<(typeof COUNTER_NAMES)[number], number>;
    COUNTER_NAMES.forEach((n, i) => {
      out[n] = this.shared[i]!;
    });
    return out;
  }

  /** A copy of the data plane's shared counters. */
  userCounters(): Float64Array {
    return this.shared.slice(COUNTER_NAMES.length);
  }

  /** Handler for messages the data plane posts. */
  onMessage(handler: ((message: unknown) => void) | undefined): void {
    this.messageHandler = handler;
  }

  /** Sends a control message to the data plane (its `onMessage`), waking its poll. */
  post(message: unknown): void {
    if (this.closing !== undefined) throw new LinkError(LinkErrorCode.CLOSED, 'receive worker is closing');
    this.worker.postMessage({ type: 'user', message } satisfies ToWorker);
    this.wake();
  }

  private wake(): void {
    libc().write(this.wakeFd, this.wakeBuf, 8);
  }

  /** Stops the loop, closes the link (ring unmapped, socket closed) and ends the thread. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (this.exited) {
        resolve();
        return;
      }
      const done = () => resolve();
      this.worker.once('exit', done);
      this.worker.on('message', (m: FromWorker) => {
        if (m.type === 'closed') void this.worker.terminate();
      });
      this.worker.postMessage({ type: 'close' } satisfies ToWorker);
      this.wake();
    });
    return this.closing;
  }
}

/**
 * Runs inside the worker script: opens the link from the options given to
 * `ReceiveWorker.start`, calls `setup` once, then loops: drain the ring into the data plane,
 * publish counters, block in poll until frames, a control message or a timeout.
 */
export function serveReceiveWorker(setup: (ctx: ReceiveWorkerContext) => DataPlane): void {
  const port = parentPort;
  if (port === null)
    throw new LinkError(LinkErrorCode.UNSUPPORTED, 'serveReceiveWorker must run in a worker thread');
  const init = workerData as Init;
  const post = (m: FromWorker) => port.postMessage(m);
  let link: AfPacketLink;
  let wakeFd: number;
  const shared = new Float64Array(init.shared);
  const user = new Float64Array(init.shared, COUNTER_NAMES.length * 8, init.counterSlots);
  let dataPlane: DataPlane;
  try {
    link = new AfPacketLink({
      ...init.link,
      driver: 'manual',
      onWarning: (message) => post({ type: 'warning', message }),
    });
    const sys = libc();
    wakeFd = sys.eventfd(0, C.EFD_NONBLOCK | C.EFD_CLOEXEC);
    if (wakeFd < 0) fail('eventfd', sys.errno());
    dataPlane = setup({
      link,
      data: init.data,
      counters: user,
      post: (message) => post({ type: 'user', message }),
    });
    if (dataPlane.onFrameRaw !== undefined) link.onReceiveRaw(dataPlane.onFrameRaw);
    else link.onReceive(dataPlane.onFrame);
  } catch (e) {
    const err = e as { name?: string; message?: string; code?: string };
    const msg: FromWorker = { type: 'error', name: err.name ?? 'Error', message: err.message ?? String(e) };
    if (err.code !== undefined) msg.code = err.code;
    post(msg);
    return;
  }
  let stop = false;
  const c = link.counters;
  // Field by field in COUNTER_NAMES order (no keyed loads: this runs once per wake-up).
  const publish = () => {
    shared[0] = c.rxFrames;
    shared[1] = c.rxBytes;
    shared[2] = c.txFrames;
    shared[3] = c.txBytes;
    shared[4] = c.rxDrops;
    shared[5] = c.txDrops;
    shared[6] = c.outgoingIgnored;
    shared[7] = c.truncated;
    shared[8] = c.checksumNotReady;
    shared[9] = c.vlanReinserted;
    shared[10] = c.blocks;
    shared[11] = c.txErrors;
    shared[12] = c.txBatches;
    shared[13] = c.kernelPackets;
    shared[14] = c.kernelDrops;
    shared[15] = c.kernelFreezes;
    shared[16] = c.socketErrors;
  };
  const drainBuf = new Uint8Array(8);
  port.on('message', (m: ToWorker) => {
    if (m.type === 'close') stop = true;
    else dataPlane.onMessage?.(m.message);
  });
  const finish = () => {
    link.close();
    publish();
    dataPlane.onClose?.();
    libc().close(wakeFd);
    post({ type: 'closed' });
    port.close();
  };
  const run = () => {
    // Up to 64 rounds, then yield so control messages are handled even under full load.
    // Publish once per wake-up (after the drain that found the ring empty), not per drain.
    for (let round = 0; round < 64 && !stop; round++) {
      if (link.drain() > 0) continue;
      publish();
      const r = link.wait(init.idleWaitMs, wakeFd);
      if (r === 'woken') {
        libc().read(wakeFd, drainBuf, 8);
        break;
      }
      if (r === 'timeout') {
        link.refreshStatistics();
        break;
      }
    }
    publish();
    if (stop) {
      finish();
      return;
    }
    setImmediate(run);
  };
  post({ type: 'ready', wakeFd, name: link.name, mac: link.mac, mtu: link.mtu, ring: link.ring });
  setImmediate(run);
}
