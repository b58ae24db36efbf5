/** A simulated cluster on netsim for the election tests: N nodes on one switch (or two), seeded. */
import {
  Duration,
  type Host,
  type LinkConditions,
  type SansIoEndpoint,
  type SimLink,
  Simulator,
  type Switch,
} from '@switchyard/netsim';
import { Ipv4Address, KeyRing, type MacAddress } from '@switchyard/wire';
import {
  type ElectionEvent,
  ElectionNode,
  type ElectionOptions,
  IpAddress,
  Role,
  type VipConfig,
} from '../src/index.js';

export const SECRET = new Uint8Array(32).fill(0x5a);
export const OTHER_SECRET = new Uint8Array(32).fill(0x33);
export const CLUSTER_ID = 7;

export const nodeMac = (n: number): MacAddress => 0x02_00_00_00_00_00 + n;
export const nodeIp = (n: number): IpAddress => IpAddress.v4(Ipv4Address.parse(`10.0.0.${n}`));
export const vip4 = (n: number): IpAddress => IpAddress.v4(`192.0.2.${n}`);
export const vip6 = (n: number): IpAddress => IpAddress.v6(`2001:db8::${n.toString(16)}`);

export interface TimedEvent {
  node: number;
  event: ElectionEvent;
}

export interface SimNode {
  id: number;
  node: ElectionNode;
  link: SimLink;
  host: Host;
  alive: boolean;
}

export interface ClusterOptions {
  seed: number;
  nodes: number;
  vips: IpAddress[];
  /** Priority of node `n` (1-based) for VIP index `i`; default 100. */
  priority?: (n: number, i: number) => number;
  conditions?: LinkConditions;
  /** Per-node election overrides. */
  options?: (n: number) => Partial<ElectionOptions>;
  /** With a number s: nodes 1..s on switch A, the others on switch B, joined by `trunk`. */
  split?: number;
}

/** Records a node's events as they happen, in virtual time. */
class Recorder implements SansIoEndpoint {
  constructor(
    readonly id: number,
    readonly node: ElectionNode,
    readonly log: TimedEvent[],
  ) {}
  drain(): void {
    for (let e = this.node.pollEvent(); e !== undefined; e = this.node.pollEvent())
      this.log.push({ node: this.id, event: e });
  }
  handleFrame(frame: Uint8Array, now: number): void {
    this.node.handleFrame(frame, now);
    this.drain();
  }
  handleTimeout(now: number): void {
    this.node.handleTimeout(now);
    this.drain();
  }
  pollTransmit(now: number): Uint8Array | undefined {
    return this.node.pollTransmit(now);
  }
  pollTimeout(): number | undefined {
    return this.node.pollTimeout();
  }
  setWaker(wake: () => void): void {
    this.node.setWaker(() => {
      this.drain();
      wake();
    });
  }
}

export class Cluster {
  readonly sim: Simulator;
  readonly switches: Switch[] = [];
  readonly nodes: SimNode[] = [];
  readonly log: TimedEvent[] = [];
  readonly keys: KeyRing;
  readonly vips: IpAddress[];
  trunk: import('@switchyard/netsim').Cable | undefined;
  readonly #recorders: Recorder[] = [];
  readonly #options: ClusterOptions;

  constructor(options: ClusterOptions) {
    this.#options = options;
    this.sim = new Simulator({ seed: options.seed });
    this.vips = options.vips;
    this.keys = new KeyRing([{ id: 1, secret: SECRET }]);
    const conditions = options.conditions ?? { delayNs: Duration.us(50), jitterNs: Duration.us(10) };
    const a = this.sim.createSwitch({ ports: 16 });
    this.switches.push(a);
    let b: Switch | undefined;
    if (options.split !== undefined) {
      b = this.sim.createSwitch({ ports: 16 });
      this.switches.push(b);
      this.trunk = this.sim.connect(a.port(15), b.port(15), conditions);
    }
    for (let n = 1; n <= options.nodes; n++) {
      const sw = b !== undefined && n > options.split! ? b : a;
      const link = this.sim.attach(sw.port(n - 1), { mac: nodeMac(n), conditions });
      this.#add(n, link);
    }
  }

