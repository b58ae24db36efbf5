import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from '../src/metrics.js';

describe('MetricsRegistry', () => {
  it('exposes counters and gauges in the text format, collected at scrape time', () => {
    const counters = { rxFrames: 3 };
    const r = new MetricsRegistry();
    r.value('switchyard_rx_frames_total', 'counter', 'Frames received.', () => counters.rxFrames);
    r.register('switchyard_vip_active', 'gauge', 'Whether this node is active for the VIP.', () => [
      { labels: { vip: '10.0.0.100' }, value: 1 },
      { labels: { vip: '2001:db8::1' }, value: 0 },
    ]);
    counters.rxFrames = 5;
    expect(r.expose()).toBe(
      [
        '# HELP switchyard_rx_frames_total Frames received.',
        '# TYPE switchyard_rx_frames_total counter',
        'switchyard_rx_frames_total 5',
        '# HELP switchyard_vip_active Whether this node is active for the VIP.',
        '# TYPE switchyard_vip_active gauge',
        'switchyard_vip_active{vip="10.0.0.100"} 1',
        'switchyard_vip_active{vip="2001:db8::1"} 0',
        '',
      ].join('\n'),
    );
  });

  it('escapes help text and label values as the format requires', () => {
    const r = new MetricsRegistry();
    r.register('m', 'gauge', 'a \\ b\nc', () => [{ labels: { reason: 'say "hi"\\\n' }, value: Number.NaN }]);
    expect(r.expose()).toBe('# HELP m a \\\\ b\\nc\n# TYPE m gauge\nm{reason="say \\"hi\\"\\\\\\n"} NaN\n');
  });

  it('writes infinities as +Inf and -Inf', () => {
    const r = new MetricsRegistry();
    r.register('g', 'gauge', 'h', () => [
      { value: Number.POSITIVE_INFINITY },
      { value: Number.NEGATIVE_INFINITY },
    ]);
    expect(r.expose()).toMatch(/^g \+Inf\ng -Inf\n$/m);
  });

  it.each([
    ['a bad name', () => new MetricsRegistry().value('1bad', 'gauge', 'h', () => 0)],
    ['a counter without _total', () => new MetricsRegistry().value('frames', 'counter', 'h', () => 0)],
    [
      'a duplicate',
      () => {
        const r = new MetricsRegistry();
        r.value('x', 'gauge', 'h', () => 0);
        r.value('x', 'gauge', 'h', () => 0);
      },
    ],
    [
      'a reserved label name',
      () => {
        const r = new MetricsRegistry();
        r.register('x', 'gauge', 'h', () => [{ labels: { __name__: 'y' }, value: 0 }]);
        r.expose();
      },
    ],
  ])('refuses %s', (_name, f) => {
    expect(f).toThrow();
  });
});
