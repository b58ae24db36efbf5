import { EtherType, ethernet, IpProtocol, Ipv4Address, ipv4, TcpFlag, tcp } from '@switchyard/wire';
import { describe, expect, it } from 'vitest';
import {
  Duration,
  type LinkConditions,
  Random,
  type SimLink,
  Simulator,
  TcpCloseReason,
  type TcpConnection,
  TcpStack,
  type TcpStackOptions,
  TcpState,
} from '../src/index.js';
import { mac } from './helpers.js';

const CLIENT_IP = Ipv4Address.parse('10.0.0.1');
const SERVER_IP = Ipv4Address.parse('10.0.0.2');

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Client on port 0, server on port 1 of a switch; `conditions` on the client's cable. */
function testbed(seed: number, conditions: LinkConditions = {}, extra: Partial<TcpStackOptions> = {}) {
  const sim = new Simulator({ seed });
  const sw = sim.createSwitch({ ports: 4 });
  const clientLink = sim.attach(sw.port(0), { mac: mac(1), conditions });
  const serverLink = sim.attach(sw.port(1), { mac: mac(2) });
  const arpTable = new Map([
    [CLIENT_IP, mac(1)],
    [SERVER_IP, mac(2)],
  ]);
  const resolve = (ip: number) => arpTable.get(ip);
  const client = new TcpStack({ mac: mac(1), ip: CLIENT_IP, random: sim.random.fork(), resolve, ...extra });
  const server = new TcpStack({ mac: mac(2), ip: SERVER_IP, random: sim.random.fork(), resolve, ...extra });
  sim.host(clientLink, client);
  sim.host(serverLink, server);
  return { sim, sw, client, server, clientLink, serverLink };
}

/** Client sends `data` and closes; the server collects and closes when the client's FIN arrives. */
function transfer(seed: number, data: Uint8Array, conditions: LinkConditions) {
  const bed = testbed(seed, conditions);
  const received: Uint8Array[] = [];
  const events: string[] = [];
  let serverConn: TcpConnection | undefined;
  bed.server.listen(80, (conn) => {
    serverConn = conn;
    return {
      onOpen: () => events.push(`server open @${bed.sim.now}`),
      onData: (_c, bytes) => received.push(bytes.slice()),
      onEnd: (c) => {
        events.push('server end');
        c.close();
      },
      onClose: (_c, reason) => events.push(`server ${reason}`),
    };
  });
  const conn = bed.client.connect(SERVER_IP, 80, {
    onOpen: () => events.push('client open'),
    onEnd: () => events.push('client end'),
    onClose: (_c, reason) => events.push(`client ${reason} @${bed.sim.now}`),
  });
  conn.write(data);
  conn.close();
  bed.sim.runUntilIdle();
  return { ...bed, conn, serverConn, events, received: concat(received) };
}

