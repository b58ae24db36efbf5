import { Outcome, VerdictCode } from '@switchyard/dataplane';
import { heartbeat, IpAddress, Role } from '@switchyard/election';
import { FlowKey } from '@switchyard/flowhash';
import {
  ArpOperation,
  arp,
  EtherType,
  ethernet,
  Ipv4Address,
  ipv4,
  KeyRing,
  MacAddress,
  TcpFlag,
  tcp,
} from '@switchyard/wire';
import { describe, expect, it } from 'vitest';
import {
  arpRequest,
  CLIENT_IP,
  kernelMac,
  nodeMac,
  recordingLogger,
  SECRET,
  SimCluster,
  tcpFrame,
  VMAC,
  vip,
} from '../src/lab/sim-cluster.js';
import { ClusterNode, type RawFrameInfo } from '../src/node.js';

const VIP = Ipv4Address.parse('10.77.0.50');
const VIP2 = Ipv4Address.parse('10.77.0.60');

function arpReplies(frames: readonly Uint8Array[]) {
  return frames
    .map((f) => ethernet.decode(f).value)
    .filter((e) => e.etherType === EtherType.ARP)
    .map((e) => ({ source: e.source, arp: arp.decode(e.payload).value }))
    .filter((r) => r.arp.kind === 'ethernet-ipv4' && r.arp.operation === ArpOperation.REPLY);
}

function activeNodes(c: SimCluster, address: number): number[] {
  return c.nodes.filter((n) => n.node.election.role(IpAddress.v4(address)) === Role.ACTIVE).map((n) => n.id);
}

