import { FlowKey } from '@switchyard/flowhash';
import { InvalidArgumentError, Ipv4Address, Ipv6Address } from '@switchyard/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlowState, FlowTable } from '../src/flow-table.js';

const client = Ipv4Address.parse('192.0.2.10');
const vip = Ipv4Address.parse('10.0.0.100');
const key = (port: number) => FlowKey.ipv4(client, vip, port, 80, 6);
const options = { capacity: 4, idleTimeoutMs: 1000, closingTimeoutMs: 100 };

describe('FlowTable', () => {
  it('finds what it inserted and nothing else', () => {
    const t = new FlowTable(options);
    const slot = t.insert(key(1000), 7, 0, 42);
    expect(slot).toBeGreaterThanOrEqual(0);
    expect(t.find(key(1000), 7)).toBe(slot);
    expect(t.value(slot)).toBe(42);
    expect(t.state(slot)).toBe(FlowState.OPEN);
    expect(t.find(key(1001), 7)).toBe(-1);
    expect(t.find(FlowKey.ipv4(client, vip, 1000, 80, 17), 7)).toBe(-1); // protocol is part of the key
    expect(t.size).toBe(1);
  });

  it('tells IPv4 and IPv6 keys apart even when their address words agree', () => {
    const t = new FlowTable(options);
    t.insert(FlowKey.ipv6(BigInt(client) << 96n, BigInt(vip) << 96n, 1, 80, 6), 1, 0);
    const v4 = FlowKey.ipv4(client, vip, 1, 80, 6);
    expect(Array.from(v4.source)).toEqual([client, 0, 0, 0]);
    expect(t.find(v4, 1)).toBe(-1);
    expect(
      t.find(FlowKey.ipv6(Ipv6Address.parse('c000:20a::'), Ipv6Address.parse('a00:64::'), 1, 80, 6), 1),
    ).not.toBe(-1);
  });

  it('re-inserting an existing flow touches it and keeps its value', () => {
    const t = new FlowTable(options);
    const slot = t.insert(key(1), 3, 0, 5);
    expect(t.insert(key(1), 3, 500, 9)).toBe(slot);
    expect(t.value(slot)).toBe(5);
    expect(t.lastSeen(slot)).toBe(500);
    expect(t.counters.inserted).toBe(1);
  });

  it('refuses a new flow when full, and counts it, but still finds existing ones', () => {
    const t = new FlowTable(options);
    for (let p = 0; p < 4; p++) expect(t.insert(key(p), p, 0)).toBeGreaterThanOrEqual(0);
    expect(t.insert(key(99), 99, 0)).toBe(-1);
    expect(t.counters.refused).toBe(1);
    expect(t.find(key(3), 3)).toBeGreaterThanOrEqual(0);
  });

  it('expires an idle open flow after idleTimeoutMs and a closing one after closingTimeoutMs', () => {
    const t = new FlowTable(options);
    const open = t.insert(key(1), 1, 0);
    const closing = t.insert(key(2), 2, 0);
    t.close(closing, 0);
    expect(t.state(closing)).toBe(FlowState.CLOSING);
    expect(t.expire(99)).toBe(0);
    expect(t.expire(100)).toBe(1);
    expect(t.find(key(2), 2)).toBe(-1);
    t.touch(open, 900);
    expect(t.expire(1899)).toBe(0);
    expect(t.expire(1900)).toBe(1);
    expect(t.size).toBe(0);
    expect(t.counters.expired).toBe(2);
  });

  it('reopen turns a closing flow open again (4-tuple reuse), and ignores an empty slot', () => {
    const t = new FlowTable(options);
    const slot = t.insert(key(1), 1, 0);
    t.close(slot, 10);
    t.reopen(slot, 20);
    expect(t.state(slot)).toBe(FlowState.OPEN);
    expect(t.lastSeen(slot)).toBe(20);
    expect(t.expire(20 + 100)).toBe(0); // the closing timeout no longer applies
    t.remove(slot);
    t.reopen(slot, 30);
    expect(t.state(slot)).toBe(FlowState.EMPTY);
    expect(t.size).toBe(0);
  });

  it('removes on RST and counts it', () => {
    const t = new FlowTable(options);
    const slot = t.insert(key(1), 1, 0);
    t.remove(slot);
    t.remove(slot); // idempotent
    expect(t.find(key(1), 1)).toBe(-1);
    expect(t.counters.removed).toBe(1);
  });

  it('spreads a sweep over calls with a budget', () => {
    const t = new FlowTable({ ...options, capacity: 64 });
    for (let p = 0; p < 64; p++) t.insert(key(p), p * 2, 0);
    let expired = 0;
    let calls = 0;
    while (t.size > 0) {
      expired += t.expire(5000, 16);
      calls++;
    }
    expect(expired).toBe(64);
    expect(calls).toBe(8); // 128 slots, 16 visited per call
  });

  it('lists every flow with forEach', () => {
    const t = new FlowTable(options);
    t.insert(key(1), 1, 10, 7);
    t.insert(key(2), 1, 20, 8); // same hash: a probe run
    const seen: string[] = [];
    t.forEach((k, state, lastSeen, value) => {
      seen.push(`${k} ${state} ${lastSeen} ${value}`);
    }, new FlowKey());
    expect(seen.sort()).toEqual([
      '192.0.2.10:1 > 10.0.0.100:80 tcp 1 10 7',
      '192.0.2.10:2 > 10.0.0.100:80 tcp 1 20 8',
    ]);
  });

  it.each([
    ['capacity 0', { ...options, capacity: 0 }],
    ['a huge capacity', { ...options, capacity: 2 ** 30 }],
    ['a zero idle timeout', { ...options, idleTimeoutMs: 0 }],
    ['a NaN closing timeout', { ...options, closingTimeoutMs: Number.NaN }],
  ])('refuses %s', (_name, bad) => {
    expect(() => new FlowTable(bad)).toThrow(InvalidArgumentError);
  });

  // glb-director style: the real table against a tiny independent model. Hashes are drawn
  // from a handful of values so probe runs, wrap-around and backward shifts happen a lot.
  it('behaves like a Map under random operations with colliding hashes', { timeout: 120_000 }, () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('insert' as const), port: fc.nat(40) }),
      fc.record({ kind: fc.constant('remove' as const), port: fc.nat(40) }),
      fc.record({ kind: fc.constant('close' as const), port: fc.nat(40) }),
      fc.record({
        kind: fc.constant('tick' as const),
        ms: fc.nat(400),
        budget: fc.integer({ min: 1, max: 70 }),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 20, maxLength: 300, size: 'max' }), (ops) => {
        const t = new FlowTable({ capacity: 24, idleTimeoutMs: 1000, closingTimeoutMs: 300 });
        const model = new Map<string, { seen: number; closing: boolean }>();
        // A key's hash is a function of the key, as with a real hash; only 10 values.
        const hashOf = (port: number) => (port * 7) % 10;
        let now = 0;
        for (const o of ops) {
          if (o.kind === 'tick') {
            now += o.ms;
            t.expire(now); // a full sweep, so the model can expire exactly
            for (const [k, f] of model) if (now - f.seen >= (f.closing ? 300 : 1000)) model.delete(k);
            t.expire(now, o.budget);
            continue;
          }
          const h = hashOf(o.port);
          const id = `${o.port}`;
          if (o.kind === 'insert') {
            const slot = t.insert(key(o.port), h, now);
            const existing = model.get(id);
            if (existing) existing.seen = now;
            else if (model.size < 24) model.set(id, { seen: now, closing: false });
            expect(slot === -1).toBe(!existing && model.size >= 24 && !model.has(id));
          } else {
            const slot = t.find(key(o.port), h);
            expect(slot !== -1).toBe(model.has(id));
            if (slot === -1) continue;
            if (o.kind === 'remove') {
              t.remove(slot);
              model.delete(id);
            } else {
              t.close(slot, now);
              const f = model.get(id)!;
              f.closing = true;
              f.seen = now;
            }
          }
          expect(t.size).toBe(model.size);
          for (let p = 0; p <= 40; p++) {
            const f = model.get(`${p}`);
            const slot = t.find(key(p), hashOf(p));
            expect(slot !== -1).toBe(f !== undefined);
            if (f && slot !== -1) expect(t.state(slot)).toBe(f.closing ? FlowState.CLOSING : FlowState.OPEN);
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});
