/**
 * A small, real TCP (RFC 9293) for driving simulated clients and servers: three-way
 * handshake with MSS, in-order data with cumulative ACK, FIN and RST, retransmission on a
 * timeout with exponential backoff (go-back-N from the first unacknowledged byte).
 * Deliberately absent: congestion control, SACK, window scaling, zero-window probing,
 * out-of-order queueing (such segments are dropped and re-ACKed), urgent data,
 * simultaneous open. Sans-I/O: it runs under a `Host` on virtual time.
 */
import {
  decodeFrame,
  EtherType,
  ethernet,
  FrameDecoder,
  InvalidArgumentError,
  IpProtocol,
  Ipv4Address,
  ipv4,
  Layer,
  MacAddress,
  seqAdd,
  seqDiff,
  seqGt,
  seqInWindow,
  seqLe,
  seqLt,
  TcpFlag,
  type TcpOption,
  type TcpSegment,
  tcp,
} from '@switchyard/wire';
import type { SansIoEndpoint } from './host.js';
import type { Random } from './random.js';

/** Connection states (RFC 9293 §3.3.2); LISTEN lives in the stack's listener table. */
export const TcpState = {
  CLOSED: 'CLOSED',
  SYN_SENT: 'SYN-SENT',
  SYN_RECEIVED: 'SYN-RECEIVED',
  ESTABLISHED: 'ESTABLISHED',
  FIN_WAIT_1: 'FIN-WAIT-1',
  FIN_WAIT_2: 'FIN-WAIT-2',
  CLOSE_WAIT: 'CLOSE-WAIT',
  CLOSING: 'CLOSING',
  LAST_ACK: 'LAST-ACK',
  TIME_WAIT: 'TIME-WAIT',
} as const;
export type TcpState = (typeof TcpState)[keyof typeof TcpState];

/** Why a connection reached CLOSED. */
export const TcpCloseReason = {
  /** Both FINs exchanged and acknowledged. */
  CLOSED: 'closed',
  /** The peer sent RST. */
  RESET: 'reset',
  /** Retransmissions exhausted (an RST was sent). */
  TIMEOUT: 'timeout',
  /** `abort()` was called (an RST was sent). */
  ABORTED: 'aborted',
} as const;
export type TcpCloseReason = (typeof TcpCloseReason)[keyof typeof TcpCloseReason];

/** Application callbacks of one connection. */
export interface TcpHandlers {
  /** The handshake completed. */
  onOpen?(conn: TcpConnection): void;
  /** In-order bytes; `data` is only valid during the call. */
  onData?(conn: TcpConnection, data: Uint8Array): void;
  /** The peer sent FIN: no more data will arrive. */
  onEnd?(conn: TcpConnection): void;
  onClose?(conn: TcpConnection, reason: TcpCloseReason): void;
}

export interface TcpStackOptions {
  mac: MacAddress;
  ip: Ipv4Address;
  /** ISNs and ephemeral ports come from here (e.g. `sim.random.fork()`). */
  random: Random;
  /** Destination MAC for a peer address (default: broadcast, which any switch floods). */
  resolve?: (ip: Ipv4Address) => MacAddress | undefined;
  /** MSS announced and used at most (default 1460). */
  mss?: number;
  /** Retransmission timeout before backoff, ns (default 200 ms). */
  rtoNs?: number;
  /** Cap on the backed-off timeout, ns (default 60 s, RFC 6298 §2.5). */
  maxRtoNs?: number;
  /** Retransmissions of one segment before giving up (default 15). */
  maxRetransmits?: number;
  /** TIME-WAIT duration, 2×MSL, ns (default 1 s; RFC 9293 says 2×2 min, far too long for tests). */
  timeWaitNs?: number;
  /** Receive window announced (default 65535; the app consumes data at once). */
  window?: number;
}

/** Counters of one stack. */
export interface TcpStackCounters {
  segmentsIn: number;
  segmentsOut: number;
  retransmitTimeouts: number;
  /** Segments that failed the checksum. */
  badChecksums: number;
  /** Out-of-order segments dropped. */
  outOfOrder: number;
  resetsSent: number;
}

