/**
 * The replicated flow directory (DESIGN.md mechanism C): flow → (primary, backup, server),
 * stored by every balancer so that the backup forwards a flow to the same server when the
 * primary dies. Balancers exchange authenticated update messages and merge them with a rule
 * that makes the stored state independent of the order in which updates arrive.
 *
 * Merge rule: entries are totally ordered by (version, writer, op, primary, backup, server,
 * flow bytes); for each flow the greatest entry wins (last writer wins, deletes kept as
 * tombstones so a late older upsert cannot resurrect a flow). Taking a maximum is
 * commutative, associative and idempotent, so any delivery order of the same updates gives
 * the same directory.
 *
 * Bound: at most `capacity` entries, tombstones included. When full, a new flow's entry
 * replaces the least entry in that same order, or is refused when it is itself the least.
 * The directory then always holds the `capacity` greatest of all the entries it has seen
 * (one per flow), which again does not depend on arrival order.
 */
import { InvalidArgumentError, type KeyRing, ReplayWindow, WireError } from '@switchyard/wire';
import { FLOW_KEY_LENGTH, type FlowKey, flowKey } from './flow-key.js';
import { type DirectoryEntry, DirectoryOp, directoryMessage, validateEntry } from './message.js';

const LAYER = 'hrw-directory';

/** Largest directory: bounds memory to a few hundred MB at most. */
export const MAX_DIRECTORY_CAPACITY = 1 << 24;

export interface FlowDirectoryOptions {
  /** Messages from another cluster are refused. */
  readonly clusterId: number;
  /** This balancer's id: the sender id of its messages and the writer of its entries. */
  readonly nodeId: number;
  /** Keys that sign outgoing and verify incoming messages. */
  readonly keyRing: KeyRing;
  /** Most entries held, tombstones included: 1..2^24. */
  readonly capacity: number;
  /** Senders the replay window tracks (default 256); size it above the cluster. */
  readonly replaySenders?: number;
  /** Replay window width in messages (default 64). */
  readonly replayWindow?: number;
  /**
   * First counter this node sends with (default 1). A restarted node must not reuse
   * counters: start it from a clock, e.g. the injected wall time in nanoseconds.
   */
  readonly firstCounter?: bigint;
  /** Messages from an older membership epoch are refused (default 0: none). */
  readonly minEpoch?: number;
}

/** Where a flow goes, as given to `upsert`. */
export interface FlowRoute {
  readonly primary: number;
  readonly backup?: number | undefined;
  readonly server: number;
}

/** What merging one entry did. */
export type MergeResult = 'applied' | 'stale' | 'refused-full';

/** What happened to a received message; anything but `accepted` changed nothing. */
export type ReceiveVerdict =
  | 'accepted'
  | 'malformed'
  | 'wrong-cluster'
  | 'own'
  | 'stale-epoch'
  | 'unknown-key'
  | 'bad-tag'
  | 'replay'
  | 'too-old';

export interface ReceiveResult {
  readonly verdict: ReceiveVerdict;
  /** Entries that changed the directory. */
  readonly applied: number;
  /** Entries older than what the directory holds. */
  readonly stale: number;
  /** Entries refused because the directory is full of greater entries. */
  readonly refused: number;
  /** The decoding error of a malformed message. */
  readonly error?: WireError;
}

export interface DirectoryCounters {
  messagesSent: number;
  messagesAccepted: number;
  malformed: number;
  wrongCluster: number;
  own: number;
  staleEpoch: number;
  unknownKey: number;
  badTag: number;
  replay: number;
  tooOld: number;
  entriesApplied: number;
  entriesStale: number;
  /** New flows refused because the directory was full of greater entries. */
  entriesRefused: number;
  /** Entries dropped to make room for greater ones. */
  entriesEvicted: number;
}

interface Slot {
  readonly key: string;
  entry: DirectoryEntry;
  index: number;
}

