import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adminGet, formatStatus, type Status, startAdmin } from '../src/admin.js';
import { main } from '../src/cli.js';
import { MetricsRegistry } from '../src/metrics.js';

const status: Status = {
  node: { id: 2, address: '10.0.0.12', mac: '02:00:00:00:00:12' },
  cluster: 7,
  uptimeS: 42,
  members: [
    { id: 1, address: '10.0.0.11', self: false },
    { id: 2, address: '10.0.0.12', self: true },
  ],
  vips: [
    { address: '10.0.0.100', policy: 'active-passive', role: 'active', active: 2 },
    { address: '10.0.0.101', policy: 'rendezvous', role: 'member', active: null },
  ],
  flows: { size: 3, capacity: 1024 },
  counters: { rx_frames: 10, drops_malformed: 0 },
};

describe('admin API', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyardd-admin-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves /status and /metrics on a 0600 Unix socket, and the CLI prints them', async () => {
    const socket = join(dir, 'run', 'admin.sock');
    const metrics = new MetricsRegistry();
    metrics.value('switchyard_flows', 'gauge', 'Flows held.', () => 3);
    const admin = await startAdmin({ socket, status: () => status, metrics });
    try {
      expect(statSync(socket).mode & 0o777).toBe(0o600);
      expect(JSON.parse(await adminGet(socket, '/status'))).toEqual(status);
      expect(await adminGet(socket, '/metrics')).toContain('switchyard_flows 3\n');
      await expect(adminGet(socket, '/nope')).rejects.toThrow(/HTTP 404/);

      const out: string[] = [];
      expect(await main(['status', '--socket', socket], { out: (t) => out.push(t), err: () => {} })).toBe(0);
      expect(out.join('\n')).toBe(formatStatus(status));
      out.length = 0;
      expect(await main(['status', '-s', socket, '--json'], { out: (t) => out.push(t), err: () => {} })).toBe(
        0,
      );
      expect(JSON.parse(out[0]!)).toEqual(status);
    } finally {
      await admin.close();
    }
  });

  it('replaces a stale socket left by a crashed daemon, but never a regular file', async () => {
    const socket = join(dir, 'stale.sock');
    const stale = createServer();
    await new Promise<void>((resolve) => stale.listen(socket, resolve));
    // Simulate a crash: the file stays, nobody listens.
    (stale as unknown as { _handle: { close(): void } | null })._handle?.close();
    const admin = await startAdmin({ socket, status: () => status, metrics: new MetricsRegistry() });
    expect(JSON.parse(await adminGet(socket, '/status')).cluster).toBe(7);
    await admin.close();

    const file = join(dir, 'regular');
    writeFileSync(file, 'keep me');
    await expect(
      startAdmin({ socket: file, status: () => status, metrics: new MetricsRegistry() }),
    ).rejects.toThrow(/EADDRINUSE/);
  });

  it('says no daemon is running when nothing listens', async () => {
    await expect(adminGet(join(dir, 'absent.sock'), '/status')).rejects.toThrow(/no daemon listening/);
    const err: string[] = [];
    expect(
      await main(['status', '-s', join(dir, 'absent.sock')], { out: () => {}, err: (t) => err.push(t) }),
    ).toBe(1);
    expect(err[0]).toMatch(
      /^switchyard: no daemon listening on .*absent\.sock \(is switchyardd running\?\)$/,
    );
  });

  it('formats the status as aligned tables', () => {
    expect(formatStatus(status)).toBe(
      [
        'node 2 (10.0.0.12, 02:00:00:00:00:12), cluster 7, up 42 s',
        '',
        'VIP         POLICY          ROLE    ACTIVE',
        '10.0.0.100  active-passive  active  2',
        '10.0.0.101  rendezvous      member  -',
        '',
        'MEMBER  ADDRESS',
        '1       10.0.0.11',
        '2       10.0.0.12  (this node)',
        '',
        'flows 3 / 1024',
        '  rx_frames 10',
      ].join('\n'),
    );
  });
});