const DATA_STATES: ReadonlySet<TcpState> = new Set([
  TcpState.ESTABLISHED,
  TcpState.CLOSE_WAIT,
  TcpState.FIN_WAIT_1,
  TcpState.CLOSING,
  TcpState.LAST_ACK,
]);

/** One TCP connection. */
export class TcpConnection {
  state: TcpState;
  readonly localPort: number;
  readonly remoteIp: Ipv4Address;
  readonly remotePort: number;
  readonly remoteMac: MacAddress;
  /** Effective MSS (ours capped by the peer's). */
  mss: number;
  handlers: TcpHandlers = {};
  closeReason: TcpCloseReason | undefined;
  /** Bytes received in order so far. */
  bytesReceived = 0;
  /** Bytes the peer acknowledged so far. */
  bytesAcked = 0;

  iss: number;
  irs = 0;
  sndUna: number;
  sndNxt: number;
  /** Highest sequence number sent + 1 (go-back-N may pull `sndNxt` below it). */
  sndMax: number;
  sndWnd = 0;
  rcvNxt = 0;

  #buf = new Uint8Array(4096);
  #head = 0;
  #tail = 0;
  #closeRequested = false;
  #synPending = false;
  #needAck = false;
  #deadline: number | undefined;
  #retries = 0;

  constructor(
    private readonly stack: TcpStack,
    init: {
      state: TcpState;
      localPort: number;
      remoteIp: Ipv4Address;
      remotePort: number;
      remoteMac: MacAddress;
      iss: number;
      mss: number;
    },
  ) {
    this.state = init.state;
    this.localPort = init.localPort;
    this.remoteIp = init.remoteIp;
    this.remotePort = init.remotePort;
    this.remoteMac = init.remoteMac;
    this.iss = init.iss;
    this.mss = init.mss;
    this.sndUna = init.iss;
    this.sndNxt = init.iss;
    this.sndMax = init.iss;
    this.#synPending = true;
  }

  /** When this connection next needs `onTimer`. */
  get deadline(): number | undefined {
    return this.#deadline;
  }

  /** Bytes written and not yet acknowledged. */
  get unacknowledged(): number {
    return this.#tail - this.#head;
  }

