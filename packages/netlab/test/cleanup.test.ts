import { describe, expect, it } from 'vitest';
import {
  classifyNamespaces,
  deleteNamespaces,
  deleteNamespacesSync,
  handlersInstalled,
  isAlive,
  killNamespaceProcesses,
  liveLabCount,
  namespacePids,
  register,
  sleepSync,
  unregister,
} from '../src/cleanup.js';

describe('classifyNamespaces', () => {
  it('marks only netlab names whose owner pid is dead as stale', () => {
    const alive = new Set([100, 200]);
    const names = [
      `sy${(100).toString(36)}_abcd-a`, // live owner
      `sy${(300).toString(36)}_abcd-a`, // dead owner
      `sy${(300).toString(36)}_abcd-seg`,
      `sy${(42).toString(36)}_zzzz-b`, // ourselves
      'cni-300',
      'sy8c_abcd', // no node part: not ours
      'production',
    ];
    const { stale, kept } = classifyNamespaces(names, (pid) => alive.has(pid), 42);
    expect(stale).toEqual([`sy8c_abcd-a`, `sy8c_abcd-seg`]);
    expect(kept).toEqual([`sy2s_abcd-a`, `sy16_zzzz-b`]);
  });
});

describe('process helpers', () => {
  it('isAlive tells a running pid from a free one', () => {
    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(1)).toBe(true); // EPERM or alive: either way it exists
    expect(isAlive(2 ** 22 + 1)).toBe(false);
  });

  it('sleepSync blocks for about the time asked', () => {
    const t0 = Date.now();
    sleepSync(30);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
  });

  it('finds no processes in a namespace that does not exist and deletes nothing', async () => {
    expect(namespacePids('sy1_zzzz-nope')).toEqual([]);
    expect(killNamespaceProcesses(['sy1_zzzz-nope'])).toEqual([]);
    await deleteNamespaces([]);
    expect(deleteNamespacesSync([])).toBe(true);
  });
});

describe('registry', () => {
  it('installs the exit and signal handlers with the first lab and removes them with the last', () => {
    const before = liveLabCount();
    const exitListeners = process.listenerCount('exit');
    const a = { destroySync: () => {} };
    const b = { destroySync: () => {} };
    register(a);
    register(b);
    expect(liveLabCount()).toBe(before + 2);
    expect(handlersInstalled()).toBe(true);
    expect(process.listenerCount('SIGTERM')).toBeGreaterThan(0);
    if (before === 0) expect(process.listenerCount('exit')).toBe(exitListeners + 1);
    unregister(a);
    expect(handlersInstalled()).toBe(true);
    unregister(b);
    if (before === 0) {
      expect(handlersInstalled()).toBe(false);
      expect(process.listenerCount('exit')).toBe(exitListeners);
    }
  });

  it("runs every lab's destroySync on 'exit', even when one throws", () => {
    const calls: string[] = [];
    const bad = {
      destroySync: () => {
        calls.push('bad');
        throw new Error('x');
      },
    };
    const good = {
      destroySync: () => {
        calls.push('good');
        unregister(good);
      },
    };
    register(bad);
    register(good);
    // Call the 'exit' listener directly rather than emitting 'exit' on the worker.
    const listener = process.listeners('exit').at(-1) as () => void;
    listener();
    expect(calls).toEqual(['bad', 'good']);
    unregister(bad);
  });
});
