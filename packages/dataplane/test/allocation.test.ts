import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

interface Run {
  scavenges: number;
  frames: number;
  counters: Record<string, number>;
}

describe('no allocation per packet', () => {
  // In a child process: V8 block coverage (on in CI) allocates by itself inside the loop.
  const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
  const fixture = fileURLToPath(new URL('fixtures/allocation.ts', import.meta.url));
  const cwd = fileURLToPath(new URL('..', import.meta.url));
  const env = { ...process.env, NODE_V8_COVERAGE: '', NODE_OPTIONS: '--expose-gc --max-semi-space-size=1' };
  const { plain, hashed } = JSON.parse(execFileSync(tsx, [fixture], { encoding: 'utf8', env, cwd })) as {
    plain: Run;
    hashed: Run;
  };

  it('exercises the paths it claims to (every verdict kind, every policy)', () => {
    expect(plain.frames).toBe(300_000);
    for (const name of [
      'deliveredNew',
      'deliveredFlow',
      'deliveredIcmpError',
      'deliveredEcho',
      'controlArp',
      'controlHeartbeat',
      'malformed',
      'unsupported',
      'notForVip',
      'portNotServed',
      'notOwner',
      'fragment',
    ])
      expect(plain.counters[name], name).toBeGreaterThan(0);
    for (const name of ['deliveredNew', 'deliveredFlow', 'deliveredIcmpError', 'notOwner', 'noFlow'])
      expect(hashed.counters[name], name).toBeGreaterThan(0);
  });

  it('300k frames without a flow hash run without one scavenge in a 1 MiB young generation', () => {
    // Even 4 bytes per frame would be 1.2 MB: more than the young generation, so a scavenge.
    expect(plain.scavenges).toBe(0);
  });

  it('300k frames with a flow hash (sticky and rendezvous) run without one scavenge either', () => {
    // FlowHasher.hashInt32: a u32 above 2^31 returned from a call V8 does not inline would
    // come back as a 16-byte heap number, about 5 scavenges of 1 MiB over these frames.
    expect(hashed.frames).toBe(300_000);
    expect(hashed.scavenges).toBe(0);
  });
});
