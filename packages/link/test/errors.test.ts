/**
 * Clear, typed errors: no capabilities (a child process with CAP_NET_RAW and CAP_NET_ADMIN
 * dropped from its bounding set), a missing interface or namespace, bad options, and the
 * ring-too-large retry.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '@switchyard/wire';
import { describe, expect, it, vi } from 'vitest';
import {
  AfPacketLink,
  interfaceInfo,
  LinkError,
  LinkPermissionError,
  NoSuchInterfaceError,
  ReceiveWorker,
  setupRing,
  TapLink,
  withNetns,
} from '../src/index.js';

function hasSetpriv(): boolean {
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('errors', () => {
  it.skipIf(!hasSetpriv())(
    'without CAP_NET_RAW/CAP_NET_ADMIN: LinkPermissionError saying "needs root or CAP_NET_RAW"',
    () => {
      const script = fileURLToPath(new URL('./fixtures/no-caps.mjs', import.meta.url));
      const args = ['--inh-caps=-all', '--bounding-set=-net_raw,-net_admin', process.execPath, script];
      const out = JSON.parse(execFileSync('setpriv', args, { encoding: 'utf8' }));
      expect(out.afpacket).toMatchObject({
        name: 'LinkPermissionError',
        code: 'ERR_LINK_PERMISSION',
        syscall: 'socket',
        errno: 1,
      });
      expect(out.afpacket.message).toContain('needs root or CAP_NET_RAW');
      expect(out.tap).toMatchObject({
        name: 'LinkPermissionError',
        code: 'ERR_LINK_PERMISSION',
        syscall: 'ioctl',
      });
      expect(out.tap.message).toContain('CAP_NET_ADMIN');
    },
  );

  it('a missing interface is a NoSuchInterfaceError, a missing namespace a LinkError', () => {
    expect(() => new AfPacketLink({ interface: 'sylknosuch0' })).toThrow(NoSuchInterfaceError);
    expect(() => interfaceInfo('sylknosuch0')).toThrow(/no such interface: sylknosuch0/);
    expect(() => withNetns('sylk-no-such-netns', () => 1)).toThrow(LinkError);
    expect(() => withNetns('sylk-no-such-netns', () => 1)).toThrow(/no such network namespace/);
    expect(withNetns(undefined, () => 7)).toBe(7);
  });

  it('bad options are InvalidArgumentErrors, before any syscall', () => {
    const bad: ConstructorParameters<typeof AfPacketLink>[0][] = [
      { interface: '' },
      { interface: 'a/b' },
      { interface: 'x'.repeat(16) },
      { interface: 'lo', ring: { blockSize: 1000 } },
      { interface: 'lo', ring: { blockCount: 1 } },
      { interface: 'lo', ring: { blockSize: 1 << 20, blockCount: 5000 } },
      { interface: 'lo', ring: { retireTimeoutMs: -1 } },
      { interface: 'lo', sendBatch: 0 },
      { interface: 'lo', fanout: { group: 70000 } },
      { interface: 'lo', unicastMacs: [0x01_00_5e_00_00_01] },
      { interface: 'lo', filter: [] },
    ];
    for (const o of bad) expect(() => new AfPacketLink(o), JSON.stringify(o)).toThrow(InvalidArgumentError);
    expect(() => new TapLink({ name: 'bad name' })).toThrow(InvalidArgumentError);
    expect(() => new TapLink({ readBatch: 0 })).toThrow(InvalidArgumentError);
    expect(() => new TapLink({ mac: 0x01_00_00_00_00_00 })).toThrow(InvalidArgumentError);
    // Refused before a worker thread is started.
    const link = { interface: 'lo' };
    for (const o of [{ counterSlots: -1 }, { idleWaitMs: 0 }, { idleWaitMs: 60_001 }, { idleWaitMs: 1.5 }])
      expect(() => ReceiveWorker.start('./none.js', { link, ...o }), JSON.stringify(o)).toThrow(
        InvalidArgumentError,
      );
  });

  it('a ring too large is retried smaller with a warning; other errors are not retried', () => {
    const warn = vi.fn();
    const tried: number[] = [];
    const count = setupRing(
      1 << 20,
      64,
      (_bs, bc) => {
        tried.push(bc);
        return bc > 16 ? 12 /* ENOMEM */ : 0;
      },
      warn,
    );
    expect(count).toBe(16);
    expect(tried).toEqual([64, 32, 16]);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn.mock.calls[0]![0]).toMatch(
      /64 x 1048576 bytes too large \(ENOMEM\); retrying with 32 blocks/,
    );
    expect(() =>
      setupRing(
        4096,
        8,
        () => 12,
        () => {},
      ),
    ).toThrow(/setsockopt \(PACKET_RX_RING 2 x 4096 bytes\) failed: errno 12 \(ENOMEM\)/);
    expect(() => setupRing(4096, 8, () => 22, warn)).toThrow(LinkError);
    expect(() => setupRing(4096, 8, () => 1, warn)).toThrow(LinkPermissionError);
  });
});