describe('ClusterNode on a simulated segment', () => {
  it('elects one active node, which alone answers ARP with the vMAC from its real MAC; the switch never learns the vMAC', () => {
    const c = new SimCluster({
      seed: 1,
      nodes: 3,
      vips: () => [vip('10.77.0.50')],
      priority: (n) => 100 + n,
    });
    c.startAll();
    c.runMs(200);
    expect(activeNodes(c, VIP)).toEqual([3]);
    for (const n of c.nodes) expect(n.node.uptimeNs).toBe(200_000_000);
    c.sendFromClient(arpRequest(VIP));
    c.runMs(20);
    const replies = arpReplies(c.received);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.source).toBe(nodeMac(3));
    expect(replies[0]!.arp.kind === 'ethernet-ipv4' && replies[0]!.arp.senderHardwareAddress).toBe(VMAC);
    expect(c.switch.macTable().some((e) => e.mac === VMAC)).toBe(false);
    // Nothing any node sent had the vMAC as source.
    for (const n of c.nodes) expect(n.node.counters.guardRefused).toBe(0);
  });

  it('delivers a SYN into the active node kernel only, addressed to the kernel MAC', () => {
    const c = new SimCluster({
      seed: 2,
      nodes: 3,
      vips: () => [vip('10.77.0.50')],
      priority: (n) => (n === 2 ? 200 : 100),
    });
    c.startAll();
    c.runMs(200);
    for (let port = 40000; port < 40010; port++) c.sendFromClient(tcpFrame(VIP, port, TcpFlag.SYN));
    c.runMs(20);
    expect(c.kernelCounts()).toEqual([0, 10, 0]);
    expect(MacAddress.read(c.node(2).kernel[0]!, 0)).toBe(kernelMac(2));
    expect(c.node(1).node.dataplane.counters().notOwner).toBe(10);
    expect(c.node(2).node.dataplane.flows.size).toBe(10);
  });

  it('keeps an established flow on its node after a graceful handover; new SYNs go to the successor', () => {
    const c = new SimCluster({
      seed: 3,
      nodes: 3,
      vips: () => [vip('10.77.0.50')],
      priority: (n) => 100 + 10 * (4 - n),
    });
    c.startAll();
    c.runMs(200);
    expect(activeNodes(c, VIP)).toEqual([1]);
    c.sendFromClient(tcpFrame(VIP, 41000, TcpFlag.SYN));
    c.runMs(5);
    c.node(1).node.release();
    c.runMs(5);
    expect(activeNodes(c, VIP)).toEqual([2]);
    c.sendFromClient(tcpFrame(VIP, 41000, TcpFlag.ACK));
    c.sendFromClient(tcpFrame(VIP, 41001, TcpFlag.SYN));
    c.runMs(5);
    expect(c.kernelCounts()).toEqual([2, 1, 0]);
    expect(c.node(2).log.some((l) => l.fields['event'] === 'failover')).toBe(true);
  });

  it('fails over when the active node dies, within the dead interval plus a heartbeat', () => {
    const c = new SimCluster({
      seed: 4,
      nodes: 3,
      vips: () => [vip('10.77.0.50')],
      priority: (n) => 100 + n,
    });
    c.startAll();
    c.runMs(200);
    const killedAt = c.sim.now;
    c.node(3).node.close();
    c.node(3).segment.close();
    let tookOverAt = 0;
    for (let i = 0; i < 100 && tookOverAt === 0; i++) {
      c.runMs(1);
      if (activeNodes(c, VIP).includes(2)) tookOverAt = c.sim.now;
    }
    expect(tookOverAt).toBeGreaterThan(0);
    expect((tookOverAt - killedAt) / 1e6).toBeLessThanOrEqual(3 * 10 + 10 + 2);
    c.sendFromClient(tcpFrame(VIP, 42000, TcpFlag.SYN));
    c.runMs(5);
    expect(c.kernelCounts()).toEqual([0, 1, 0]);
  });

  it('places modulo (additive3) flows by (SRC_IP + DST_IP + DST_PORT) % N over the members in id order', () => {
    const vips = () => [vip('10.77.0.50', { policy: 'additive3' })];
    const c = new SimCluster({ seed: 5, nodes: 3, vips });
    c.startAll();
    c.runMs(200);
    const expected = [0, 0, 0];
    for (let i = 0; i < 30; i++) {
      const source = CLIENT_IP + i;
      c.sendFromClient(tcpFrame(VIP, 43000 + i, TcpFlag.SYN, { source }));
      expected[(source + VIP + 80) % 3]!++;
    }
    c.runMs(10);
    expect(c.kernelCounts()).toEqual(expected);
  });

  it('spreads rendezvous flows over every node, each SYN to exactly one', () => {
    const c = new SimCluster({
      seed: 6,
      nodes: 3,
      vips: () => [vip('10.77.0.50', { policy: 'rendezvous' })],
    });
    c.startAll();
    c.runMs(200);
    for (let i = 0; i < 300; i++) c.sendFromClient(tcpFrame(VIP, 20000 + i, TcpFlag.SYN));
    c.runMs(20);
    const counts = c.kernelCounts();
    expect(counts.reduce((a, b) => a + b)).toBe(300);
    for (const n of counts) expect(n).toBeGreaterThan(50);
  });

  it('ignores a forged heartbeat claiming the VIP: roles stay, the refusal is counted', () => {
    const c = new SimCluster({
      seed: 7,
      nodes: 2,
      vips: () => [vip('10.77.0.50')],
      priority: (n) => 100 + n,
    });
    c.startAll();
    c.runMs(200);
    const forger = new KeyRing([{ id: 1, secret: new Uint8Array(32).fill(0x11) }]);
    const forged = heartbeat.seal(
      {
        flags: 0,
        keyId: 1,
        clusterId: 7,
        nodeId: 9,
        mac: 0x02_00_00_00_00_99,
        ip: IpAddress.v4(CLIENT_IP),
        bootId: 1,
        counter: 1n << 62n,
        intervalUs: 10_000,
        solicit: 0,
        loads: [],
        claims: [{ vip: IpAddress.v4(VIP), role: Role.ACTIVE, term: 1_000_000, metric: 0, tiebreak: 0 }],
      },
      forger,
    );
    for (let i = 0; i < 20; i++) {
      c.sendFromClient(
        ethernet.encode({
          destination: 0x01_00_5e_00_00_07,
          source: 0x02_00_00_00_00_99,
          tags: [],
          etherType: 0x88b5,
          payload: forged,
        }),
      );
      c.runMs(5);
    }
    expect(activeNodes(c, VIP)).toEqual([2]);
    expect(c.node(2).node.election.counters.badTag).toBeGreaterThanOrEqual(20);
    expect(c.node(2).node.election.membership().nodeIds).toEqual([1, 2]);
  });

  it('adds and removes VIPs at run time without touching the others', () => {
    const c = new SimCluster({
      seed: 8,
      nodes: 3,
      vips: () => [vip('10.77.0.50')],
      priority: (n) => 100 + n,
    });
    c.startAll();
    c.runMs(200);
    c.sendFromClient(tcpFrame(VIP, 44000, TcpFlag.SYN));
    c.runMs(5);
    for (const n of c.nodes) {
      const changed = n.node.reconfigureVips([vip('10.77.0.50'), vip('10.77.0.60')]);
      expect(changed).toEqual({ added: ['10.77.0.60'], removed: [] });
    }
    c.runMs(200);
    expect(activeNodes(c, VIP)).toEqual([3]);
    expect(activeNodes(c, VIP2)).toHaveLength(1);
    // The flow held before the change is still held: its next segment is delivered.
    c.sendFromClient(tcpFrame(VIP, 44000, TcpFlag.ACK));
    c.sendFromClient(tcpFrame(VIP2, 44001, TcpFlag.SYN));
    c.runMs(5);
    expect(c.kernelCounts().reduce((a, b) => a + b)).toBe(3);
    expect(c.node(3).kernel).toHaveLength(activeNodes(c, VIP2)[0] === 3 ? 3 : 2);
    for (const n of c.nodes) n.node.reconfigureVips([vip('10.77.0.60')]);
    c.runMs(50);
    const before = c.kernelCounts();
    c.sendFromClient(tcpFrame(VIP, 44002, TcpFlag.SYN));
    c.runMs(5);
    expect(c.kernelCounts()).toEqual(before);
    expect(activeNodes(c, VIP2)).toHaveLength(1);
  });

  it('rotates the cluster keys without losing a member', () => {
    const c = new SimCluster({ seed: 9, nodes: 2, vips: () => [vip('10.77.0.50')] });
    c.startAll();
    c.runMs(100);
    const next = { id: 2, secret: new Uint8Array(32).fill(0x77) };
    for (const n of c.nodes) n.node.setKeys([{ id: 1, secret: SECRET }, next], 1);
    c.runMs(50);
    for (const n of c.nodes) n.node.setKeys([{ id: 1, secret: SECRET }, next], 2);
    c.runMs(50);
    for (const n of c.nodes) n.node.setKeys([next], 2);
    const accepted = c.node(1).node.election.counters.accepted;
    c.runMs(200);
    expect(c.node(1).node.election.counters.accepted).toBeGreaterThan(accepted + 10);
    expect(c.node(1).node.election.membership().nodeIds).toEqual([1, 2]);
    expect(c.node(1).node.election.counters.unknownKey).toBe(0);
  });
});