describe('TcpStack', () => {
  it('transfers 200 KB across a 10 % loss link, byte-identical and deterministic', () => {
    const data = new Random(99).fill(new Uint8Array(200 * 1024));
    const lossy = { loss: 0.1, delayNs: Duration.ms(1), jitterNs: Duration.us(200) };
    const r = transfer(5, data, lossy);
    expect(r.received.length).toBe(data.length);
    expect(Buffer.from(r.received).equals(Buffer.from(data))).toBe(true);
    expect(r.conn.state).toBe(TcpState.CLOSED);
    expect(r.conn.closeReason).toBe(TcpCloseReason.CLOSED);
    expect(r.serverConn?.closeReason).toBe(TcpCloseReason.CLOSED);
    expect(r.clientLink.cable!.stats.lost).toBeGreaterThan(20);
    expect(r.client.counters.retransmitTimeouts).toBeGreaterThan(0);
    expect(r.client.connections).toEqual([]);
    expect(r.server.connections).toEqual([]);
    // Same seed, same story, to the nanosecond.
    const again = transfer(5, data, lossy);
    expect(again.events).toEqual(r.events);
    expect(again.client.counters).toEqual(r.client.counters);
  });

  it('completes the handshake, exchanges data both ways and closes cleanly', () => {
    const bed = testbed(1);
    const log: string[] = [];
    bed.server.listen(7, () => ({
      onData: (c, d) => {
        log.push(`server got ${d.length}`);
        c.write(d); // echo
      },
      onEnd: (c) => c.close(),
      onClose: (_c, r) => log.push(`server ${r}`),
    }));
    let echoed = 0;
    const conn = bed.client.connect(SERVER_IP, 7, {
      onOpen: (c) => {
        log.push('open');
        c.write(new Uint8Array(3000).fill(1));
      },
      onData: (c, d) => {
        echoed += d.length;
        if (echoed === 3000) c.close();
      },
      onEnd: () => log.push('client end'),
      onClose: (_c, r) => log.push(`client ${r}`),
    });
    expect(conn.state).toBe(TcpState.SYN_SENT);
    bed.sim.runFor(Duration.ms(1));
    expect(conn.mss).toBe(1460);
    bed.sim.runUntilIdle();
    expect(echoed).toBe(3000);
    expect(log[0]).toBe('open');
    // The client gets the server's FIN, then the server gets the last ACK; the client leaves TIME-WAIT last.
    expect(log.slice(-3)).toEqual(['client end', 'server closed', 'client closed']);
    expect(conn.bytesAcked).toBe(3000);
    expect(conn.unacknowledged).toBe(0);
  });

  it('negotiates the smaller MSS and segments to it', () => {
    const bed = testbed(1);
    bed.server.options.mss; // default 1460
    const small = new TcpStack({
      mac: mac(3),
      ip: Ipv4Address.parse('10.0.0.3'),
      random: new Random(1),
      mss: 500,
    });
    const link = bed.sim.attach(bed.sw.port(2), { mac: mac(3) });
    bed.sim.host(link, small);
    const sizes: number[] = [];
    bed.server.listen(80, () => ({ onData: (_c, d) => void sizes.push(d.length) }));
    const conn = small.connect(SERVER_IP, 80);
    conn.write(new Uint8Array(1200));
    bed.sim.runUntilIdle();
    expect(conn.mss).toBe(500);
    expect(sizes).toEqual([500, 500, 200]);
  });

  it('answers a SYN to a closed port with RST, and the client reports a reset', () => {
    const bed = testbed(1);
    let reason: string | undefined;
    bed.client.connect(SERVER_IP, 81, {
      onClose: (_c, r) => {
        reason = r;
      },
    });
    bed.sim.runUntilIdle();
    expect(reason).toBe(TcpCloseReason.RESET);
    expect(bed.server.counters.resetsSent).toBe(1);
  });

  it('resets the peer on abort', () => {
    const bed = testbed(1);
    let serverReason: string | undefined;
    bed.server.listen(80, () => ({
      onClose: (_c, r) => {
        serverReason = r;
      },
    }));
    const conn = bed.client.connect(SERVER_IP, 80, { onOpen: (c) => c.abort() });
    bed.sim.runUntilIdle();
    expect(conn.closeReason).toBe(TcpCloseReason.ABORTED);
    expect(serverReason).toBe(TcpCloseReason.RESET);
    conn.abort(); // no-op once closed
    conn.close();
    expect(() => conn.write(new Uint8Array(1))).toThrow(/cannot write/);
  });

  it('gives up after the retransmission limit with exponential backoff', () => {
    const bed = testbed(1, {}, { maxRetransmits: 3, rtoNs: Duration.ms(100) });
    bed.clientLink.cable!.cut();
    let at = -1;
    const conn = bed.client.connect(SERVER_IP, 80, {
      onClose: () => {
        at = bed.sim.now;
      },
    });
    bed.sim.runUntilIdle();
    expect(conn.closeReason).toBe(TcpCloseReason.TIMEOUT);
    expect(at).toBe(Duration.ms(100 + 200 + 400 + 800)); // 3 retransmissions, then give up
    expect(bed.client.counters.retransmitTimeouts).toBe(4);
  });

  it('recovers from a lost SYN-ACK and a lost handshake ACK', () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const bed = testbed(seed, { loss: 0.5 });
      let got = 0;
      bed.server.listen(80, () => ({
        onData: (_c, d) => {
          got += d.length;
        },
        onEnd: (c) => c.close(),
      }));
      const conn = bed.client.connect(SERVER_IP, 80);
      conn.write(new Uint8Array(5000));
      conn.close();
      bed.sim.runUntilIdle();
      expect(got).toBe(5000);
      expect(conn.closeReason).toBe(TcpCloseReason.CLOSED);
    }
  });

  it('closes simultaneously through CLOSING and TIME-WAIT', () => {
    const bed = testbed(1, { delayNs: Duration.ms(5) });
    const states: string[] = [];
    let serverConn: TcpConnection | undefined;
    bed.server.listen(80, (c) => {
      serverConn = c;
      return { onClose: (_c, r) => states.push(`server ${r}`) };
    });
    const conn = bed.client.connect(SERVER_IP, 80, { onClose: (_c, r) => states.push(`client ${r}`) });
    bed.sim.runFor(Duration.ms(50));
    conn.close();
    serverConn!.close();
    bed.sim.runFor(Duration.ms(7));
    expect(conn.state).toBe(TcpState.CLOSING);
    bed.sim.runFor(Duration.ms(10));
    expect(conn.state).toBe(TcpState.TIME_WAIT);
    bed.sim.runUntilIdle();
    expect(states.sort()).toEqual(['client closed', 'server closed']);
  });

  it('drops segments with a bad checksum and out-of-order data, and ignores foreign traffic', () => {
    const bed = testbed(1);
    let got = 0;
    bed.server.listen(80, () => ({
      onData: (_c, d) => {
        got += d.length;
      },
    }));
    const conn = bed.client.connect(SERVER_IP, 80);
    bed.sim.runUntilIdle();
    const seg = (seq: number, payload: Uint8Array, corrupt = false, dst = SERVER_IP) => {
      const t = tcp.encode(
        {
          sourcePort: conn.localPort,
          destinationPort: 80,
          seq,
          ack: conn.rcvNxt,
          flags: TcpFlag.ACK,
          window: 65535,
          urgentPointer: 0,
          options: [],
          payload,
        },
        undefined,
        0,
        { pseudo: { version: 4, source: CLIENT_IP, destination: dst } },
      );
      if (corrupt) t[t.length - 1]! ^= 0xff;
      const ip = ipv4.encode({
        dscp: 0,
        ecn: 0,
        identification: 1,
        dontFragment: true,
        moreFragments: false,
        fragmentOffset: 0,
        ttl: 64,
        protocol: IpProtocol.TCP,
        source: CLIENT_IP,
        destination: dst,
        options: new Uint8Array(0),
        payload: t,
      });
      return ethernet.encode({
        destination: mac(2),
        source: mac(1),
        tags: [],
        etherType: EtherType.IPv4,
        payload: ip,
      });
    };
    bed.clientLink.send(seg(conn.sndNxt, new Uint8Array(10).fill(1), true));
    bed.clientLink.send(seg((conn.sndNxt + 100) >>> 0, new Uint8Array(10)));
    bed.clientLink.send(seg(conn.sndNxt, new Uint8Array(10), false, Ipv4Address.parse('10.0.0.9')));
    bed.clientLink.send(
      ethernet.encode({
        destination: mac(2),
        source: mac(1),
        tags: [],
        etherType: EtherType.ARP,
        payload: new Uint8Array(28),
      }),
    );
    bed.sim.runUntilIdle();
    expect(bed.server.counters.badChecksums).toBe(1);
    expect(bed.server.counters.outOfOrder).toBe(1);
    expect(got).toBe(0);
  });

  it('sends RST for an ACK to no connection and for a stray segment without ACK', () => {
    const bed = testbed(1);
    const seen: number[] = [];
    bed.clientLink.onReceive((f) => seen.push(f[14 + 20 + 13]!));
    const probe = (flags: number) => {
      const t = tcp.encode(
        {
          sourcePort: 1234,
          destinationPort: 99,
          seq: 5,
          ack: 77,
          flags,
          window: 100,
          urgentPointer: 0,
          options: [],
          payload: new Uint8Array(3),
        },
        undefined,
        0,
        { pseudo: { version: 4, source: CLIENT_IP, destination: SERVER_IP } },
      );
      const ip = ipv4.encode({
        dscp: 0,
        ecn: 0,
        identification: 1,
        dontFragment: true,
        moreFragments: false,
        fragmentOffset: 0,
        ttl: 64,
        protocol: IpProtocol.TCP,
        source: CLIENT_IP,
        destination: SERVER_IP,
        options: new Uint8Array(0),
        payload: t,
      });
      bed.clientLink.send(
        ethernet.encode({
          destination: mac(2),
          source: mac(1),
          tags: [],
          etherType: EtherType.IPv4,
          payload: ip,
        }),
      );
    };
    probe(TcpFlag.ACK);
    probe(TcpFlag.FIN);
    probe(TcpFlag.RST); // never answered
    bed.sim.runUntilIdle();
    expect(seen).toEqual([TcpFlag.RST, TcpFlag.RST | TcpFlag.ACK]);
  });

  it('uses distinct ephemeral ports, refuses a port in use, and validates options', () => {
    const bed = testbed(1);
    const a = bed.client.connect(SERVER_IP, 80);
    const b = bed.client.connect(SERVER_IP, 80);
    expect(a.localPort).not.toBe(b.localPort);
    expect(() => bed.client.connect(SERVER_IP, 80, {}, a.localPort)).toThrow(/in use/);
    expect(bed.client.mac).toBe(mac(1));
    expect(bed.client.ip).toBe(CLIENT_IP);
    b.close(); // closing in SYN-SENT just forgets it
    expect(b.state).toBe(TcpState.CLOSED);
    bed.server.listen(80, () => ({}));
    bed.server.unlisten(80);
    bed.sim.runUntilIdle();
    expect(a.closeReason).toBe(TcpCloseReason.RESET);
    expect(() => new TcpStack({ mac: 1, ip: 1, random: new Random(1), mss: 0 })).toThrow(/mss/);
    expect(() => new TcpStack({ mac: 1, ip: 1, random: new Random(1), window: 70000 })).toThrow(/window/);
  });

  it('sends to the broadcast MAC when it cannot resolve the peer', () => {
    const sim = new Simulator({ seed: 1 });
    const sw = sim.createSwitch({ ports: 3 });
    const links: SimLink[] = [0, 1, 2].map((i) => sim.attach(sw.port(i), { mac: mac(i + 1) }));
    const client = new TcpStack({ mac: mac(1), ip: CLIENT_IP, random: new Random(1) });
    const server = new TcpStack({ mac: mac(2), ip: SERVER_IP, random: new Random(2) });
    sim.host(links[0]!, client);
    sim.host(links[1]!, server);
    let bystander = 0;
    links[2]!.onReceive(() => bystander++);
    let open = false;
    server.listen(80, () => ({
      onOpen: () => {
        open = true;
      },
    }));
    client.connect(SERVER_IP, 80);
    sim.runUntilIdle();
    expect(open).toBe(true);
    expect(bystander).toBeGreaterThan(0); // the broadcast SYN was flooded
  });
});
