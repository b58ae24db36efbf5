import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NetlabError, NetlabErrorCode } from '../src/errors.js';
import { type LabSpec, MAX_INTERFACES_PER_HOST, MAX_NODES, planLab } from '../src/spec.js';

const P = 'sy1a_abcd';

function code(spec: LabSpec, prefix = P): string | undefined {
  try {
    planLab(spec, prefix);
  } catch (e) {
    expect(e).toBeInstanceOf(NetlabError);
    return (e as NetlabError).code;
  }
  return undefined;
}

const twoHosts: LabSpec = {
  bridges: [{ name: 'seg', ageingTimeSeconds: 30 }],
  hosts: [
    {
      name: 'client',
      links: [{ bridge: 'seg', address: '10.1.0.10/24', mac: '02:00:00:00:00:0A' }],
      routes: [{ to: 'default', via: '10.1.0.1' }],
      sysctls: { 'net.ipv4.conf.all.arp_ignore': 1, 'net.ipv4.conf.eth0.arp_announce': 2 },
    },
    { name: 'server', links: [{ bridge: 'seg', address: ['10.1.0.20/24', 'fd00::20/64'] }], ipv6: true },
  ],
};

describe('planLab', () => {
  it('builds a two-host bridge lab in a fixed order', () => {
    const plan = planLab(twoHosts, P);
    expect(plan.nodes.map((n) => [n.name, n.kind, n.namespace])).toEqual([
      ['seg', 'bridge', `${P}-seg`],
      ['client', 'host', `${P}-client`],
      ['server', 'host', `${P}-server`],
    ]);
    const lines = plan.steps.map((s) => s.argv.join(' '));
    expect(lines).toEqual([
      `ip netns add ${P}-seg`,
      `ip netns add ${P}-client`,
      `ip netns add ${P}-server`,
      `ip -n ${P}-seg link set dev lo up`,
      `ip -n ${P}-client link set dev lo up`,
      `ip -n ${P}-server link set dev lo up`,
      `ip netns exec ${P}-seg sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1`,
      `ip netns exec ${P}-client sysctl -q -w net.ipv4.conf.all.arp_ignore=1`,
      `ip -n ${P}-seg link add seg type bridge ageing_time 3000`,
      `ip -n ${P}-seg link set dev seg up`,
      `ip -n ${P}-client link add eth0 address 02:00:00:00:00:0a type veth peer name client-eth0 netns ${P}-seg`,
      `ip -n ${P}-seg link set dev client-eth0 master seg up`,
      `ip -n ${P}-server link add eth0 type veth peer name server-eth0 netns ${P}-seg`,
      `ip -n ${P}-seg link set dev server-eth0 master seg up`,
      `ip -n ${P}-client addr add 10.1.0.10/24 dev eth0`,
      `ip -n ${P}-server addr add 10.1.0.20/24 dev eth0`,
      `ip -n ${P}-server addr add fd00::20/64 dev eth0 nodad`,
      `ip netns exec ${P}-client sysctl -q -w net.ipv4.conf.eth0.arp_announce=2`,
      `ip -n ${P}-client link set dev eth0 up`,
      `ip -n ${P}-server link set dev eth0 up`,
      `ip -n ${P}-client -4 route add default via 10.1.0.1`,
    ]);
    expect(plan.steps.filter((s) => s.creates !== undefined).map((s) => s.creates)).toEqual(
      plan.nodes.map((n) => n.namespace),
    );
    expect(plan.interfaces).toEqual([
      {
        host: 'client',
        name: 'eth0',
        kind: 'bridge-link',
        bridge: 'seg',
        port: 'client-eth0',
        mac: '02:00:00:00:00:0a',
        addresses: ['10.1.0.10/24'],
      },
      {
        host: 'server',
        name: 'eth0',
        kind: 'bridge-link',
        bridge: 'seg',
        port: 'server-eth0',
        addresses: ['10.1.0.20/24', 'fd00::20/64'],
      },
    ]);
  });

  it('plans direct veths, ipv6 off, vlan filtering, v6 routes, mtu and links left down', () => {
    const plan = planLab(
      {
        bridges: [{ name: 'br', vlanFiltering: true }],
        hosts: [
          {
            name: 'a',
            ipv6: false,
            links: [{ bridge: 'br', name: 'lan', port: 'pa', mtu: 9000, up: false }],
          },
          { name: 'b', routes: [{ to: 'default', via: 'fd01::1', dev: 'p2p', metric: 10, src: 'fd01::2' }] },
        ],
        veths: [
          {
            a: { host: 'a', address: 'fd01::1/64', mac: '02:00:00:00:01:01', up: false },
            b: { host: 'b', name: 'p2p', address: 'fd01::2/64', mac: '02:00:00:00:01:02' },
            mtu: 1400,
          },
        ],
      },
      P,
    );
    const lines = plan.steps.map((s) => s.argv.join(' '));
    expect(lines).toContain(
      `ip netns exec ${P}-a sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1`,
    );
    expect(lines).toContain(`ip -n ${P}-br link add br type bridge vlan_filtering 1`);
    expect(lines).toContain(
      `ip -n ${P}-a link add lan mtu 9000 type veth peer name pa mtu 9000 netns ${P}-br`,
    );
    expect(lines).toContain(
      `ip -n ${P}-a link add eth0 address 02:00:00:00:01:01 mtu 1400 type veth peer name p2p address 02:00:00:00:01:02 mtu 1400 netns ${P}-b`,
    );
    expect(lines).toContain(`ip -n ${P}-b -6 route add default via fd01::1 dev p2p src fd01::2 metric 10`);
    expect(lines).toContain(`ip -n ${P}-b link set dev p2p up`);
    expect(lines).not.toContain(`ip -n ${P}-a link set dev lan up`);
    expect(lines).not.toContain(`ip -n ${P}-a link set dev eth0 up`);
    expect(plan.interfaces.find((i) => i.name === 'p2p')?.peer).toEqual({ host: 'a', name: 'eth0' });
  });

  it('names default interfaces eth0, eth1, ... per host, skipping names taken explicitly', () => {
    const plan = planLab(
      {
        bridges: [{ name: 's1' }, { name: 's2' }],
        hosts: [{ name: 'h', links: [{ bridge: 's1', name: 'eth0' }, { bridge: 's2' }] }, { name: 'g' }],
        veths: [{ a: { host: 'h' }, b: { host: 'g' } }],
      },
      P,
    );
    expect(plan.interfaces.map((i) => `${i.host}:${i.name}`)).toEqual([
      'h:eth0',
      'h:eth1',
      'h:eth2',
      'g:eth0',
    ]);
  });

  it('rejects what cannot be built, with typed errors', () => {
    const I = NetlabErrorCode.INVALID_ARGUMENT;
    const L = NetlabErrorCode.NAME_TOO_LONG;
    const cases: Array<[string, LabSpec, string]> = [
      ['no hosts', { hosts: [] }, I],
      ['hosts not an array', { hosts: 'x' } as unknown as LabSpec, I],
      ['duplicate host', { hosts: [{ name: 'a' }, { name: 'a' }] }, I],
      ['host and bridge share a name', { bridges: [{ name: 'a' }], hosts: [{ name: 'a' }] }, I],
      ['bad host name', { hosts: [{ name: 'A!' }] }, I],
      ['long host name', { hosts: [{ name: 'averylonghost' }] }, L],
      ['unknown bridge', { hosts: [{ name: 'a', links: [{ bridge: 'nope' }] }] }, I],
      [
        'long interface name',
        { bridges: [{ name: 's' }], hosts: [{ name: 'a', links: [{ bridge: 's', name: 'x'.repeat(16) }] }] },
        L,
      ],
      [
        'default port name too long',
        {
          bridges: [{ name: 's' }],
          hosts: [{ name: 'abcdefghij', links: [{ bridge: 's', name: 'enp0s31f6' }] }],
        },
        L,
      ],
      [
        'duplicate interface',
        {
          bridges: [{ name: 's' }],
          hosts: [{ name: 'a', links: [{ bridge: 's' }, { bridge: 's', name: 'eth0' }] }],
        },
        I,
      ],
      [
        'duplicate port',
        {
          bridges: [{ name: 's' }],
          hosts: [
            { name: 'a', links: [{ bridge: 's', port: 'p' }] },
            { name: 'b', links: [{ bridge: 's', port: 'p' }] },
          ],
        },
        I,
      ],
      [
        'port named like the bridge',
        { bridges: [{ name: 's' }], hosts: [{ name: 'a', links: [{ bridge: 's', port: 's' }] }] },
        I,
      ],
      [
        'multicast mac',
        {
          bridges: [{ name: 's' }],
          hosts: [{ name: 'a', links: [{ bridge: 's', mac: '01:00:5e:00:00:01' }] }],
        },
        I,
      ],
      [
        'bad address',
        { bridges: [{ name: 's' }], hosts: [{ name: 'a', links: [{ bridge: 's', address: '10.0.0.1' }] }] },
        I,
      ],
      ['bad mtu', { bridges: [{ name: 's' }], hosts: [{ name: 'a', links: [{ bridge: 's', mtu: 67 }] }] }, I],
      ['bad ageing', { bridges: [{ name: 's', ageingTimeSeconds: -1 }], hosts: [{ name: 'a' }] }, I],
      [
        'veth to unknown host',
        { hosts: [{ name: 'a' }], veths: [{ a: { host: 'a' }, b: { host: 'z' } }] },
        I,
      ],
      ['veth without ends', { hosts: [{ name: 'a' }], veths: [{} as never] }, I],
      [
        'veth bad mtu',
        {
          hosts: [{ name: 'a' }, { name: 'b' }],
          veths: [{ a: { host: 'a' }, b: { host: 'b' }, mtu: 70000 }],
        },
        I,
      ],
      ['route without via or dev', { hosts: [{ name: 'a', routes: [{ to: '10.0.0.0/8' }] }] }, I],
      [
        'route mixing families',
        { hosts: [{ name: 'a', routes: [{ to: '10.0.0.0/8', via: 'fd00::1' }] }] },
        I,
      ],
      ['route dev unknown', { hosts: [{ name: 'a', routes: [{ to: '10.0.0.1', dev: 'eth9' }] }] }, I],
      ['route bad metric', { hosts: [{ name: 'a', routes: [{ to: 'default', dev: 'lo', metric: -1 }] }] }, I],
      ['route bad src', { hosts: [{ name: 'a', routes: [{ to: 'default', dev: 'lo', src: 'x' }] }] }, I],
      [
        'route to not a string',
        { hosts: [{ name: 'a', routes: [{ to: 5 as unknown as string, dev: 'lo' }] }] },
        I,
      ],
      ['sysctl injection', { hosts: [{ name: 'a', sysctls: { '-p': '1' } }] }, I],
      ['too many nodes', { hosts: Array.from({ length: MAX_NODES + 1 }, (_, i) => ({ name: `h${i}` })) }, I],
      [
        'too many interfaces',
        {
          bridges: [{ name: 's' }],
          hosts: [
            {
              name: 'a',
              links: Array.from({ length: MAX_INTERFACES_PER_HOST + 1 }, () => ({ bridge: 's' })),
            },
          ],
        },
        I,
      ],
    ];
    for (const [what, spec, expected] of cases) expect([what, code(spec)]).toEqual([what, expected]);
    expect(code(twoHosts, 'not-a-prefix')).toBe(I);
  });

  it('never plans a command outside the lab namespaces (property)', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9]{0,3}$/);
    const spec = fc
      .record({
        bridges: fc.uniqueArray(name, { maxLength: 3 }),
        hosts: fc.uniqueArray(name, { minLength: 1, maxLength: 4 }),
        links: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { maxLength: 6 }),
        veths: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 3 }),
      })
      .map(({ bridges, hosts, links, veths }): LabSpec => {
        const hs = hosts.filter((h) => !bridges.includes(h));
        const hostList = hs.length > 0 ? hs : ['zz'];
        return {
          bridges: bridges.map((b) => ({ name: b })),
          hosts: hostList.map((h, i) => ({
            name: h,
            links:
              bridges.length === 0
                ? []
                : links
                    .filter(([hi]) => hi % hostList.length === i)
                    .map(([, bi, addr], k) => ({
                      bridge: bridges[bi % bridges.length]!,
                      ...(addr ? { address: `10.${i}.${k}.1/24` } : {}),
                    })),
          })),
          veths: veths.map(([x, y]) => ({
            a: { host: hostList[x % hostList.length]! },
            b: { host: hostList[y % hostList.length]! },
          })),
        };
      });
    fc.assert(
      fc.property(spec, (s) => {
        const plan = planLab(s, P);
        const ours = new Set(plan.nodes.map((n) => n.namespace));
        for (const { argv } of plan.steps) {
          expect(argv[0]).toBe('ip');
          // Every command names one of the lab's namespaces as its target: -n NS, netns add/exec NS.
          const target = argv[1] === '-n' ? argv[2] : argv[1] === 'netns' ? argv[3] : undefined;
          expect(ours.has(target!)).toBe(true);
          // A veth's peer end is placed into a lab namespace too.
          const i = argv.indexOf('netns', 2);
          if (argv.includes('veth')) expect(ours.has(argv[i + 1]!)).toBe(true);
          for (const a of argv)
            expect(Buffer.byteLength(a) <= 15 || a.startsWith(P) || a.includes('=')).toBe(true);
        }
      }),
      { seed: 42, numRuns: 100 },
    );
  });
});