describe('ClusterNode data path details', () => {
  function lonelyNode(raw: { handler?: (ring: Uint8Array, info: RawFrameInfo) => void }) {
    const written: Uint8Array[] = [];
    const sent: Uint8Array[] = [];
    const timers: { at: number; fn: () => void }[] = [];
    let now = 0;
    const node = new ClusterNode({
      nodeId: 1,
      clusterId: 7,
      address: Ipv4Address.parse('10.77.0.11'),
      keys: [{ id: 1, secret: SECRET }],
      sendKeyId: 1,
      flowHashKey: new Uint8Array(16),
      vips: [vip('10.77.0.50')],
      heartbeat: { intervalMs: 10, deadAfter: 3, holdMs: 0, reevaluateMs: 1000, preempt: true },
      metric: { kind: 'load', source: 'connections' },
      flows: { max: 64, idleTimeoutS: 1 },
      segment: {
        mac: nodeMac(1),
        closed: false,
        send: (f) => {
          sent.push(f.slice());
          return true;
        },
        onReceive: () => {},
        onReceiveRaw: (h) => {
          if (h !== undefined) raw.handler = h;
        },
        flush: () => 0,
        close: () => {},
      },
      kernel: {
        mac: 0x02_00_00_00_20_00,
        closed: false,
        send: (f) => {
          written.push(f.slice());
          return true;
        },
        onReceive: () => {},
        close: () => {},
      },
      kernelMac: kernelMac(1),
      clock: {
        now: () => now,
        at: (at, fn) => {
          const t = { at, fn };
          timers.push(t);
          return () => timers.splice(timers.indexOf(t), 1);
        },
      },
      log: recordingLogger([]),
      bootId: 1,
      initialCounter: 1n,
    });
    const advance = (ms: number) => {
      const end = now + ms * 1e6;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const t = timers[0];
        if (t === undefined || t.at > end) break;
        timers.shift();
        now = Math.max(now, t.at);
        t.fn();
      }
      now = end;
    };
    return { node, written, sent, advance };
  }

  const info = (offset: number, length: number, extra: Partial<RawFrameInfo> = {}): RawFrameInfo => ({
    offset,
    length,
    truncated: false,
    checksumNotReady: false,
    ...extra,
  });

  it('completes a checksum-not-ready frame from inside the ring, and drops a truncated one', () => {
    const raw: { handler?: (ring: Uint8Array, info: RawFrameInfo) => void } = {};
    const { node, written, advance } = lonelyNode(raw);
    node.start();
    advance(100);
    expect(node.election.role(IpAddress.v4(VIP))).toBe(Role.ACTIVE);
    const frame = tcpFrame(VIP, 45000, TcpFlag.SYN);
    const good = tcp.decode(ipv4.decode(ethernet.decode(frame).value.payload).value.payload).value;
    const ring = new Uint8Array(frame.length + 64);
    ring.set(frame, 32);
    ring[32 + 14 + 20 + 16] = 0; // the checksum left to the NIC
    ring[32 + 14 + 20 + 17] = 0;
    raw.handler!(ring, info(32, frame.length, { checksumNotReady: true }));
    expect(written).toHaveLength(1);
    expect(node.counters.checksumsCompleted).toBe(1);
    const ip = ipv4.decode(ethernet.decode(written[0]!).value.payload).value;
    // decode verifies the checksum: it would throw on a wrong one.
    expect(
      tcp.decode(ip.payload, 0, ip.payload.length, {
        pseudo: { version: 4, source: ip.source, destination: ip.destination },
      }).value.sourcePort,
    ).toBe(good.sourcePort);
    raw.handler!(ring, info(32, frame.length, { truncated: true }));
    expect(node.counters.truncated).toBe(1);
    expect(written).toHaveLength(1);
  });

  it('announces its load (the number of flows) and sweeps idle flows', () => {
    const raw: { handler?: (ring: Uint8Array, info: RawFrameInfo) => void } = {};
    const { node, advance } = lonelyNode(raw);
    node.start();
    advance(100);
    const frame = tcpFrame(VIP, 46000, TcpFlag.SYN);
    raw.handler!(frame, info(0, frame.length));
    expect(node.dataplane.verdict.code).toBe(VerdictCode.DELIVER);
    expect(node.dataplane.flows.size).toBe(1);
    advance(3000);
    expect(node.dataplane.flows.size).toBe(0);
    expect(node.dataplane.counts[Outcome.DELIVERED_NEW]).toBe(1);
  });

  it('adopts the flows the kernel holds, so a restarted node keeps delivering them', () => {
    const raw: { handler?: (ring: Uint8Array, info: RawFrameInfo) => void } = {};
    const { node, written } = lonelyNode(raw);
    expect(
      node.adopt([FlowKey.ipv4(CLIENT_IP, VIP, 47000, 80, 6), FlowKey.ipv4(CLIENT_IP, VIP2, 47001, 80, 6)]),
    ).toBe(1);
    node.start();
    // Still INIT (not active): a held flow is delivered anyway, a new one is not.
    const ack = tcpFrame(VIP, 47000, TcpFlag.ACK);
    raw.handler!(ack, info(0, ack.length));
    const syn = tcpFrame(VIP, 47002, TcpFlag.SYN);
    raw.handler!(syn, info(0, syn.length));
    expect(written).toHaveLength(1);
    node.close();
    expect(node.stopped).toBe(true);
  });
});
