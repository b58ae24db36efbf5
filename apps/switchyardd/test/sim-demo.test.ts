import { describe, expect, it } from 'vitest';
import { runSimDemo } from '../src/lab/sim-demo.js';

describe('the lab demo on netsim (what runs without root)', () => {
  it('passes every check it prints: one active, spread, no vMAC learned, failover, survivors kept', () => {
    const out: string[] = [];
    const code = runSimDemo({ out: (t) => out.push(t), err: (t) => out.push(t) });
    const text = out.join('\n');
    expect(text).not.toContain('FAIL');
    expect(code).toBe(0);
    expect(text).toMatch(/one active node for 10\.77\.0\.50: n1/);
    expect(text).toMatch(/n2 took over 10\.77\.0\.50 after \d+(\.\d+)? ms/);
    expect(text).toMatch(/new connections to 10\.77\.0\.50: n2 x3/);
  });
});
