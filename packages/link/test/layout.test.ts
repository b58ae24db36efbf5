/** The struct encoders write the fields where the layout tables say (the kernel checks the tables themselves). */
import { MacAddress } from '@switchyard/wire';
import { describe, expect, it } from 'vitest';
import { ethernetPayloadLength, FanoutFlag, FanoutMode } from '../src/index.js';
import {
  decodeIfreqName,
  encodeIfreq,
  encodePacketMreq,
  encodeSockaddrLl,
  encodeTpacketReq3,
  fanoutArgument,
} from '../src/layout.js';

describe('struct encoders', () => {
  it('tpacket_req3: seven u32 fields, frame count derived from the block geometry', () => {
    const dv = new DataView(encodeTpacketReq3(1 << 18, 64, 2048, 1).buffer);
    expect([0, 4, 8, 12, 16, 20, 24].map((o) => dv.getUint32(o, true))).toEqual([
      1 << 18,
      64,
      2048,
      128 * 64,
      1,
      0,
      0,
    ]);
  });

  it('sockaddr_ll: family AF_PACKET, protocol in network order, ifindex', () => {
    expect([...encodeSockaddrLl(3, 7)].slice(0, 8)).toEqual([17, 0, 0, 3, 7, 0, 0, 0]);
  });

  it('packet_mreq: ifindex, type, alen and the MAC bytes', () => {
    const b = encodePacketMreq(9, 3, MacAddress.parse('02:53:59:00:00:01'));
    expect([...b]).toEqual([9, 0, 0, 0, 3, 0, 6, 0, 2, 0x53, 0x59, 0, 0, 1, 0, 0]);
    expect([...encodePacketMreq(9, 1)].slice(4, 8)).toEqual([1, 0, 0, 0]);
  });

  it('ifreq: name NUL-terminated within IFNAMSIZ, read back', () => {
    expect(decodeIfreqName(encodeIfreq('tap%d'))).toBe('tap%d');
    expect(decodeIfreqName(encodeIfreq('x'.repeat(20)))).toBe('x'.repeat(15));
    expect(encodeIfreq('eth0').length).toBe(40);
  });

  it('PACKET_FANOUT argument: group id low, mode and flags high', () => {
    expect(fanoutArgument(0x5a1, FanoutMode.HASH)).toBe(0x5a1);
    expect(fanoutArgument(1, FanoutMode.CPU, FanoutFlag.DEFRAG)).toBe(1 | ((2 | 0x8000) << 16));
  });

  it('Ethernet payload length skips 802.1Q/802.1ad tags (the MTU rule)', () => {
    const f = new Uint8Array(14 + 100);
    expect(ethernetPayloadLength(f)).toBe(100);
    const tagged = new Uint8Array(22 + 100);
    tagged.set([0x88, 0xa8, 0, 1, 0x81, 0x00, 0, 2, 0x08, 0x00], 12);
    expect(ethernetPayloadLength(tagged)).toBe(100);
  });
});
