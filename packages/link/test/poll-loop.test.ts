/**
 * PollLoop: the thread blocks in poll() between event-loop turns. An eventfd stands in for a
 * link (no root needed): what wakes the loop, what the timers do, and that the event loop
 * (Node timers, I/O) still runs while the loop does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PollLoop } from '../src/index.js';
import { C, libc } from '../src/sys.js';
import { until } from './lab.js';

class EventSource {
  readonly fd = libc().eventfd(0, C.EFD_NONBLOCK | C.EFD_CLOEXEC);
  readonly buf = new Uint8Array(8);
  readyCalls = 0;
  signal(): void {
    const one = new Uint8Array(new BigUint64Array([1n]).buffer);
    libc().write(this.fd, one, 8);
  }
  ready(): void {
    this.readyCalls++;
    libc().read(this.fd, this.buf, 8);
  }
  close(): void {
    libc().close(this.fd);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sources: EventSource[] = [];
afterEach(() => {
  for (const s of sources.splice(0)) s.close();
});

describe('PollLoop', () => {
  it('wakes for a readable source, and blocks (does not spin) while nothing happens', async () => {
    const loop = new PollLoop({ maxBlockMs: 20 });
    const s = new EventSource();
    sources.push(s);
    loop.add(s);
    const running = loop.run();
    await sleep(200);
    // 200 ms idle at 20 ms per poll: about 10 polls, never thousands.
    expect(loop.polls).toBeLessThan(40);
    s.signal();
    await sleep(50);
    expect(s.readyCalls).toBe(1);
    loop.stop();
    await running;
    expect(loop.running).toBe(false);
  });

  it('runs timers in deadline order, not before their time; a cancelled timer never runs', async () => {
    const loop = new PollLoop({ maxBlockMs: 50 });
    const ran: Array<[string, number]> = [];
    const t0 = loop.now();
    loop.at(t0 + 30e6, () => ran.push(['b', loop.now() - t0]));
    loop.at(t0 + 10e6, () => ran.push(['a', loop.now() - t0]));
    const cancel = loop.at(t0 + 20e6, () => ran.push(['cancelled', 0]));
    cancel();
    cancel();
    loop.at(t0 + 40e6, () => loop.stop());
    await loop.run();
    expect(ran.map(([n]) => n)).toEqual(['a', 'b']);
    expect(ran[0]![1]).toBeGreaterThanOrEqual(10e6);
    expect(ran[1]![1]).toBeGreaterThanOrEqual(30e6);
  });

  it('lets the event loop run between polls: Node timers fire while it blocks', async () => {
    const loop = new PollLoop({ maxBlockMs: 10 });
    const s = new EventSource();
    sources.push(s);
    loop.add(s);
    const running = loop.run();
    let fired = 0;
    const interval = setInterval(() => fired++, 5);
    // Under load the interval may fire late, but it must fire: a loop that never yields starves it.
    expect(await until(() => fired > 5)).toBe(true);
    clearInterval(interval);
    loop.stop();
    await running;
  });

  it('hands errors thrown by sources and timers to onError and keeps running', async () => {
    const errors: unknown[] = [];
    const loop = new PollLoop({
      maxBlockMs: 5,
      onError: (e) => {
        // Stop once both errors are in (a deadline would race a late source on a loaded machine).
        if (errors.push(e) === 2) loop.stop();
      },
    });
    const s = new EventSource();
    sources.push(s);
    loop.add({
      fd: s.fd,
      ready: () => {
        s.ready();
        throw new Error('source');
      },
    });
    const t0 = loop.now();
    loop.at(t0, () => {
      throw new Error('timer');
    });
    loop.at(t0 + 5e6, () => s.signal());
    loop.at(t0 + 5_000e6, () => loop.stop());
    await loop.run();
    expect(errors.map((e) => (e as Error).message).sort()).toEqual(['source', 'timer']);
  });

  it('without onError, the error ends run(); a removed source is not polled again', async () => {
    const loop = new PollLoop({ maxBlockMs: 5 });
    loop.at(loop.now(), () => {
      throw new Error('boom');
    });
    await expect(loop.run()).rejects.toThrow('boom');
    const s = new EventSource();
    sources.push(s);
    loop.add(s);
    loop.remove(s);
    s.signal();
    loop.at(loop.now() + 20e6, () => loop.stop());
    await loop.run();
    expect(s.readyCalls).toBe(0);
    expect(() => new PollLoop({ maxBlockMs: -1 })).toThrow(RangeError);
  });
});