  /** Queues bytes to send (copied). Throws once `close` was called or the connection is gone. */
  write(data: Uint8Array): void {
    if (
      this.#closeRequested ||
      !(
        this.state === TcpState.SYN_SENT ||
        this.state === TcpState.SYN_RECEIVED ||
        this.state === TcpState.ESTABLISHED ||
        this.state === TcpState.CLOSE_WAIT
      )
    ) {
      throw new InvalidArgumentError(
        'netsim',
        'tcp',
        `cannot write in ${this.state}${this.#closeRequested ? ' after close' : ''}`,
      );
    }
    if (this.#tail + data.length > this.#buf.length) {
      const len = this.#tail - this.#head;
      let cap = this.#buf.length;
      while (cap < len + data.length) cap *= 2;
      if (cap === this.#buf.length) {
        this.#buf.copyWithin(0, this.#head, this.#tail);
      } else {
        const next = new Uint8Array(cap);
        next.set(this.#buf.subarray(this.#head, this.#tail));
        this.#buf = next;
      }
      this.#head = 0;
      this.#tail = len;
    }
    this.#buf.set(data, this.#tail);
    this.#tail += data.length;
    this.stack.markDirty(this);
  }

  /** Sends FIN once every written byte is sent (a half-close; data still arrives). */
  close(): void {
    if (this.#closeRequested || this.state === TcpState.CLOSED) return;
    this.#closeRequested = true;
    // RFC 9293 §3.10.4: CLOSE in SYN-SENT deletes the connection unless data waits to be sent.
    if (this.state === TcpState.SYN_SENT && this.#tail === this.#head) {
      this.#terminate(TcpCloseReason.CLOSED);
      return;
    }
    this.stack.markDirty(this);
  }

  /** Sends RST and forgets the connection. */
  abort(): void {
    if (this.state === TcpState.CLOSED) return;
    if (this.state !== TcpState.SYN_SENT) this.#rst();
    this.#terminate(TcpCloseReason.ABORTED);
  }

  #written(): number {
    return this.bytesAcked + (this.#tail - this.#head);
  }

  /** Internal: emits what is due at `now`. */
  output(now: number): void {
    const s = this.state;
    if (s === TcpState.CLOSED) return;
    if (s === TcpState.SYN_SENT || s === TcpState.SYN_RECEIVED) {
      if (this.#synPending) {
        this.#synPending = false;
        const synAck = s === TcpState.SYN_RECEIVED;
        this.#emit(this.iss, synAck ? TcpFlag.SYN | TcpFlag.ACK : TcpFlag.SYN, undefined, true);
        this.sndNxt = seqAdd(this.iss, 1);
        if (seqGt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
        this.#deadline ??= now + this.#rto();
      } else if (this.#needAck && s === TcpState.SYN_RECEIVED) {
        this.#emit(this.iss, TcpFlag.SYN | TcpFlag.ACK, undefined, true);
      }
      this.#needAck = false;
      return;
    }
    if (DATA_STATES.has(s)) this.#sendData(now);
    if (this.#needAck) this.#emit(this.sndNxt, TcpFlag.ACK);
  }

  #sendData(now: number): void {
    const dataStart = seqAdd(this.iss, 1);
    const written = this.#written();
    for (;;) {
      const off = seqDiff(this.sndNxt, dataStart);
      const inFlight = seqDiff(this.sndNxt, this.sndUna);
      const room = this.sndWnd - inFlight;
      const avail = written - off;
      if (avail > 0 && room > 0) {
        const n = Math.min(avail, this.mss, room);
        const from = this.#head + (off - this.bytesAcked);
        this.#emit(this.sndNxt, TcpFlag.ACK | TcpFlag.PSH, this.#buf.subarray(from, from + n));
        this.#advance(n, now);
      } else if (this.#closeRequested && off === written) {
        // RFC 9293 §3.6: FIN occupies one sequence number after the last data byte.
        this.#emit(this.sndNxt, TcpFlag.FIN | TcpFlag.ACK);
        if (this.state === TcpState.ESTABLISHED) this.state = TcpState.FIN_WAIT_1;
        else if (this.state === TcpState.CLOSE_WAIT) this.state = TcpState.LAST_ACK;
        this.#advance(1, now);
        break;
      } else {
        break;
      }
    }
  }

  #advance(n: number, now: number): void {
    this.sndNxt = seqAdd(this.sndNxt, n);
    if (seqGt(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
    this.#deadline ??= now + this.#rto();
  }

  #rto(): number {
    const o = this.stack.options;
    return Math.min(o.rtoNs * 2 ** Math.min(this.#retries, 30), o.maxRtoNs);
  }

  #emit(seq: number, flags: number, payload?: Uint8Array, withMss = false): void {
    const ack = (flags & TcpFlag.ACK) !== 0 ? this.rcvNxt : 0;
    this.stack.emit(
      this.remoteMac,
      this.remoteIp,
      this.localPort,
      this.remotePort,
      seq,
      ack,
      flags,
      payload,
      withMss,
    );
    if ((flags & TcpFlag.ACK) !== 0) this.#needAck = false;
  }

  #rst(): void {
    this.stack.emit(
      this.remoteMac,
      this.remoteIp,
      this.localPort,
      this.remotePort,
      this.sndNxt,
      0,
      TcpFlag.RST,
    );
    this.stack.counters.resetsSent++;
  }

  #terminate(reason: TcpCloseReason): void {
    if (this.state === TcpState.CLOSED) return;
    this.state = TcpState.CLOSED;
    this.closeReason = reason;
    this.#deadline = undefined;
    this.stack.forget(this);
    this.handlers.onClose?.(this, reason);
  }

  /** Internal: the retransmission or TIME-WAIT timer expired. */
  onTimer(now: number): void {
    if (this.state === TcpState.TIME_WAIT) {
      this.#terminate(TcpCloseReason.CLOSED);
      return;
    }
    this.stack.counters.retransmitTimeouts++;
    this.#retries++;
    if (this.#retries > this.stack.options.maxRetransmits) {
      this.#rst();
      this.#terminate(TcpCloseReason.TIMEOUT);
      return;
    }
    this.#deadline = now + this.#rto();
    if (this.state === TcpState.SYN_SENT || this.state === TcpState.SYN_RECEIVED) {
      this.#synPending = true;
    } else {
      this.sndNxt = this.sndUna; // go-back-N
    }
    this.stack.markDirty(this);
  }

  /** Internal: one segment for this connection (`s` is only valid during the call). */
  segment(s: TcpSegment, now: number): void {
    const flags = s.flags;
    const seq = s.seq;
    const ack = s.ack;
    const hasAck = (flags & TcpFlag.ACK) !== 0;
    const rst = (flags & TcpFlag.RST) !== 0;
    const syn = (flags & TcpFlag.SYN) !== 0;

    if (this.state === TcpState.SYN_SENT) {
      // RFC 9293 §3.10.7.3
      if (hasAck && ack !== seqAdd(this.iss, 1)) {
        if (!rst)
          this.stack.emit(
            this.remoteMac,
            this.remoteIp,
            this.localPort,
            this.remotePort,
            ack,
            0,
            TcpFlag.RST,
          );
        return;
      }
      if (rst) {
        if (hasAck) this.#terminate(TcpCloseReason.RESET);
        return;
      }
      if (!syn || !hasAck) return; // simultaneous open is not supported
      this.irs = seq;
      this.rcvNxt = seqAdd(seq, 1);
      this.#peerMss(s);
      this.sndUna = ack;
      this.sndWnd = s.window;
      this.state = TcpState.ESTABLISHED;
      this.#retries = 0;
      this.#deadline = undefined;
      this.#needAck = true;
      this.stack.markDirty(this);
      this.handlers.onOpen?.(this);
      return;
    }

    const len = s.payloadLength;
    if (rst) {
      // RFC 9293 §3.10.7.4 (simplified RFC 5961 check): only an in-window RST is believed.
      if (
        seq === this.rcvNxt ||
        seqInWindow(seq, this.rcvNxt, seqAdd(this.rcvNxt, this.stack.options.window))
      ) {
        this.#terminate(TcpCloseReason.RESET);
      }
      return;
    }
    if (syn) {
      // A retransmitted SYN (our SYN-ACK was lost) or SYN-ACK (our ACK was lost): answer again.
      this.#needAck = true;
      this.stack.markDirty(this);
      return;
    }
    if (!hasAck) return;

    if (this.state === TcpState.SYN_RECEIVED) {
      if (!seqGt(ack, this.iss) || seqGt(ack, this.sndMax)) {
        this.stack.emit(this.remoteMac, this.remoteIp, this.localPort, this.remotePort, ack, 0, TcpFlag.RST);
        return;
      }
      this.state = TcpState.ESTABLISHED;
      this.sndUna = seqAdd(this.iss, 1);
      this.#retries = 0;
      this.#deadline = undefined;
      this.handlers.onOpen?.(this);
      if (this.state !== TcpState.ESTABLISHED) return;
    }

    if (seqGt(ack, this.sndUna) && seqLe(ack, this.sndMax)) {
      this.#acked(ack, now);
      if (this.state === TcpState.CLOSED) return;
    } else if (seqGt(ack, this.sndMax)) {
      this.#needAck = true; // acknowledges something not yet sent (RFC 9293 §3.10.7.4)
      this.stack.markDirty(this);
      return;
    }
    this.sndWnd = s.window;

    const fin = (flags & TcpFlag.FIN) !== 0;
    if (len > 0 || fin) {
      this.#needAck = true;
      const end = seqAdd(seq, len);
      const receiving =
        this.state === TcpState.ESTABLISHED ||
        this.state === TcpState.FIN_WAIT_1 ||
        this.state === TcpState.FIN_WAIT_2;
      if (receiving && seqGt(seq, this.rcvNxt)) {
        this.stack.counters.outOfOrder++;
      } else if (receiving && seqGt(end, this.rcvNxt)) {
        const skip = seqDiff(this.rcvNxt, seq);
        const data = s.payload().subarray(skip);
        this.rcvNxt = end;
        this.bytesReceived += data.length;
        this.handlers.onData?.(this, data);
        if (this.state === TcpState.CLOSED) return;
      }
      if (receiving && fin && end === this.rcvNxt) {
        this.rcvNxt = seqAdd(this.rcvNxt, 1);
        if (this.state === TcpState.ESTABLISHED) this.state = TcpState.CLOSE_WAIT;
        else if (this.state === TcpState.FIN_WAIT_1) this.state = TcpState.CLOSING;
        else this.#enterTimeWait(now);
        this.handlers.onEnd?.(this);
      } else if (this.state === TcpState.TIME_WAIT && fin) {
        this.#enterTimeWait(now); // RFC 9293 §3.10.7.4: a retransmitted FIN restarts the 2 MSL timeout
      }
    }
    this.stack.markDirty(this);
  }

  #peerMss(s: TcpSegment): void {
    const peer = s.mss;
    // RFC 9293 §3.7.1: without the option, assume 536.
    this.mss = Math.min(this.mss, peer > 0 ? peer : 536);
  }

  #acked(ack: number, now: number): void {
    const dataStart = seqAdd(this.iss, 1);
    const written = this.#written();
    const ackedData = Math.min(seqDiff(ack, dataStart), written);
    const newly = ackedData - this.bytesAcked;
    if (newly > 0) {
      this.#head += newly;
      this.bytesAcked = ackedData;
      if (this.#head === this.#tail) {
        this.#head = 0;
        this.#tail = 0;
      }
    }
    this.sndUna = ack;
    if (seqLt(this.sndNxt, this.sndUna)) this.sndNxt = this.sndUna;
    this.#retries = 0;
    this.#deadline = this.sndUna === this.sndMax ? undefined : now + this.#rto();
    const finAcked = this.#closeRequested && seqDiff(ack, dataStart) === written + 1;
    if (!finAcked) return;
    if (this.state === TcpState.FIN_WAIT_1) this.state = TcpState.FIN_WAIT_2;
    else if (this.state === TcpState.CLOSING) this.#enterTimeWait(now);
    else if (this.state === TcpState.LAST_ACK) this.#terminate(TcpCloseReason.CLOSED);
  }

