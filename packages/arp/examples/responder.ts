import { ArpOperation, arp, EtherType, ethernet, Ipv4Address, MacAddress } from '@switchyard/wire';
import { ArpResponder } from '../src/index.js';

/** One node owns a VIP: it announces it, then answers a client with the vMAC, from its real MAC. */
export function responderExample() {
  const mac = MacAddress.parse('02:00:00:00:00:0a'); // the node's real MAC
  const vmac = MacAddress.parse('02:53:59:00:00:01'); // the cluster's virtual MAC
  const vip = Ipv4Address.parse('10.77.0.50');
  const responder = new ArpResponder({
    mac,
    ipv4: Ipv4Address.parse('10.77.0.10'),
    vips: [{ address: vip, vmac }],
    announce: { count: 3, intervalNs: 100e6 }, // 3 gratuitous ARPs, 100 ms apart
  });

  // The election made this node the VIP's owner at t = 0 (times are nanoseconds, chosen by the caller).
  responder.setActive(vip, true, 0);
  const announcedAt: number[] = [];
  for (let now: number | undefined = 0; now !== undefined; now = responder.pollTimeout()) {
    responder.handleTimeout(now); // a driver calls this when pollTimeout() comes due
    while (responder.pollTransmit() !== undefined) announcedAt.push(now);
  }

  // A client asks who has the VIP.
  const client = MacAddress.parse('02:00:00:00:00:99');
  const request = ethernet.encode({
    destination: MacAddress.BROADCAST,
    source: client,
    tags: [],
    etherType: EtherType.ARP,
    payload: arp.encode({
      kind: 'ethernet-ipv4',
      operation: ArpOperation.REQUEST,
      senderHardwareAddress: client,
      senderProtocolAddress: Ipv4Address.parse('10.77.0.1'),
      targetHardwareAddress: 0,
      targetProtocolAddress: vip,
    }),
  });
  const verdict = responder.handleFrame(request, 1.5e9); // 'answered'
  const reply = ethernet.decode(responder.pollTransmit()!).value;
  const answer = arp.decode(reply.payload).value;

  return {
    verdict,
    announcedAt, // [0, 100000000, 200000000]
    ethernetSource: MacAddress.format(reply.source), // 02:00:00:00:00:0a, the real MAC
    arpSender: answer.kind === 'ethernet-ipv4' ? MacAddress.format(answer.senderHardwareAddress) : '', // the vMAC
    learned: responder.neighbors.lookup(Ipv4Address.parse('10.77.0.1'), 1.5e9), // the client, learned on the way
  };
}