  #make(n: number): ElectionNode {
    const o = this.#options;
    const vips: VipConfig[] = o.vips.map((address, i) => ({ address, priority: o.priority?.(n, i) ?? 100 }));
    const random = this.sim.random;
    return new ElectionNode({
      clusterId: CLUSTER_ID,
      nodeId: n,
      mac: nodeMac(n),
      ip: nodeIp(n),
      keys: this.keys,
      bootId: random.nextU32(),
      // Wall clock at boot in ns (here: a fixed epoch plus virtual time), see the README.
      initialCounter: 1_800_000_000_000_000_000n + BigInt(this.sim.now),
      vips,
      ...(o.options?.(n) ?? {}),
    });
  }

  #add(n: number, link: SimLink): void {
    const node = this.#make(n);
    const rec = new Recorder(n, node, this.log);
    const host = this.sim.host(link, rec);
    this.#recorders[n] = rec;
    this.nodes[n - 1] = { id: n, node, link, host, alive: true };
  }

  node(n: number): SimNode {
    return this.nodes[n - 1]!;
  }

  startAll(): void {
    for (const s of this.nodes) this.start(s.id);
  }

  start(n: number): void {
    this.node(n).node.start(this.sim.now);
    this.#recorders[n]!.drain();
  }

  /** kill -9: the node stops processing and sending at once, without a word. */
  kill(n: number): void {
    const s = this.node(n);
    s.host.detach();
    s.alive = false;
  }

  /** Graceful stop: the node announces it and goes quiet. */
  stop(n: number): void {
    const s = this.node(n);
    s.node.stop(this.sim.now);
    this.#recorders[n]!.drain();
    // Flush the STOPPING frames before the host lets go.
    for (let f = s.node.pollTransmit(this.sim.now); f !== undefined; f = s.node.pollTransmit(this.sim.now))
      s.link.send(f);
    s.host.detach();
    s.alive = false;
  }

  /** Restarts node n on its link with a new boot id and a fresh state machine. */
  restart(n: number): void {
    const s = this.node(n);
    if (s.alive) this.kill(n);
    const link = s.link;
    this.#add(n, link);
    this.start(n);
  }

  setLoad(n: number, load: number[]): void {
    this.node(n).node.setLoad(load, this.sim.now);
    this.#recorders[n]!.drain();
  }

  /** Adds a VIP to node n at runtime (a config reload). */
  addVip(n: number, config: VipConfig): void {
    this.node(n).node.addVip(config, this.sim.now);
    this.#recorders[n]!.drain();
  }

  /** Removes a VIP from node n at runtime (a config reload). */
  removeVip(n: number, vip: IpAddress): boolean {
    const removed = this.node(n).node.removeVip(vip, this.sim.now);
    this.#recorders[n]!.drain();
    return removed;
  }

  /** Like `actives`, for a VIP that some nodes may not serve (`role` throws there). */
  activesAmongServing(vip: IpAddress): number[] {
    return this.nodes
      .filter(
        (s) => s.alive && s.node.roles().some((r) => r.role === Role.ACTIVE && IpAddress.equals(r.vip, vip)),
      )
      .map((s) => s.id);
  }

  /** Node ids that are running and ACTIVE for `vip`. */
  actives(vip: IpAddress): number[] {
    return this.nodes.filter((s) => s.alive && s.node.role(vip) === Role.ACTIVE).map((s) => s.id);
  }

  /**
   * Runs until `untilNs`, calling `check(now)` at the end of every instant in which
   * something happened (after all events of that instant ran).
   */
  runChecking(untilNs: number, check: (now: number) => void): void {
    const sched = this.sim.scheduler;
    for (;;) {
      const next = sched.nextEventTime();
      if (next === undefined || next > untilNs) break;
      while (sched.nextEventTime() === next) sched.step();
      check(next);
    }
    this.sim.runUntil(untilNs);
  }

  roleEvents(vip?: IpAddress): Array<TimedEvent & { event: Extract<ElectionEvent, { type: 'role' }> }> {
    return this.log.filter(
      (e): e is TimedEvent & { event: Extract<ElectionEvent, { type: 'role' }> } =>
        e.event.type === 'role' && (vip === undefined || IpAddress.equals(e.event.vip, vip)),
    );
  }

  /** The first time after `from` at which a node other than `except` became ACTIVE for `vip`. */
  takeoverAfter(
    vip: IpAddress,
    from: number,
    except: number,
  ): (TimedEvent & { event: Extract<ElectionEvent, { type: 'role' }> }) | undefined {
    return this.roleEvents(vip).find(
      (e) => e.event.at >= from && e.node !== except && e.event.to === Role.ACTIVE,
    );
  }
}

export const ms = Duration.ms;