  #enterTimeWait(now: number): void {
    this.state = TcpState.TIME_WAIT;
    this.#deadline = now + this.stack.options.timeWaitNs;
  }
}

type ResolvedOptions = Required<Omit<TcpStackOptions, 'resolve'>> & Pick<TcpStackOptions, 'resolve'>;

/** A host's TCP over IPv4 and Ethernet, as a sans-I/O endpoint for `Host`. */
export class TcpStack implements SansIoEndpoint {
  readonly options: ResolvedOptions;
  readonly counters: TcpStackCounters = {
    segmentsIn: 0,
    segmentsOut: 0,
    retransmitTimeouts: 0,
    badChecksums: 0,
    outOfOrder: 0,
    resetsSent: 0,
  };
  readonly #connections = new Map<string, TcpConnection>();
  readonly #listeners = new Map<number, (conn: TcpConnection) => TcpHandlers>();
  readonly #dirty = new Set<TcpConnection>();
  #outbox: Uint8Array[] = [];
  #outHead = 0;
  #wake: (() => void) | undefined;
  /** True while the host is inside a call: it services the stack afterwards anyway. */
  #inCall = false;
  #nextPort: number;
  #ipId = 0;
  readonly #decoder = new FrameDecoder();

  constructor(options: TcpStackOptions) {
    this.options = {
      mss: 1460,
      rtoNs: 200e6,
      maxRtoNs: 60e9,
      maxRetransmits: 15,
      timeWaitNs: 1e9,
      window: 65_535,
      ...options,
    };
    const o = this.options;
    if (!Number.isInteger(o.mss) || o.mss < 1 || o.mss > 65_495)
      throw new InvalidArgumentError('netsim', 'mss', 'out of range');
    if (!Number.isInteger(o.window) || o.window < 1 || o.window > 65_535) {
      throw new InvalidArgumentError('netsim', 'window', 'must be in [1, 65535] (no window scaling)');
    }
    this.#nextPort = 49_152 + o.random.below(16_384);
  }

