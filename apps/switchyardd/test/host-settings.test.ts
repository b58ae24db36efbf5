import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { applyHostSettings, HostSetupError, HostStateFile, planHostSettings } from '../src/host-settings.js';

/** A fake /proc/sys tree with the files the plan touches. */
function fakeProcSys(values: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'switchyardd-sysctl-'));
  for (const [key, value] of Object.entries(values)) {
    mkdirSync(dirname(join(root, key)), { recursive: true });
    writeFileSync(join(root, key), `${value}\n`);
  }
  return root;
}
const read = (root: string, key: string) => readFileSync(join(root, key), 'utf8').trim();

const defaults = {
  'net/ipv4/conf/eth0/arp_ignore': '0',
  'net/ipv4/conf/eth0/arp_announce': '0',
  'net/ipv4/conf/all/rp_filter': '1',
  'net/ipv4/conf/sy0/rp_filter': '1',
  'net/ipv6/conf/sy0/disable_ipv6': '0',
};

describe('host settings', () => {
  const roots: string[] = [];
  afterAll(() => {
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });
  const tree = (values: Record<string, string>) => {
    const root = fakeProcSys(values);
    roots.push(root);
    return root;
  };

  it('plans the settings FIELD-NOTES lists, IPv6 off on the TAP unless IPv6 VIPs are served', () => {
    const keys = planHostSettings({ iface: 'eth0', tap: 'sy0', ipv6Vips: false }).map(
      (s) => `${s.key}=${s.value}`,
    );
    expect(keys).toEqual([
      'net/ipv4/conf/eth0/arp_ignore=1',
      'net/ipv4/conf/eth0/arp_announce=2',
      'net/ipv4/conf/all/rp_filter=2',
      'net/ipv4/conf/sy0/rp_filter=2',
      'net/ipv6/conf/sy0/disable_ipv6=1',
    ]);
    expect(
      planHostSettings({ iface: 'eth0', tap: 'sy0', ipv6Vips: true }).some((s) => s.key.includes('ipv6')),
    ).toBe(false);
  });

  it('applies the plan and restores every previous value', () => {
    const root = tree(defaults);
    const applied = applyHostSettings(planHostSettings({ iface: 'eth0', tap: 'sy0', ipv6Vips: false }), root);
    expect(applied.changed).toHaveLength(5);
    expect(read(root, 'net/ipv4/conf/eth0/arp_ignore')).toBe('1');
    expect(read(root, 'net/ipv4/conf/all/rp_filter')).toBe('2');
    expect(applied.restore()).toEqual([]);
    for (const [key, value] of Object.entries(defaults)) expect(read(root, key)).toBe(value);
  });

  it('leaves acceptable values alone and does not restore them', () => {
    const root = tree({
      ...defaults,
      'net/ipv4/conf/eth0/arp_ignore': '2',
      'net/ipv4/conf/all/rp_filter': '0',
    });
    const applied = applyHostSettings(planHostSettings({ iface: 'eth0', tap: 'sy0', ipv6Vips: true }), root);
    expect(applied.changed.map((c) => c.setting.key)).toEqual([
      'net/ipv4/conf/eth0/arp_announce',
      'net/ipv4/conf/sy0/rp_filter',
    ]);
    expect(read(root, 'net/ipv4/conf/eth0/arp_ignore')).toBe('2');
  });

  it('refuses with the setting and why when one cannot be made, undoing the others', () => {
    const { 'net/ipv4/conf/sy0/rp_filter': _missing, ...rest } = defaults;
    const root = tree(rest);
    let error: unknown;
    try {
      applyHostSettings(planHostSettings({ iface: 'eth0', tap: 'sy0', ipv6Vips: false }), root);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HostSetupError);
    expect((error as Error).message).toMatch(
      /^cannot set net\.ipv4\.conf\.sy0\.rp_filter = 2 \(strict reverse-path/,
    );
    for (const [key, value] of Object.entries(rest)) expect(read(root, key)).toBe(value);
  });
});

const root = process.getuid?.() === 0;
const here = dirname(fileURLToPath(import.meta.url));
const tsx = join(here, '../../../node_modules/.bin/tsx');

describe.skipIf(!root)('host settings in a network namespace (needs root)', () => {
  const ns = `sycfg${process.pid.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });
  afterAll(() => {
    try {
      ip('netns', 'del', ns);
    } catch {
      // already gone
    }
  });

  it('sets the real sysctls in the namespace and restores them', () => {
    ip('netns', 'add', ns);
    ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1');
    ip('-n', ns, 'tuntap', 'add', 'sy0', 'mode', 'tap');
    // Strict reverse-path filtering, as many distributions set it: the plan must loosen it.
    execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/conf/all/rp_filter']);
    const out = execFileSync(
      'ip',
      ['netns', 'exec', ns, tsx, join(here, 'fixtures/apply-host-settings.ts')],
      {
        encoding: 'utf8',
      },
    );
    const [during, after] = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    expect(during).toEqual({
      'net/ipv4/conf/eth0/arp_ignore': '1',
      'net/ipv4/conf/eth0/arp_announce': '2',
      'net/ipv4/conf/all/rp_filter': '2',
      'net/ipv4/conf/sy0/rp_filter': '0', // 0 works: left as it is
      'net/ipv6/conf/sy0/disable_ipv6': '1',
    });
    expect(after).toEqual({
      'net/ipv4/conf/eth0/arp_ignore': '0',
      'net/ipv4/conf/eth0/arp_announce': '0',
      'net/ipv4/conf/all/rp_filter': '1',
      'net/ipv4/conf/sy0/rp_filter': '0',
      'net/ipv6/conf/sy0/disable_ipv6': '0',
    });
  });
});

describe('HostStateFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyardd-state-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the first originals across a crash and a restart, and puts them back at the final stop', () => {
    const root = fakeProcSys(defaults);
    const state = new HostStateFile(join(dir, 'state.json'));
    const plan = planHostSettings({ iface: 'eth0', tap: 'sy0', ipv6Vips: false });
    // First start: everything changes; the originals are recorded.
    state.merge(applyHostSettings(plan, root));
    // "kill -9": nothing restored. The restart finds the settings made and changes nothing...
    const second = applyHostSettings(plan, root);
    expect(second.changed).toHaveLength(0);
    const recorded = state.merge(second);
    // ...but the file still knows the originals.
    expect(recorded.find((r) => r.key === 'net/ipv4/conf/eth0/arp_ignore')?.previous).toBe('0');
    expect(read(root, 'net/ipv4/conf/eth0/arp_announce')).toBe('2');
    expect(state.restore(root)).toEqual([]);
    for (const [key, value] of Object.entries(defaults)) expect(read(root, key)).toBe(value);
    expect(state.read()).toEqual([]);
    rmSync(root, { recursive: true, force: true });
  });

  it('ignores a missing, unreadable or tampered file, and reports a value it cannot write back', () => {
    const path = join(dir, 'tampered.json');
    const state = new HostStateFile(path);
    expect(state.read()).toEqual([]);
    writeFileSync(path, 'not json');
    expect(state.read()).toEqual([]);
    writeFileSync(path, JSON.stringify({ settings: 'no' }));
    expect(state.read()).toEqual([]);
    writeFileSync(
      path,
      JSON.stringify({
        settings: [
          { key: '../../etc/passwd', previous: 'x' },
          { key: 'kernel/panic', previous: '1' },
          { key: 'net/ipv4/conf/eth0/arp_ignore', previous: 7 },
          { key: 'net/ipv4/conf/nope/arp_ignore', previous: '0' },
        ],
      }),
    );
    expect(state.read()).toEqual([{ key: 'net/ipv4/conf/nope/arp_ignore', previous: '0' }]);
    const root = fakeProcSys({});
    const errors = state.restore(join(root, 'missing-dir'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(HostSetupError);
    rmSync(root, { recursive: true, force: true });
  });
});
