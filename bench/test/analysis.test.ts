/** The netns benchmarks' analysis: wrk's report, the probe gap, split-brain stretches. */
import { describe, expect, it } from 'vitest';
import { longestGap, type RoleChange, splitBrain } from '../lab/analysis.js';
import type { ProbeRecord } from '../lab/clients.js';
import { median, parseWrk } from '../lab/measure.js';

const WRK = `Running 5s test @ http://10.88.0.50/
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.61ms    1.10ms  30.15ms   80.00%
    Req/Sec    11.07k   811.26    12.53k    71.00%
  Latency Distribution
     50%    2.61ms
     75%    3.10ms
     90%    3.90ms
     99%  850.00us
  110604 requests in 5.00s, 18.88MB read
  Socket errors: connect 1, read 2, write 3, timeout 4
  Non-2xx or 3xx responses: 7
Requests/sec:  22120.80
Transfer/sec:      3.78MB
`;

describe('parseWrk', () => {
  it('reads requests, rate, percentiles (any unit), errors and non-2xx answers', () => {
    expect(parseWrk(WRK)).toEqual({
      requests: 110604,
      seconds: 5,
      requestsPerSecond: 22120.8,
      p50Ms: 2.61,
      p99Ms: 0.85,
      socketErrors: 10,
      non2xx: 7,
    });
  });

  it('a report without errors has none; a report without --latency is refused', () => {
    const clean = WRK.replace(/ {2}Socket errors.*\n/, '').replace(/ {2}Non-2xx.*\n/, '');
    expect(parseWrk(clean).socketErrors).toBe(0);
    expect(parseWrk(clean).non2xx).toBe(0);
    expect(() => parseWrk(WRK.replace(/ {5}50%.*\n/, ''))).toThrow(/p50/);
  });

  it('median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

const probe = (at: number, ok: boolean): ProbeRecord => ({ at, ok, by: ok ? 's1' : 'timeout', ms: 1 });

describe('longestGap', () => {
  it('is 0 without failures', () => {
    expect(longestGap([0, 2, 4, 6].map((t) => probe(t, true)))).toEqual({ gapMs: 0, failed: 0 });
  });

  it('spans the longest run of failures, from the last answered start to the next answered start', () => {
    const probes = [
      probe(0, true),
      probe(2, false),
      probe(4, true),
      probe(6, true),
      probe(8, false),
      probe(10, false),
      probe(12, false),
      probe(14, true),
    ];
    expect(longestGap(probes)).toEqual({ gapMs: 8, failed: 4, from: 6 });
    // Order of the records does not matter.
    expect(longestGap([...probes].reverse())).toEqual({ gapMs: 8, failed: 4, from: 6 });
  });

  it('a run that never recovers lasts to the last probe', () => {
    expect(longestGap([probe(0, true), probe(2, false), probe(40, false)])).toEqual({
      gapMs: 40,
      failed: 2,
      from: 0,
    });
  });
});

describe('splitBrain', () => {
  const change = (node: number, at: number, master: boolean): RoleChange => ({ node, at, master });

  it('counts stretches with two masters, and their length', () => {
    const changes = [
      change(1, 0, true),
      change(2, 100, true), // 1 and 2 from 100
      change(1, 150, false), // ... to 150
      change(3, 300, true), // 2 and 3 from 300
      change(2, 320, false), // ... to 320
    ];
    expect(splitBrain([1, 2, 3], changes, [], 0, 1000)).toEqual({ events: 2, overlapMs: 70 });
  });

  it('a master cut off from the segment, or dead, does not count', () => {
    const changes = [change(1, 0, true), change(2, 100, true), change(1, 500, false)];
    expect(splitBrain([1, 2], changes, [{ node: 1, from: 90, to: 400 }], 0, 1000)).toEqual({
      events: 1,
      overlapMs: 100, // 400..500: back on the segment, still master
    });
    expect(
      splitBrain([1, 2], changes, [{ node: 1, from: 90, to: Number.POSITIVE_INFINITY }], 0, 1000),
    ).toEqual({ events: 0, overlapMs: 0 });
  });

  it('only counts from `since`, and an instant of overlap is no event', () => {
    const changes = [
      change(1, 0, true),
      change(2, 50, true),
      change(1, 60, false),
      change(3, 200, true),
      change(2, 200, false),
    ];
    expect(splitBrain([1, 2, 3], changes, [], 100, 1000)).toEqual({ events: 0, overlapMs: 0 });
    expect(splitBrain([1, 2, 3], changes, [], 0, 1000)).toEqual({ events: 1, overlapMs: 10 });
  });
});