  get mac(): MacAddress {
    return this.options.mac;
  }

  get ip(): Ipv4Address {
    return this.options.ip;
  }

  /** Live connections (not yet CLOSED). */
  get connections(): TcpConnection[] {
    return [...this.#connections.values()];
  }

  /** Accepts connections on `port`; `accept` returns the new connection's handlers. */
  listen(port: number, accept: (conn: TcpConnection) => TcpHandlers): void {
    this.#listeners.set(port, accept);
  }

  unlisten(port: number): void {
    this.#listeners.delete(port);
  }

  /** Opens a connection (the SYN leaves on the next poll). */
  connect(
    remoteIp: Ipv4Address,
    remotePort: number,
    handlers: TcpHandlers = {},
    localPort?: number,
  ): TcpConnection {
    const port = localPort ?? this.#ephemeralPort(remoteIp, remotePort);
    const key = connKey(remoteIp, remotePort, port);
    if (this.#connections.has(key))
      throw new InvalidArgumentError('netsim', 'localPort', `${port} is in use`);
    const conn = new TcpConnection(this, {
      state: TcpState.SYN_SENT,
      localPort: port,
      remoteIp,
      remotePort,
      remoteMac: this.#resolve(remoteIp),
      iss: this.options.random.nextU32(),
      mss: this.options.mss,
    });
    conn.handlers = handlers;
    this.#connections.set(key, conn);
    this.markDirty(conn);
    return conn;
  }

  #ephemeralPort(remoteIp: Ipv4Address, remotePort: number): number {
    for (let i = 0; i < 16_384; i++) {
      const p = this.#nextPort;
      this.#nextPort = p === 65_535 ? 49_152 : p + 1;
      if (!this.#connections.has(connKey(remoteIp, remotePort, p))) return p;
    }
    throw new InvalidArgumentError('netsim', 'localPort', 'no ephemeral port left');
  }

  #resolve(ip: Ipv4Address): MacAddress {
    return this.options.resolve?.(ip) ?? MacAddress.BROADCAST;
  }

  /** Internal. */
  markDirty(conn: TcpConnection): void {
    this.#dirty.add(conn);
    if (!this.#inCall) this.#wake?.();
  }

  /** Internal. */
  forget(conn: TcpConnection): void {
    this.#connections.delete(connKey(conn.remoteIp, conn.remotePort, conn.localPort));
  }

  setWaker(wake: () => void): void {
    this.#wake = wake;
  }

  handleFrame(frame: Uint8Array, now: number): void {
    this.#inCall = true;
    try {
      this.#handleFrame(frame, now);
    } finally {
      this.#inCall = false;
    }
  }

  #handleFrame(frame: Uint8Array, now: number): void {
    const d = this.#decoder;
    decodeFrame(frame, d);
    if (!d.has(Layer.TCP) || !d.has(Layer.IPV4) || d.has(Layer.FRAGMENT)) return;
    const ip = d.ipv4;
    if (ip.destination !== this.options.ip) return;
    const s = d.tcp;
    this.counters.segmentsIn++;
    if (!s.verifyChecksum(ip.pseudoHeaderSum())) {
      this.counters.badChecksums++;
      return;
    }
    const conn = this.#connections.get(connKey(ip.source, s.sourcePort, s.destinationPort));
    if (conn !== undefined) {
      conn.segment(s, now);
      return;
    }
    const flags = s.flags;
    if ((flags & TcpFlag.RST) !== 0) return;
    const accept = this.#listeners.get(s.destinationPort);
    if (accept !== undefined && (flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN) {
      const c = new TcpConnection(this, {
        state: TcpState.SYN_RECEIVED,
        localPort: s.destinationPort,
        remoteIp: ip.source,
        remotePort: s.sourcePort,
        remoteMac: this.options.resolve?.(ip.source) ?? d.ethernet.source,
        iss: this.options.random.nextU32(),
        mss: this.options.mss,
      });
      c.irs = s.seq;
      c.rcvNxt = seqAdd(s.seq, 1);
      c.sndWnd = s.window;
      const peer = s.mss;
      c.mss = Math.min(c.mss, peer > 0 ? peer : 536);
      this.#connections.set(connKey(ip.source, s.sourcePort, s.destinationPort), c);
      c.handlers = accept(c);
      this.markDirty(c);
      return;
    }
    // RFC 9293 §3.10.7.1: a segment for no connection is answered with RST.
    const mac = d.ethernet.source;
    if ((flags & TcpFlag.ACK) !== 0) {
      this.emit(mac, ip.source, s.destinationPort, s.sourcePort, s.ack, 0, TcpFlag.RST);
    } else {
      const segLen =
        s.payloadLength + ((flags & TcpFlag.SYN) !== 0 ? 1 : 0) + ((flags & TcpFlag.FIN) !== 0 ? 1 : 0);
      this.emit(
        mac,
        ip.source,
        s.destinationPort,
        s.sourcePort,
        0,
        seqAdd(s.seq, segLen),
        TcpFlag.RST | TcpFlag.ACK,
      );
    }
    this.counters.resetsSent++;
  }

  pollTransmit(now: number): Uint8Array | undefined {
    if (this.#outHead >= this.#outbox.length && this.#dirty.size > 0) {
      this.#outbox = [];
      this.#outHead = 0;
      const dirty = [...this.#dirty];
      this.#dirty.clear();
      this.#inCall = true;
      try {
        for (const c of dirty) c.output(now);
      } finally {
        this.#inCall = false;
      }
    }
    const f = this.#outbox[this.#outHead];
    if (f === undefined) return undefined;
    this.#outbox[this.#outHead++] = EMPTY;
    return f;
  }

  pollTimeout(): number | undefined {
    let at: number | undefined;
    for (const c of this.#connections.values()) {
      const d = c.deadline;
      if (d !== undefined && (at === undefined || d < at)) at = d;
    }
    return at;
  }

  handleTimeout(now: number): void {
    this.#inCall = true;
    try {
      for (const c of [...this.#connections.values()]) {
        const d = c.deadline;
        if (d !== undefined && d <= now) c.onTimer(now);
      }
    } finally {
      this.#inCall = false;
    }
  }

  /** Internal: builds one Ethernet/IPv4/TCP frame into the outbox. */
  emit(
    dstMac: MacAddress,
    dstIp: Ipv4Address,
    srcPort: number,
    dstPort: number,
    seq: number,
    ack: number,
    flags: number,
    payload: Uint8Array = EMPTY,
    withMss = false,
  ): void {
    const o = this.options;
    const options: TcpOption[] = withMss ? [{ kind: 2, mss: o.mss }] : [];
    const tcpLen = 20 + (withMss ? 4 : 0) + payload.length;
    const frame = new Uint8Array(14 + 20 + tcpLen);
    tcp.encode(
      {
        sourcePort: srcPort,
        destinationPort: dstPort,
        seq,
        ack,
        flags,
        window: o.window,
        urgentPointer: 0,
        options,
        payload,
      },
      frame,
      34,
      { pseudo: { version: 4, source: o.ip, destination: dstIp } },
    );
    this.#ipId = (this.#ipId + 1) & 0xffff;
    ipv4.encode(
      {
        dscp: 0,
        ecn: 0,
        identification: this.#ipId,
        dontFragment: true,
        moreFragments: false,
        fragmentOffset: 0,
        ttl: 64,
        protocol: IpProtocol.TCP,
        source: o.ip,
        destination: dstIp,
        options: EMPTY,
        payload: frame.subarray(34),
      },
      frame,
      14,
    );
    ethernet.encode(
      {
        destination: dstMac,
        source: o.mac,
        tags: [],
        etherType: EtherType.IPv4,
        payload: frame.subarray(14),
      },
      frame,
      0,
    );
    this.counters.segmentsOut++;
    this.#outbox.push(frame);
    if (!this.#inCall) this.#wake?.();
  }
}

const EMPTY = new Uint8Array(0);

function connKey(remoteIp: Ipv4Address, remotePort: number, localPort: number): string {
  return `${Ipv4Address.format(remoteIp)}:${remotePort}>${localPort}`;
}