/** Total order of entries: the merge rule. Negative when a < b. */
export function compareEntries(a: DirectoryEntry, b: DirectoryEntry): number {
  if (a.version !== b.version) return a.version < b.version ? -1 : 1;
  if (a.writer !== b.writer) return a.writer - b.writer;
  // A delete beats an upsert written by the same writer at the same version.
  if (a.op !== b.op) return a.op - b.op;
  if (a.primary !== b.primary) return a.primary - b.primary;
  const ab = a.backup ?? -1;
  const bb = b.backup ?? -1;
  if (ab !== bb) return ab - bb;
  if (a.server !== b.server) return a.server - b.server;
  for (let i = 0; i < FLOW_KEY_LENGTH; i++) {
    const d = a.flow[i]! - b.flow[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** Map key for flow bytes: 19 UTF-16 code units, one per byte pair. */
function keyOf(flow: Uint8Array): string {
  let s = '';
  for (let i = 0; i < FLOW_KEY_LENGTH; i += 2) s += String.fromCharCode((flow[i]! << 8) | flow[i + 1]!);
  return s;
}

function flowBytes(flow: Uint8Array | FlowKey): Uint8Array {
  if (flow instanceof Uint8Array) {
    if (flow.length !== FLOW_KEY_LENGTH) {
      throw new InvalidArgumentError(LAYER, 'flow', `expected ${FLOW_KEY_LENGTH} bytes, got ${flow.length}`);
    }
    return flow;
  }
  return flowKey.encode(flow);
}

function u32(field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new InvalidArgumentError(LAYER, field, `expected an unsigned 32-bit integer, got ${String(value)}`);
  }
}

/** A bounded, convergent map flow → (primary, backup, server) with its message exchange. */
export class FlowDirectory {
  readonly clusterId: number;
  readonly nodeId: number;
  readonly capacity: number;
  readonly #keyRing: KeyRing;
  readonly #replay: ReplayWindow<number>;
  readonly #slots = new Map<string, Slot>();
  /** Min-heap of the slots in merge order: the root is the entry evicted first. */
  readonly #heap: Slot[] = [];
  #tombstones = 0;
  #counter: bigint;
  #minEpoch: number;
  readonly #counters: DirectoryCounters = {
    messagesSent: 0,
    messagesAccepted: 0,
    malformed: 0,
    wrongCluster: 0,
    own: 0,
    staleEpoch: 0,
    unknownKey: 0,
    badTag: 0,
    replay: 0,
    tooOld: 0,
    entriesApplied: 0,
    entriesStale: 0,
    entriesRefused: 0,
    entriesEvicted: 0,
  };

  constructor(options: FlowDirectoryOptions) {
    u32('clusterId', options.clusterId);
    u32('nodeId', options.nodeId);
    const capacity = options.capacity;
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_DIRECTORY_CAPACITY) {
      throw new InvalidArgumentError(LAYER, 'capacity', `expected 1..2^24, got ${String(capacity)}`);
    }
    const first = options.firstCounter ?? 1n;
    if (typeof first !== 'bigint' || first < 0n || first > 0xffff_ffff_ffff_ffffn) {
      throw new InvalidArgumentError(LAYER, 'firstCounter', 'expected an unsigned 64-bit bigint');
    }
    const minEpoch = options.minEpoch ?? 0;
    u32('minEpoch', minEpoch);
    this.clusterId = options.clusterId;
    this.nodeId = options.nodeId;
    this.capacity = capacity;
    this.#keyRing = options.keyRing;
    this.#replay = new ReplayWindow<number>({
      capacity: options.replaySenders ?? 256,
      ...(options.replayWindow === undefined ? {} : { window: options.replayWindow }),
    });
    this.#counter = first;
    this.#minEpoch = minEpoch;
  }

  /** Entries held, tombstones included. */
  get size(): number {
    return this.#slots.size;
  }

  /** Deleted flows remembered so that older upserts stay dead. */
  get tombstones(): number {
    return this.#tombstones;
  }

  /** A copy of the counters. */
  get counters(): Readonly<DirectoryCounters> {
    return { ...this.#counters };
  }

  /** Senders the replay window evicted (each could replay its old messages once). */
  get replayEvicted(): number {
    return this.#replay.evicted;
  }

  /** The counter the next message will carry. */
  get nextCounter(): bigint {
    return this.#counter;
  }

  get minEpoch(): number {
    return this.#minEpoch;
  }

  /** Refuses messages from epochs below `epoch` from now on. */
  setMinEpoch(epoch: number): void {
    u32('minEpoch', epoch);
    this.#minEpoch = epoch;
  }

  /** The live entry of a flow (not a tombstone), or undefined. */
  get(flow: Uint8Array | FlowKey): DirectoryEntry | undefined {
    const slot = this.#slots.get(keyOf(flowBytes(flow)));
    return slot === undefined || slot.entry.op === DirectoryOp.DELETE ? undefined : slot.entry;
  }

  /** Every entry held, tombstones included, in flow-byte order: equal directories list equal. */
  snapshot(): DirectoryEntry[] {
    return [...this.#slots.values()]
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((s) => s.entry);
  }

  /** Records a route written by this node at `version` (its clock); returns the entry to send. */
  upsert(
    flow: Uint8Array | FlowKey,
    route: FlowRoute,
    version: bigint,
  ): { entry: DirectoryEntry; result: MergeResult } {
    const entry: DirectoryEntry = {
      op: DirectoryOp.UPSERT,
      flow: flowBytes(flow).slice(),
      version,
      writer: this.nodeId,
      primary: route.primary,
      backup: route.backup,
      server: route.server,
    };
    validateEntry(entry);
    return { entry, result: this.#merge(entry) };
  }

  /** Records the end of a flow at `version`; returns the entry to send. */
  remove(flow: Uint8Array | FlowKey, version: bigint): { entry: DirectoryEntry; result: MergeResult } {
    const entry: DirectoryEntry = {
      op: DirectoryOp.DELETE,
      flow: flowBytes(flow).slice(),
      version,
      writer: this.nodeId,
      primary: 0,
      backup: undefined,
      server: 0,
    };
    validateEntry(entry);
    return { entry, result: this.#merge(entry) };
  }

  /**
   * Merges one entry under the rule above (for entries that arrive by other means than
   * `receive`, e.g. a state transfer); keeps its own copy of the flow bytes. Throws
   * `InvalidArgumentError` on a malformed entry.
   */
  merge(entry: DirectoryEntry): MergeResult {
    validateEntry(entry);
    return this.#merge({ ...entry, flow: entry.flow.slice() });
  }

  #merge(entry: DirectoryEntry): MergeResult {
    const key = keyOf(entry.flow);
    const slot = this.#slots.get(key);
    if (slot !== undefined) {
      // Last writer wins: only a greater entry replaces the one held.
      if (compareEntries(entry, slot.entry) <= 0) return this.#count('entriesStale', 'stale');
      this.#tombstones +=
        (entry.op === DirectoryOp.DELETE ? 1 : 0) - (slot.entry.op === DirectoryOp.DELETE ? 1 : 0);
      slot.entry = entry;
      this.#siftDown(slot.index);
      return this.#count('entriesApplied', 'applied');
    }
    if (this.#slots.size >= this.capacity) {
      const least = this.#heap[0]!;
      // Bounded (DESIGN.md rule 4): keep the greatest entries, which is order-independent.
      if (compareEntries(entry, least.entry) <= 0) return this.#count('entriesRefused', 'refused-full');
      this.#removeRoot();
      this.#counters.entriesEvicted++;
    }
    const fresh: Slot = { key, entry, index: this.#heap.length };
    this.#slots.set(key, fresh);
    this.#heap.push(fresh);
    this.#siftUp(fresh.index);
    if (entry.op === DirectoryOp.DELETE) this.#tombstones++;
    return this.#count('entriesApplied', 'applied');
  }

  #count(counter: 'entriesApplied' | 'entriesStale' | 'entriesRefused', result: MergeResult): MergeResult {
    this.#counters[counter]++;
    return result;
  }

  /**
   * Encodes `entries` as one signed message with the next counter. The caller sends it to
   * the other balancers (this package does no I/O).
   */
  encodeUpdate(entries: readonly DirectoryEntry[], epoch: number): Uint8Array {
    if (this.#counter > 0xffff_ffff_ffff_ffffn) {
      throw new InvalidArgumentError(LAYER, 'counter', 'the 64-bit message counter is exhausted');
    }
    const bytes = directoryMessage.encode(
      { clusterId: this.clusterId, senderId: this.nodeId, counter: this.#counter, epoch, entries },
      this.#keyRing,
    );
    this.#counter++;
    this.#counters.messagesSent++;
    return bytes;
  }

  /**
   * Authenticates and merges one received message. Refused messages (malformed, another
   * cluster, our own, an old epoch, an unknown key, a bad tag, a replay) change nothing but
   * their counter. Never throws on any input bytes.
   */
  receive(bytes: Uint8Array): ReceiveResult {
    let decoded: ReturnType<typeof directoryMessage.decode>;
    try {
      decoded = directoryMessage.decode(bytes);
    } catch (e) {
      this.#counters.malformed++;
      const error = e instanceof WireError ? e : new InvalidArgumentError(LAYER, 'bytes', String(e));
      return { verdict: 'malformed', applied: 0, stale: 0, refused: 0, error };
    }
    const m = decoded.value;
    if (m.clusterId !== this.clusterId) return this.#refuse('wrong-cluster', 'wrongCluster');
    // A flooded segment delivers our own messages back to us.
    if (m.senderId === this.nodeId) return this.#refuse('own', 'own');
    // Cheap pre-check before the HMAC; the window records only after the tag verified.
    const early = this.#replay.check(m.senderId, m.counter);
    if (early === 'replay') return this.#refuse('replay', 'replay');
    if (early === 'too-old') return this.#refuse('too-old', 'tooOld');
    // DESIGN.md rule 5: HMAC-SHA256 under a cluster key, constant-time comparison in KeyRing.
    const end = bytes.length - decoded.tag.length;
    const auth = this.#keyRing.verify(bytes.subarray(0, end), m.keyId, decoded.tag);
    if (auth === 'unknown-key') return this.#refuse('unknown-key', 'unknownKey');
    if (auth === 'bad-tag') return this.#refuse('bad-tag', 'badTag');
    if (m.epoch < this.#minEpoch) return this.#refuse('stale-epoch', 'staleEpoch');
    // RFC 4303 §3.4.3-style window: each counter is accepted once per sender.
    this.#replay.accept(m.senderId, m.counter);
    this.#counters.messagesAccepted++;
    let applied = 0;
    let stale = 0;
    let refused = 0;
    for (const entry of m.entries) {
      const r = this.#merge(entry);
      if (r === 'applied') applied++;
      else if (r === 'stale') stale++;
      else refused++;
    }
    return { verdict: 'accepted', applied, stale, refused };
  }

  #refuse(
    verdict: Exclude<ReceiveVerdict, 'accepted' | 'malformed'>,
    counter: 'wrongCluster' | 'own' | 'staleEpoch' | 'unknownKey' | 'badTag' | 'replay' | 'tooOld',
  ): ReceiveResult {
    this.#counters[counter]++;
    return { verdict, applied: 0, stale: 0, refused: 0 };
  }

  // Binary min-heap over #heap by compareEntries, tracking each slot's index.

  #less(i: number, j: number): boolean {
    return compareEntries(this.#heap[i]!.entry, this.#heap[j]!.entry) < 0;
  }

  #swap(i: number, j: number): void {
    const heap = this.#heap;
    const a = heap[i]!;
    const b = heap[j]!;
    heap[i] = b;
    heap[j] = a;
    b.index = i;
    a.index = j;
  }

  #siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #siftDown(i: number): void {
    const n = this.#heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let least = i;
      if (l < n && this.#less(l, least)) least = l;
      if (r < n && this.#less(r, least)) least = r;
      if (least === i) return;
      this.#swap(i, least);
      i = least;
    }
  }

  #removeRoot(): void {
    const heap = this.#heap;
    const root = heap[0]!;
    const last = heap.pop()!;
    if (last !== root) {
      heap[0] = last;
      last.index = 0;
      this.#siftDown(0);
    }
    this.#slots.delete(root.key);
    if (root.entry.op === DirectoryOp.DELETE) this.#tombstones--;
  }
}
