import { once } from 'node:events';
import { createConnection, createServer } from 'node:net';
import { endianness } from 'node:os';
import { Ipv4Address, Ipv6Address } from '@switchyard/wire';
import { describe, expect, it } from 'vitest';
import { parseProcNetTcp, readKernelConnections, TcpState, vipConnections } from '../src/kernel-sockets.js';

// Lines as a little-endian x86-64 kernel prints them (addresses are the in-memory __be32 as %08X).
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 6400000A:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 6400000A:0050 0A0200C0:9C40 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 20 4 30 10 -1
   2: garbage
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: B80D0120000000000000000001000000:01BB B80D0120000000000000000002000000:C350 06 00000000:00000000 03:00000F8A 00000000     0        0 0 3 0000000000000000
   1: 0000000000000000FFFF00006400000A:0050 0000000000000000FFFF00000A0200C0:9C41 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 20 4 30 10 -1
`;

describe.runIf(endianness() === 'LE')('parseProcNetTcp (little-endian text)', () => {
  it('reads IPv4 sockets with their state, skipping lines it cannot read', () => {
    const sockets = parseProcNetTcp(TCP, 4);
    expect(sockets).toHaveLength(2);
    expect(sockets[1]).toEqual({
      version: 4,
      local: [Ipv4Address.parse('10.0.0.100'), 0, 0, 0],
      localPort: 80,
      remote: [Ipv4Address.parse('192.0.2.10'), 0, 0, 0],
      remotePort: 40000,
      state: TcpState.ESTABLISHED,
    });
    expect(sockets[0]!.state).toBe(TcpState.LISTEN);
  });

  it('reads IPv6 sockets word by word, and IPv4-mapped ones as IPv4', () => {
    const [v6, mapped] = parseProcNetTcp(TCP6, 6);
    const words = (a: bigint) => [0, 1, 2, 3].map((i) => Number((a >> BigInt(96 - 32 * i)) & 0xffffffffn));
    expect(v6).toEqual({
      version: 6,
      local: words(Ipv6Address.parse('2001:db8::1')),
      localPort: 443,
      remote: words(Ipv6Address.parse('2001:db8::2')),
      remotePort: 50000,
      state: TcpState.TIME_WAIT,
    });
    expect(mapped).toMatchObject({
      version: 4,
      local: [Ipv4Address.parse('10.0.0.100'), 0, 0, 0],
      remote: [Ipv4Address.parse('192.0.2.10'), 0, 0, 0],
      remotePort: 40001,
    });
  });
});

describe.runIf(process.platform === 'linux')('readKernelConnections', () => {
  it('finds a real loopback connection in both directions, and not the listener', async () => {
    const server = createServer((socket) => socket.on('error', () => {}));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const client = createConnection(port, '127.0.0.1');
    await once(client, 'connect');
    try {
      const loopback = Ipv4Address.parse('127.0.0.1');
      const mine = readKernelConnections().filter(
        (s) => s.version === 4 && s.local[0] === loopback && (s.localPort === port || s.remotePort === port),
      );
      expect(mine.map((s) => [s.localPort === port, s.state]).sort()).toEqual([
        [false, TcpState.ESTABLISHED],
        [true, TcpState.ESTABLISHED],
      ]);
      const accepted = mine.find((s) => s.localPort === port)!;
      expect(accepted.remotePort).toBe(client.localPort);
    } finally {
      client.destroy();
      server.close();
    }
  });

  it('reads a missing tcp6 file as no sockets', () => {
    expect(readKernelConnections('/nonexistent-proc')).toEqual([]);
  });
});

describe('vipConnections', () => {
  it('turns live sockets on the VIPs into client → VIP keys, IPv4 and IPv6, and skips the rest', () => {
    const vip = Ipv4Address.parse('10.0.0.100');
    const vip6 = Ipv6Address.parse('2001:db8::1');
    const words6 = (a: bigint) =>
      [0, 1, 2, 3].map((i) => Number((a >> BigInt(96 - 32 * i)) & 0xffff_ffffn)) as [
        number,
        number,
        number,
        number,
      ];
    const client = Ipv4Address.parse('192.0.2.10');
    const sockets = [
      {
        version: 4 as const,
        local: [vip, 0, 0, 0] as const,
        localPort: 80,
        remote: [client, 0, 0, 0] as const,
        remotePort: 40000,
        state: TcpState.ESTABLISHED,
      },
      {
        version: 4 as const,
        local: [vip, 0, 0, 0] as const,
        localPort: 80,
        remote: [client, 0, 0, 0] as const,
        remotePort: 40001,
        state: TcpState.TIME_WAIT,
      },
      {
        version: 4 as const,
        local: [client, 0, 0, 0] as const,
        localPort: 22,
        remote: [vip, 0, 0, 0] as const,
        remotePort: 40002,
        state: TcpState.ESTABLISHED,
      },
      {
        version: 6 as const,
        local: words6(vip6),
        localPort: 443,
        remote: words6(vip6 + 5n),
        remotePort: 50000,
        state: TcpState.FIN_WAIT1,
      },
    ];
    const keys = vipConnections(sockets, [{ text: '10.0.0.100' }, { text: '2001:db8::1' }]);
    expect(keys.map((k) => k.toString())).toEqual([
      '192.0.2.10:40000 > 10.0.0.100:80 tcp',
      '[2001:db8::6]:50000 > [2001:db8::1]:443 tcp',
    ]);
  });
});
