import { describe, expect, it } from 'vitest';
import { Duration, Scheduler } from '../src/index.js';

describe('Scheduler', () => {
  it('runs events in time order, FIFO at equal times, and moves now', () => {
    const s = new Scheduler();
    const log: string[] = [];
    s.at(30, () => log.push(`c@${s.now}`));
    s.at(10, () => log.push(`a@${s.now}`));
    s.at(10, () => log.push(`b@${s.now}`));
    s.after(0, () => log.push(`z@${s.now}`));
    expect(s.runUntilIdle()).toBe(4);
    expect(log).toEqual(['z@0', 'a@10', 'b@10', 'c@30']);
    expect(s.now).toBe(30);
    expect(s.executed).toBe(4);
  });

  it('keeps order under many random insertions (heap)', () => {
    const s = new Scheduler();
    const times: number[] = [];
    let x = 12345;
    for (let i = 0; i < 500; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const t = x % 1000;
      s.at(t, () => times.push(s.now));
    }
    s.runUntilIdle();
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('cancels timers and skips them', () => {
    const s = new Scheduler();
    let ran = 0;
    const t = s.after(5, () => ran++);
    s.after(6, () => ran++);
    expect(t.active).toBe(true);
    t.cancel();
    t.cancel();
    expect(t.active).toBe(false);
    expect(s.nextEventTime()).toBe(6);
    s.runUntilIdle();
    expect(ran).toBe(1);
    expect(s.nextEventTime()).toBeUndefined();
    expect(s.step()).toBe(false);
  });

  it('runUntil runs what is due and stops the clock at the target', () => {
    const s = new Scheduler();
    const ran: number[] = [];
    for (const t of [5, 10, 15]) s.at(t, () => ran.push(t));
    expect(s.runUntil(10)).toBe(2);
    expect(s.now).toBe(10);
    expect(s.pending).toBe(1);
    expect(s.runFor(100)).toBe(1);
    expect(s.now).toBe(110);
    expect(ran).toEqual([5, 10, 15]);
  });

  it('refuses the past and stops a runaway', () => {
    const s = new Scheduler();
    s.runUntil(100);
    expect(() => s.at(50, () => {})).toThrow(/cannot schedule/);
    expect(() => s.runUntil(50)).toThrow(/past/);
    const tick = () => s.after(1, tick);
    tick();
    expect(() => s.runUntilIdle(1000)).toThrow(/still busy/);
  });

  it.each([
    { unit: 'ns', value: Duration.ns(1.4), expected: 1 },
    { unit: 'us', value: Duration.us(2), expected: 2_000 },
    { unit: 'ms', value: Duration.ms(3), expected: 3_000_000 },
    { unit: 's', value: Duration.s(1.5), expected: 1_500_000_000 },
  ])('Duration.$unit converts to nanoseconds', ({ value, expected }) => {
    expect(value).toBe(expected);
  });
});
