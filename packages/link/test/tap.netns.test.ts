/**
 * TapLink against the kernel: a ping built with wire's codecs, written into a TAP that
 * holds an address, is answered by the kernel into the TAP (after the kernel's ARP request
 * is answered the way the daemon does); addresses and MTU land as `ip` reports them; a
 * persistent TAP outlives its fd and can be attached again.
 */
import {
  ArpOperation,
  arp,
  decodeFrame,
  EtherType,
  ethernet,
  FrameDecoder,
  IpProtocol,
  Ipv4Address,
  icmpv4,
  ipv4,
  Layer,
} from '@switchyard/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TapLink } from '../src/index.js';
import { Lab, netnsSkipReason, sh, sleep } from './lab.js';

const skip = netnsSkipReason();
if (skip !== undefined) console.warn(`skipping TapLink kernel tests: ${skip}`);

describe.skipIf(skip !== undefined)('TapLink with the kernel', () => {
  const lab = new Lab();
  let ns = '';
  beforeAll(() => {
    ns = lab.ns('t');
  });
  afterAll(() => lab.dispose());

  it('the kernel answers a ping sent through the TAP', async () => {
    const local = Ipv4Address.parse('10.9.0.1');
    const remote = Ipv4Address.parse('10.9.0.2');
    const tap = new TapLink({
      name: 'sy0',
      netns: ns,
      mtu: 1400,
      ipv4: { address: local, prefixLength: 24 },
    });
    expect(lab.linkJson(ns, 'sy0').mtu).toBe(1400);
    expect(tap.mtu).toBe(1400);
    const d = new FrameDecoder();
    const replies: { identifier: number; sequence: number; data: Uint8Array }[] = [];
    let arpAnswered = 0;
    tap.onReceive((frame) => {
      decodeFrame(frame, d);
      if (d.has(Layer.ARP) && d.arp.operation === ArpOperation.REQUEST) {
        // Answer the kernel's who-has for the remote address with this end's MAC.
        tap.send(
          ethernet.encode({
            destination: tap.interfaceMac,
            source: tap.mac,
            tags: [],
            etherType: EtherType.ARP,
            payload: arp.encode({
              kind: 'ethernet-ipv4',
              operation: ArpOperation.REPLY,
              senderHardwareAddress: tap.mac,
              senderProtocolAddress: remote,
              targetHardwareAddress: tap.interfaceMac,
              targetProtocolAddress: local,
            }),
          }),
        );
        arpAnswered++;
      } else if (d.has(Layer.IPV4) && d.ipv4.protocol === IpProtocol.ICMP) {
        const icmp = icmpv4.decode(frame, 14 + d.ipv4.ihl * 4).value;
        if (icmp.kind === 'echo-reply')
          replies.push({ identifier: icmp.identifier, sequence: icmp.sequence, data: icmp.data.slice() });
      }
    });
    const data = new TextEncoder().encode('switchyard ping through a TAP');
    const echo = ethernet.encode({
      destination: tap.interfaceMac,
      source: tap.mac,
      tags: [],
      etherType: EtherType.IPv4,
      payload: ipv4.encode({
        dscp: 0,
        ecn: 0,
        identification: 77,
        dontFragment: false,
        moreFragments: false,
        fragmentOffset: 0,
        ttl: 64,
        protocol: IpProtocol.ICMP,
        source: remote,
        destination: local,
        options: new Uint8Array(0),
        payload: icmpv4.encode({ kind: 'echo-request', code: 0, identifier: 0x5159, sequence: 1, data }),
      }),
    });
    expect(tap.send(echo)).toBe(true);
    const deadline = Date.now() + 3000;
    while (replies.length === 0 && Date.now() < deadline) await sleep(5);
    expect(arpAnswered).toBeGreaterThanOrEqual(1); // the kernel asks again after 1 s if our answer is late
    expect(replies).toEqual([{ identifier: 0x5159, sequence: 1, data }]);
    tap.close();
    await tap.released();
    expect(() => lab.linkJson(ns, 'sy0')).toThrow(); // non-persistent: gone with its fd
  });

  it('sets the address ip reports, and refuses oversized writes', async () => {
    const tap = new TapLink({
      name: 'sy1',
      netns: ns,
      ipv4: { address: Ipv4Address.parse('10.9.1.1'), prefixLength: 30 },
    });
    const addr = JSON.parse(lab.exec(ns, ['ip', '-j', '-4', 'addr', 'show', 'dev', 'sy1']))[0];
    expect(addr.addr_info[0]).toMatchObject({ local: '10.9.1.1', prefixlen: 30 });
    expect(addr.flags).toContain('UP');
    const big = new Uint8Array(14 + tap.mtu + 1);
    expect(tap.send(big)).toBe(false);
    expect(tap.counters.txDrops).toBe(1);
    tap.close();
    await tap.released();
  });

  it('TUNSETPERSIST keeps the device after close; it can be attached again and then removed', async () => {
    const first = new TapLink({ name: 'sy2', netns: ns, persist: true, up: false });
    first.close();
    await first.released();
    expect(lab.linkJson(ns, 'sy2').ifindex).toBeGreaterThan(0);
    const again = new TapLink({ name: 'sy2', netns: ns, persist: false });
    expect(again.name).toBe('sy2');
    expect(lab.linkJson(ns, 'sy2').flags).toContain('UP');
    again.close();
    await again.released();
    expect(() => sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'show', 'sy2'])).toThrow();
  });

  it('lets the kernel pick a name when none is given', async () => {
    const tap = new TapLink({ netns: ns });
    expect(tap.name).toMatch(/^tap\d+$/);
    tap.close();
    await tap.released();
  });
});
