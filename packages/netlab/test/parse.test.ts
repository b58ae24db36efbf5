import { describe, expect, it } from 'vitest';
import { NetlabError, NetlabErrorCode } from '../src/errors.js';
import { parseFdb, parseInterfaces, parseNeighbors, parseNftCounters } from '../src/parse.js';

function malformed(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(NetlabError);
    expect((e as NetlabError).code).toBe(NetlabErrorCode.MALFORMED_OUTPUT);
    return;
  }
  expect.unreachable('no error');
}

// Captured from `bridge -j fdb show br seg` (iproute2 6.1) on a two-host lab.
const FDB = JSON.stringify([
  { mac: '33:33:00:00:00:01', ifname: 'seg', flags: ['self'], state: 'permanent' },
  { mac: '02:00:00:00:00:0A', ifname: 'a-eth0', flags: [], master: 'seg', state: '' },
  { mac: 'f2:64:c5:10:9a:00', ifname: 'a-eth0', flags: [], master: 'seg', state: 'permanent' },
  { mac: 'ca:23:cc:f4:5f:7f', ifname: 'b-eth0', flags: [], master: 'seg', state: 'stale', vlan: 10 },
  { mac: '02:00:00:00:00:0c', ifname: 'b-eth0', master: 'seg', state: 'static' },
]);

describe('parseFdb', () => {
  it('reads learned, permanent, static and self entries', () => {
    const e = parseFdb(FDB);
    expect(e.map((x) => [x.mac, x.port, x.learned, x.self])).toEqual([
      ['33:33:00:00:00:01', 'seg', false, true],
      ['02:00:00:00:00:0a', 'a-eth0', true, false],
      ['f2:64:c5:10:9a:00', 'a-eth0', false, false],
      ['ca:23:cc:f4:5f:7f', 'b-eth0', true, false],
      ['02:00:00:00:00:0c', 'b-eth0', false, false],
    ]);
    expect(e[3]).toMatchObject({ vlan: 10, master: 'seg', state: 'stale' });
    expect(e[0]).not.toHaveProperty('master');
  });
  it('treats empty output as an empty table', () => expect(parseFdb('\n')).toEqual([]));
  it('refuses what it cannot read', () => {
    malformed(() => parseFdb('not json'));
    malformed(() => parseFdb('{}'));
    malformed(() => parseFdb('[1]'));
    malformed(() => parseFdb('[{"ifname":"x"}]'));
    malformed(() => parseFdb('[{"mac":"02:00:00:00:00:01","ifname":"x","flags":"self"}]'));
    malformed(() => parseFdb('[{"mac":"02:00:00:00:00:01","ifname":"x","vlan":"1"}]'));
  });
});

describe('parseNeighbors', () => {
  it('reads resolved, unresolved and router entries', () => {
    const n = parseNeighbors(
      JSON.stringify([
        { dst: '10.1.0.2', dev: 'eth0', lladdr: 'CA:23:CC:F4:5F:7F', state: ['REACHABLE'] },
        { dst: '10.1.0.9', dev: 'eth0', state: ['FAILED'] },
        { dst: 'fe80::1', dev: 'eth0', lladdr: '02:00:00:00:00:01', router: null, state: ['STALE'] },
      ]),
    );
    expect(n).toEqual([
      { address: '10.1.0.2', ifname: 'eth0', mac: 'ca:23:cc:f4:5f:7f', state: ['REACHABLE'], router: false },
      { address: '10.1.0.9', ifname: 'eth0', mac: null, state: ['FAILED'], router: false },
      { address: 'fe80::1', ifname: 'eth0', mac: '02:00:00:00:00:01', state: ['STALE'], router: true },
    ]);
  });
  it('refuses entries without dst', () => malformed(() => parseNeighbors('[{"dev":"eth0"}]')));
});

describe('parseInterfaces', () => {
  it('reads name, index, mac, mtu, state and addresses', () => {
    const [i] = parseInterfaces(
      JSON.stringify([
        {
          ifindex: 2,
          ifname: 'eth0',
          flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
          mtu: 1500,
          operstate: 'UP',
          address: '02:00:00:00:00:0A',
          addr_info: [
            { family: 'inet', local: '10.1.0.1', prefixlen: 24 },
            { family: 'inet6', local: 'fe80::1', prefixlen: 64 },
          ],
        },
        { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK'], mtu: 65536 },
      ]),
    );
    expect(i).toEqual({
      name: 'eth0',
      ifindex: 2,
      mac: '02:00:00:00:00:0a',
      mtu: 1500,
      up: true,
      operstate: 'UP',
      addresses: ['10.1.0.1/24', 'fe80::1/64'],
    });
    expect(parseInterfaces('[{"ifindex":1,"ifname":"lo","mtu":65536}]')[0]).toMatchObject({
      up: false,
      operstate: 'UNKNOWN',
      mac: '',
      addresses: [],
    });
  });
  it('refuses malformed address lists', () => {
    malformed(() => parseInterfaces('[{"ifindex":1,"ifname":"lo","mtu":1,"addr_info":{}}]'));
    malformed(() => parseInterfaces('[{"ifindex":1,"ifname":"lo","mtu":1,"addr_info":[5]}]'));
    malformed(() => parseInterfaces('[{"ifindex":"1","ifname":"lo","mtu":1}]'));
  });
});

describe('parseNftCounters', () => {
  it('sums counters per chain', () => {
    const text = JSON.stringify({
      nftables: [
        { metainfo: { version: '1.0.6' } },
        { table: { family: 'netdev', name: 't' } },
        {
          rule: {
            chain: 'ingress',
            expr: [{ match: {} }, { counter: { packets: 21, bytes: 1748 } }, { drop: null }],
          },
        },
        { rule: { chain: 'ingress', expr: [{ counter: { packets: 2, bytes: 1 } }] } },
        { rule: { chain: 'egress', expr: [{ drop: null }] } },
      ],
    });
    expect([...parseNftCounters(text)]).toEqual([['ingress', 23]]);
  });
  it('refuses other shapes', () => {
    malformed(() => parseNftCounters('x'));
    malformed(() => parseNftCounters('[]'));
    malformed(() => parseNftCounters('{"nftables":[{"rule":{"chain":"c"}}]}'));
    malformed(() => parseNftCounters('{"nftables":[{"rule":{"chain":"c","expr":[{"counter":{}}]}}]}'));
  });
});
