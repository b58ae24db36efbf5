/** Addresses and frame builders shared by the tests (inputs are built with wire's codecs). */
import {
  ArpOperation,
  arp,
  EtherType,
  ethernet,
  IpProtocol,
  Ipv4Address,
  Ipv6Address,
  icmpv6,
  ipv6,
  MacAddress,
  type NdpOption,
  type VlanTag,
} from '@switchyard/wire';
import { ArpResponder, type ArpResponderOptions, type ResponderEvent } from '../src/index.js';

export const REAL_MAC = MacAddress.parse('02:00:00:00:00:0a');
export const VMAC = MacAddress.parse('02:53:59:00:00:01');
export const CLIENT_MAC = MacAddress.parse('02:00:00:00:00:99');
export const ROGUE_MAC = MacAddress.parse('02:66:66:66:66:66');
export const REAL_IP = Ipv4Address.parse('10.77.0.10');
export const VIP = Ipv4Address.parse('10.77.0.50');
export const CLIENT_IP = Ipv4Address.parse('10.77.0.1');
export const OTHER_IP = Ipv4Address.parse('10.77.0.77');
export const REAL_IP6 = Ipv6Address.parse('fd00:77::a');
export const VIP6 = Ipv6Address.parse('fd00:77::50');
export const CLIENT_IP6 = Ipv6Address.parse('fd00:77::1');
export const ALL_NODES_MAC = MacAddress.parse('33:33:00:00:00:01');

/** A responder with the test addresses, the IPv4 and IPv6 VIPs active. */
export function responder(options: Partial<ArpResponderOptions> = {}): ArpResponder {
  return new ArpResponder({
    mac: REAL_MAC,
    ipv4: REAL_IP,
    ipv6: REAL_IP6,
    vips: [
      { address: VIP, vmac: VMAC, active: true },
      { address: VIP6, vmac: VMAC, active: true },
    ],
    ...options,
  });
}

/** Every frame queued. */
export function drain(r: ArpResponder): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let f = r.pollTransmit(); f !== undefined; f = r.pollTransmit()) out.push(f);
  return out;
}

export function events(r: ArpResponder): ResponderEvent[] {
  const out: ResponderEvent[] = [];
  for (let e = r.pollEvent(); e !== undefined; e = r.pollEvent()) out.push(e);
  return out;
}

export interface ArpInput {
  operation?: number;
  ethSource?: MacAddress;
  ethDestination?: MacAddress;
  sha?: MacAddress;
  spa?: Ipv4Address;
  tha?: MacAddress;
  tpa: Ipv4Address;
  tags?: VlanTag[];
}

/** An ARP frame; by default a broadcast request from the client. */
export function arpFrame(input: ArpInput): Uint8Array {
  const sha = input.sha ?? CLIENT_MAC;
  return ethernet.encode({
    destination: input.ethDestination ?? MacAddress.BROADCAST,
    source: input.ethSource ?? sha,
    tags: input.tags ?? [],
    etherType: EtherType.ARP,
    payload: arp.encode({
      kind: 'ethernet-ipv4',
      operation: input.operation ?? ArpOperation.REQUEST,
      senderHardwareAddress: sha,
      senderProtocolAddress: input.spa ?? CLIENT_IP,
      targetHardwareAddress: input.tha ?? 0,
      targetProtocolAddress: input.tpa,
    }),
  });
}

export interface NdpInput {
  ethSource?: MacAddress;
  ethDestination?: MacAddress;
  source?: Ipv6Address;
  destination?: Ipv6Address;
  hopLimit?: number;
  code?: number;
  target: Ipv6Address;
  options?: NdpOption[];
  /** Neighbor advertisement flags; without them the message is a solicitation. */
  na?: { router?: boolean; solicited?: boolean; override?: boolean };
  /** Flip a checksum bit after encoding. */
  corruptChecksum?: boolean;
  fragment?: boolean;
  tags?: VlanTag[];
}

/** An NS (or NA with `na`) in IPv6; by default an NS from the client to the target's solicited-node group. */
export function ndpFrame(input: NdpInput): Uint8Array {
  const source = input.source ?? CLIENT_IP6;
  const isNa = input.na !== undefined;
  const destination = input.destination ?? (isNa ? CLIENT_IP6 : Ipv6Address.solicitedNode(input.target));
  const options =
    input.options ??
    (isNa ? [] : source === 0n ? [] : [{ kind: 'source-link-layer-address' as const, address: CLIENT_MAC }]);
  const body = icmpv6.encode(
    isNa
      ? {
          kind: 'neighbor-advertisement',
          code: input.code ?? 0,
          router: input.na?.router ?? false,
          solicited: input.na?.solicited ?? false,
          override: input.na?.override ?? true,
          target: input.target,
          options,
        }
      : { kind: 'neighbor-solicitation', code: input.code ?? 0, target: input.target, options },
    undefined,
    0,
    { pseudo: { version: 6, source, destination } },
  );
  if (input.corruptChecksum === true) body[3] = body[3]! ^ 0x01;
  const packet = ipv6.encode({
    trafficClass: 0,
    flowLabel: 0,
    hopLimit: input.hopLimit ?? 255,
    source,
    destination,
    extensionHeaders:
      input.fragment === true
        ? [{ type: IpProtocol.IPV6_FRAG, body: new Uint8Array([0, 1, 0, 0, 0, 7]) }] // offset 0, M=1
        : [],
    protocol: IpProtocol.ICMPV6,
    payload: body,
  });
  const ethDestination =
    input.ethDestination ??
    (Ipv6Address.isMulticast(destination) ? 0x3333_0000_0000 + Number(destination & 0xffff_ffffn) : REAL_MAC);
  return ethernet.encode({
    destination: ethDestination,
    source: input.ethSource ?? CLIENT_MAC,
    tags: input.tags ?? [],
    etherType: EtherType.IPv6,
    payload: packet,
  });
}

/** Hex of a frame, for readable byte comparisons. */
export function hexOf(frame: Uint8Array | undefined): string {
  return frame === undefined ? '(none)' : Buffer.from(frame).toString('hex');
}
