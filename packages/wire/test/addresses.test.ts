import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, Ipv4Address, Ipv6Address, MacAddress } from '../src/index.js';
import { ipv6Addr, mac, u32 } from './arbitraries.js';

describe('MacAddress', () => {
  it('parses and formats', () => {
    expect(MacAddress.format(MacAddress.parse('02:53:59:00:00:01'))).toBe('02:53:59:00:00:01');
    expect(MacAddress.parse('AA-BB-CC-DD-EE-FF')).toBe(0xaabbccddeeff);
    expect(MacAddress.format(MacAddress.BROADCAST)).toBe('ff:ff:ff:ff:ff:ff');
  });
  it.each(['', '02:53:59:00:00', '02:53:59:00:00:01:02', 'zz:00:00:00:00:00', '0253.5900.0001'])(
    'rejects %j',
    (text) => {
      expect(() => MacAddress.parse(text)).toThrow(InvalidArgumentError);
    },
  );
  it('knows group and locally administered bits (IEEE 802 §8.2)', () => {
    expect(MacAddress.isMulticast(MacAddress.parse('01:00:5e:00:00:01'))).toBe(true);
    expect(MacAddress.isMulticast(MacAddress.parse('33:33:00:00:00:01'))).toBe(true);
    expect(MacAddress.isMulticast(MacAddress.parse('02:53:59:00:00:01'))).toBe(false);
    expect(MacAddress.isBroadcast(MacAddress.BROADCAST)).toBe(true);
    expect(MacAddress.isMulticast(MacAddress.BROADCAST)).toBe(true);
    expect(MacAddress.isLocallyAdministered(MacAddress.parse('02:53:59:00:00:01'))).toBe(true);
    expect(MacAddress.isLocallyAdministered(MacAddress.parse('00:1b:21:00:00:01'))).toBe(false);
    expect(MacAddress.isValid(2 ** 48)).toBe(false);
    expect(MacAddress.isValid(1.5)).toBe(false);
  });
  it('round-trips through text and bytes', () => {
    fc.assert(
      fc.property(mac, (m) => {
        expect(MacAddress.parse(MacAddress.format(m))).toBe(m);
        expect(MacAddress.read(MacAddress.toBytes(m), 0)).toBe(m);
      }),
    );
  });
});

describe('Ipv4Address', () => {
  it('converts between u32 and dotted quad', () => {
    expect(Ipv4Address.parse('10.77.0.50')).toBe(0x0a4d0032);
    expect(Ipv4Address.format(0xffffffff)).toBe('255.255.255.255');
    expect(Ipv4Address.parse('0.0.0.0')).toBe(0);
    expect(Ipv4Address.isMulticast(Ipv4Address.parse('224.0.0.18'))).toBe(true);
    expect(Ipv4Address.isMulticast(Ipv4Address.parse('10.0.0.1'))).toBe(false);
  });
  it.each(['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1.2.3.-4', 'a.b.c.d', '1..2.3'])(
    'rejects %j',
    (text) => {
      expect(() => Ipv4Address.parse(text)).toThrow(InvalidArgumentError);
    },
  );
  it('round-trips', () => {
    fc.assert(
      fc.property(u32, (a) => {
        expect(Ipv4Address.parse(Ipv4Address.format(a))).toBe(a);
        const b = new Uint8Array(4);
        Ipv4Address.write(a, b, 0);
        expect(Ipv4Address.read(b, 0)).toBe(a);
      }),
    );
  });
});

describe('Ipv6Address', () => {
  it.each([
    ['2001:db8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::', 'fe80::'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // RFC 5952 §4.2.3: the first of equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // §4.2.2: a single zero word is not shortened
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'], // §5
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['2001:DB8::A', '2001:db8::a'], // §4.3 lower case
  ])('parses %s and formats it as %s (RFC 5952)', (input, canonical) => {
    expect(Ipv6Address.format(Ipv6Address.parse(input))).toBe(canonical);
  });
  it.each(['', ':', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', '::1.2.3', '1:2:3:4:5:6:7'])(
    'rejects %j',
    (text) => {
      expect(() => Ipv6Address.parse(text)).toThrow(InvalidArgumentError);
    },
  );
  it('solicited-node multicast (RFC 4291 §2.7.1)', () => {
    expect(Ipv6Address.format(Ipv6Address.solicitedNode(Ipv6Address.parse('fe80::2aa:ff:fe28:9c5a')))).toBe(
      'ff02::1:ff28:9c5a',
    );
    expect(Ipv6Address.isMulticast(Ipv6Address.parse('ff02::1'))).toBe(true);
    expect(Ipv6Address.isValid(1n << 128n)).toBe(false);
  });
  it('round-trips', () => {
    fc.assert(
      fc.property(ipv6Addr, (a) => {
        expect(Ipv6Address.parse(Ipv6Address.format(a))).toBe(a);
        expect(Ipv6Address.read(Ipv6Address.toBytes(a), 0)).toBe(a);
      }),
    );
  });
});
