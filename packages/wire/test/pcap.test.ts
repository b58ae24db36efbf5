import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, LinkType, MalformedError, PcapWriter, readPcap } from '../src/index.js';
import { hex } from './helpers.js';

describe('pcap files', () => {
  it('round-trips records with nanosecond timestamps', () => {
    const w = new PcapWriter();
    w.write(Uint8Array.of(1, 2, 3), 1_700_000_000_123_456_789n);
    w.write(Uint8Array.of(4), 5n, 1500);
    const file = readPcap(w.toBytes());
    expect(file.linkType).toBe(LinkType.ETHERNET);
    expect(file.nanosecond).toBe(true);
    expect(file.records.map((r) => [r.timestampNs, [...r.data], r.originalLength])).toEqual([
      [1_700_000_000_123_456_789n, [1, 2, 3], 3],
      [5n, [4], 1500],
    ]);
    expect(w.byteLength).toBe(24 + 16 + 3 + 16 + 1);
  });

  it('writes microsecond files and reads big-endian ones', () => {
    const w = new PcapWriter({ nanosecond: false, linkType: LinkType.RAW, snapLength: 128 });
    w.write(Uint8Array.of(9), 2_000_001_999n);
    const file = readPcap(w.toBytes());
    expect([file.nanosecond, file.linkType, file.snapLength, file.records[0]!.timestampNs]).toEqual([
      false,
      101,
      128,
      2_000_001_000n,
    ]);
    const be = hex(
      'a1b2c3d4 0002 0004 00000000 00000000 0000ffff 00000001 00000001 00000002 00000001 00000001 aa',
    );
    expect(readPcap(be).records[0]).toMatchObject({ timestampNs: 1_000_002_000n, originalLength: 1 });
  });

  it('rejects a timestamp fraction out of range', () => {
    const bad = hex(
      'd4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000 01000000 40420f00 00000000 00000000',
    );
    expect(() => readPcap(bad)).toThrow(MalformedError);
  });

  it('refuses negative timestamps', () => {
    expect(() => new PcapWriter().write(new Uint8Array(1), -1n)).toThrow(InvalidArgumentError);
  });
});
