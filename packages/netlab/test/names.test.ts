import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NetlabError, NetlabErrorCode } from '../src/errors.js';
import {
  checkCidr,
  checkIfname,
  checkIp,
  checkMac,
  checkNodeName,
  checkSysctlKey,
  IFNAMSIZ,
  newRunPrefix,
  parseNamespaceName,
  sysctlArgument,
} from '../src/names.js';

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(NetlabError);
    return (e as NetlabError).code;
  }
  return undefined;
}

describe('node names', () => {
  it('accepts short lower-case names with inner hyphens', () => {
    for (const n of ['a', 'client', 'node-1', 'n0123456789'.slice(0, 10)])
      expect(code(() => checkNodeName(n, 'host'))).toBe(undefined);
  });
  it('rejects names that could be options, paths or shell text', () => {
    for (const n of ['', '-n', 'Client', '1a', 'a b', 'a/b', 'a;rm', 'a-', 'a_b', '../x']) {
      expect(code(() => checkNodeName(n, 'host'))).toBe(NetlabErrorCode.INVALID_ARGUMENT);
    }
  });
  it('says NAME_TOO_LONG for a well-formed name over 10 characters', () => {
    expect(code(() => checkNodeName('abcdefghijk', 'host'))).toBe(NetlabErrorCode.NAME_TOO_LONG);
  });
});

describe('interface names', () => {
  it('accepts 15 bytes and refuses 16 (IFNAMSIZ includes the NUL)', () => {
    expect(IFNAMSIZ).toBe(16);
    expect(code(() => checkIfname('a'.repeat(15), 'if'))).toBe(undefined);
    expect(code(() => checkIfname('a'.repeat(16), 'if'))).toBe(NetlabErrorCode.NAME_TOO_LONG);
  });
  it('rejects separators the kernel or ip would misread', () => {
    for (const n of ['', '-x', 'a b', 'a/b', 'a:b', '.', 'é']) {
      expect(code(() => checkIfname(n, 'if'))).toBe(NetlabErrorCode.INVALID_ARGUMENT);
    }
    expect(code(() => checkIfname('eth0.100', 'if'))).toBe(undefined);
  });
});

describe('addresses', () => {
  it('normalises unicast MACs and refuses multicast ones', () => {
    expect(checkMac('02:AA:bb:00:00:01', 'mac')).toBe('02:aa:bb:00:00:01');
    expect(code(() => checkMac('03:00:00:00:00:01', 'mac'))).toBe(NetlabErrorCode.INVALID_ARGUMENT);
    expect(code(() => checkMac('02:00:00:00:00', 'mac'))).toBe(NetlabErrorCode.INVALID_ARGUMENT);
  });
  it('checks CIDRs of both families', () => {
    expect(checkCidr('10.1.0.1/24', 'a')).toBe(4);
    expect(checkCidr('fd00::1/64', 'a')).toBe(6);
    for (const bad of [
      '10.1.0.1',
      '10.1.0.1/33',
      'fd00::1/129',
      '10.1.0.256/24',
      '/24',
      '10.1.0.1/x',
      'x/1',
    ]) {
      expect(code(() => checkCidr(bad, 'a'))).toBe(NetlabErrorCode.INVALID_ARGUMENT);
    }
    expect(checkIp('fe80::1', 'a')).toBe(6);
    expect(code(() => checkIp('10.1.0.1/24', 'a'))).toBe(NetlabErrorCode.INVALID_ARGUMENT);
  });
});

describe('sysctls', () => {
  it('builds key=value for dotted and slashed keys', () => {
    expect(sysctlArgument('net.ipv4.conf.eth0.arp_ignore', 1)).toBe('net.ipv4.conf.eth0.arp_ignore=1');
    expect(sysctlArgument('net/ipv4/conf/eth0.100/rp_filter', '2')).toBe(
      'net/ipv4/conf/eth0.100/rp_filter=2',
    );
    expect(sysctlArgument('net.ipv4.ping_group_range', '0 2147483647')).toBe(
      'net.ipv4.ping_group_range=0 2147483647',
    );
  });
  it('refuses option-like keys and multi-line values', () => {
    expect(code(() => sysctlArgument('-a', 1))).toBe(NetlabErrorCode.INVALID_ARGUMENT);
    expect(code(() => sysctlArgument('net', 1))).toBe(NetlabErrorCode.INVALID_ARGUMENT);
    expect(code(() => sysctlArgument('net.a=b', 1))).toBe(NetlabErrorCode.INVALID_ARGUMENT);
    expect(code(() => sysctlArgument('net.ipv4.ip_forward', '1\nkernel.x=1'))).toBe(
      NetlabErrorCode.INVALID_ARGUMENT,
    );
    expect(code(() => sysctlArgument('net.ipv4.ip_forward', 1.5))).toBe(NetlabErrorCode.INVALID_ARGUMENT);
    expect(code(() => checkSysctlKey('--write'))).toBe(NetlabErrorCode.INVALID_ARGUMENT);
  });
});

describe('run prefixes', () => {
  it('encodes the owner pid in base 36 and a 4-character tag', () => {
    expect(newRunPrefix(36 ** 3, new Uint8Array([0, 0, 0, 0]))).toBe('sy1000_0000');
    expect(newRunPrefix(1234)).toMatch(/^syya_[0-9a-z]{4}$/);
    expect(code(() => newRunPrefix(0))).toBe(NetlabErrorCode.INVALID_ARGUMENT);
    expect(code(() => newRunPrefix(36 ** 7))).toBe(NetlabErrorCode.INVALID_ARGUMENT);
  });

  it('parses back the owner pid and node of every name it generates', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 36 ** 7 - 1 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.stringMatching(/^[a-z](?:[a-z0-9-]{0,8}[a-z0-9])?$/),
        (pid, random, node) => {
          const prefix = newRunPrefix(pid, random);
          expect(parseNamespaceName(`${prefix}-${node}`)).toEqual({ prefix, ownerPid: pid, node });
        },
      ),
    );
  });

  it('does not claim names it did not generate', () => {
    for (const n of [
      'syabc-x',
      'sy12_abc-x',
      'sy12_abcd',
      'xy12_abcd-x',
      'sy12_abcd-X',
      'sy0_abcd-x',
      'cni-1234',
      'sy12_abcd-toolongname1',
    ]) {
      expect(parseNamespaceName(n)).toBe(null);
    }
  });
});
