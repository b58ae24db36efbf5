import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ipv4Address, Ipv6Address, MacAddress } from '@switchyard/wire';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, configJsonSchema, derivedVirtualMac, loadConfig, parseConfig } from '../src/config.js';

const SECRET = '00112233445566778899aabbccddeeff';

const minimal = `
interface: eth0
node: { id: 1 }
cluster:
  id: 7
  keys: [{ id: 1, secret: "${SECRET}" }]
vips:
  - address: 10.0.0.100
`;

function issuesOf(text: string, format: 'yaml' | 'json' = 'yaml') {
  try {
    parseConfig(text, { format });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('fills every default and resolves addresses, keys and the derived vMAC', () => {
    const config = parseConfig(minimal);
    expect(config.interface).toBe('eth0');
    expect(config.heartbeat).toEqual({
      intervalMs: 50,
      deadAfter: 3,
      holdMs: 1000,
      reevaluateMs: 5000,
      preempt: true,
    });
    expect(config.metric).toEqual({ kind: 'priority', priority: 100 });
    expect(config.tap.name).toBe('sy0');
    expect(config.flows).toEqual({ max: 1_048_576, idleTimeoutS: 300 });
    expect(config.admin.socket).toBe('/run/switchyard/admin.sock');
    expect(config.cluster.sendKeyId).toBe(1);
    expect(Buffer.from(config.cluster.keys[0]!.secret).toString('hex')).toBe(SECRET);
    const vip = config.vips[0]!;
    expect(vip).toMatchObject({
      family: 4,
      address: Ipv4Address.parse('10.0.0.100'),
      policy: 'active-passive',
    });
    expect(vip.nonSyn).toBe('sticky');
    expect(MacAddress.format(vip.mac)).toBe('02:53:59:00:00:07');
  });

  it('derives a locally administered unicast vMAC from the cluster id', () => {
    const mac = derivedVirtualMac(0x1234);
    expect(MacAddress.format(mac)).toBe('02:53:59:00:12:34');
    expect(MacAddress.isLocallyAdministered(mac)).toBe(true);
    expect(MacAddress.isMulticast(mac)).toBe(false);
  });

  it('reads JSON as well as YAML, and an IPv6 VIP in canonical form', () => {
    const config = parseConfig(
      JSON.stringify({
        interface: 'eth0',
        node: { id: 2, address: '10.0.0.2', mac: '02:00:00:00:00:02' },
        cluster: { id: 7, keys: [{ id: 3, secret: SECRET }] },
        vips: [{ address: '2001:DB8:0:0::1', policy: 'rendezvous', ports: [80, 443] }],
      }),
      { format: 'json' },
    );
    expect(config.vips[0]).toMatchObject({ family: 6, text: '2001:db8::1', ports: [80, 443] });
    expect(config.vips[0]!.address).toBe(Ipv6Address.parse('2001:db8::1'));
    expect(config.node.address).toBe(Ipv4Address.parse('10.0.0.2'));
  });

  it.each([
    ['a missing field', 'interface: eth0\nnode: { id: 1 }\nvips: [{ address: 10.0.0.1 }]', '/cluster'],
    ['a bad VIP address', minimal.replace('10.0.0.100', '10.0.0.300'), '/vips/0/address'],
    ['an unknown field', `${minimal}\nbogus: 1\n`, '/bogus'],
    [
      'an unknown policy',
      minimal.replace('- address: 10.0.0.100', '- { address: 10.0.0.100, policy: hashy }'),
      '/vips/0/policy',
    ],
    ['a short secret', minimal.replace(SECRET, 'abcd'), '/cluster/keys/0/secret'],
    ['a node id of 0', minimal.replace('id: 1 }', 'id: 0 }'), '/node/id'],
    ['a long interface name', minimal.replace('eth0', 'a-very-long-interface'), '/interface'],
    ['a heartbeat of 0 ms', `${minimal}\nheartbeat: { intervalMs: 0 }\n`, '/heartbeat/intervalMs'],
    [
      'a multicast vMAC',
      minimal.replace('- address: 10.0.0.100', '- { address: 10.0.0.100, mac: "01:00:5e:00:00:01" }'),
      '/vips/0/mac',
    ],
    ['a duplicate VIP', `${minimal}  - address: 10.0.0.100\n`, '/vips/1/address'],
    ['a send key it does not hold', minimal.replace('keys:', 'sendKeyId: 9\n  keys:'), '/cluster/sendKeyId'],
    ['a TAP named like the interface', `${minimal}\ntap: { name: eth0 }\n`, '/tap/name'],
    [
      'both secret and secretFile',
      minimal.replace(`secret: "${SECRET}"`, `secret: "${SECRET}", secretFile: k`),
      '/cluster/keys/0',
    ],
  ])('refuses %s with the path of the offending field', (_name, text, path) => {
    const issues = issuesOf(text);
    expect(issues.map((i) => i.path)).toContain(path);
    for (const issue of issues) expect(issue.message.length).toBeGreaterThan(0);
  });

  it('says what was expected in words, not schema jargon, for address fields', () => {
    const [issue] = issuesOf(minimal.replace('10.0.0.100', 'not-an-ip'));
    expect(issue).toEqual({ path: '/vips/0/address', message: 'expected an IPv4 or IPv6 address' });
  });

  it('reports every offending field at once', () => {
    const issues = issuesOf(
      minimal.replace('10.0.0.100', 'x').replace('eth0', '').replace('id: 7', 'id: -1'),
    );
    expect(issues.map((i) => i.path).sort()).toEqual(['/cluster/id', '/interface', '/vips/0/address']);
  });

  it('refuses text that is not YAML, or duplicate keys, with a line number', () => {
    expect(issuesOf('interface: [eth0\n')[0]!.message).toMatch(/not valid YAML at line \d+/);
    expect(issuesOf('interface: eth0\ninterface: eth1\n')[0]!.message).toMatch(/not valid YAML/);
    expect(issuesOf('{', 'json')[0]!.message).toMatch(/not valid JSON/);
  });

  it('names the source in the message', () => {
    expect(() => parseConfig('interface: 1', { source: '/etc/switchyard.yaml' })).toThrow(
      /^\/etc\/switchyard\.yaml: invalid configuration\n {2}\//,
    );
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyardd-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a secret from a file relative to the config', () => {
    writeFileSync(join(dir, 'cluster.key'), `${SECRET}\n`);
    const path = join(dir, 'node.yaml');
    writeFileSync(path, minimal.replace(`secret: "${SECRET}"`, 'secretFile: cluster.key'));
    expect(Buffer.from(loadConfig(path).cluster.keys[0]!.secret).toString('hex')).toBe(SECRET);
  });

  it('names a missing or bad secret file by its field', () => {
    const path = join(dir, 'missing.yaml');
    writeFileSync(path, minimal.replace(`secret: "${SECRET}"`, 'secretFile: nope.key'));
    expect(() => loadConfig(path)).toThrow(/\/cluster\/keys\/0\/secretFile: cannot read/);
    writeFileSync(join(dir, 'short.key'), 'abcd');
    writeFileSync(path, minimal.replace(`secret: "${SECRET}"`, 'secretFile: short.key'));
    expect(() => loadConfig(path)).toThrow(/secretFile: expected at least 16 bytes in hex/);
  });

  it('reads .json files as JSON and refuses a missing file', () => {
    const path = join(dir, 'node.json');
    writeFileSync(path, JSON.stringify({ ...parseRaw(), vips: [{ address: '10.9.9.9' }] }));
    expect(loadConfig(path).vips[0]!.text).toBe('10.9.9.9');
    expect(() => loadConfig(join(dir, 'absent.yaml'))).toThrow(ConfigError);
  });
});

describe('configJsonSchema', () => {
  it('is plain JSON Schema with the formats and limits the loader enforces', () => {
    const schema = configJsonSchema() as {
      properties: Record<string, { format?: string }>;
      required: string[];
    };
    expect(schema.required).toEqual(expect.arrayContaining(['interface', 'node', 'cluster', 'vips']));
    expect(schema.properties['interface']!.format).toBe('ifname');
    expect(JSON.stringify(schema)).not.toMatch(/Symbol/);
  });
});

function parseRaw() {
  return { interface: 'eth0', node: { id: 1 }, cluster: { id: 7, keys: [{ id: 1, secret: SECRET }] } };
}
