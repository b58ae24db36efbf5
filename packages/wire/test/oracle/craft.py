#!/usr/bin/python3
"""Frames crafted with scapy for scapy.test.ts, and scapy's own reading of them.

Run with Debian's /usr/bin/python3 (python3-scapy). Prints one JSON array on stdout: for each
frame its name, its bytes as hex, and the field values scapy finds when it dissects those bytes
again (Ether(raw(frame))), so the test compares our decoders with scapy's, not with the values
passed to the constructors. Checksums are recomputed by scapy (checksum, in4_chksum, in6_chksum)
to say whether the ones on the wire verify.
"""
import json
import logging
import sys

logging.getLogger("scapy").setLevel(logging.ERROR)

from scapy.all import (  # noqa: E402
    ARP, Dot1AD, Dot1Q, Ether, ICMP, IP, IPerror, IPOption_EOL, IPOption_NOP, IPOption_RR,
    IPOption_Router_Alert, IPOption_Timestamp, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, IPv6ExtHdrSegmentRouting, ICMPv6EchoReply,
    ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr, ICMPv6NDOptMTU,
    ICMPv6NDOptSrcLLAddr, Padding, PadN, Pad1, Raw, RouterAlert, TCP, TCPerror, UDP, UDPerror,
    raw,
)
from scapy.layers.inet import in4_chksum  # noqa: E402
from scapy.layers.inet6 import in6_chksum, in6_pseudoheader  # noqa: E402
from scapy.utils import checksum  # noqa: E402

A = "02:00:00:00:00:0a"
B = "02:00:00:00:00:0b"
V4A, V4B = "10.77.1.1", "10.77.1.2"
V6A, V6B = "fd00:77:1::1", "fd00:77:1::2"


def eth(*tags):
    """Ether plus VLAN tags given as (cls, vlan, prio, dei)."""
    p = Ether(src=A, dst=B)
    for cls, vlan, prio, dei in tags:
        p = p / cls(vlan=vlan, prio=prio, id=dei)
    return p


def frames():
    """(name, packet) pairs."""
    yield "ipv4 record route, tcp syn", eth() / IP(
        src=V4A, dst=V4B, id=0x1c46, flags="DF",
        options=[IPOption_RR(routers=["10.77.2.254", "10.77.3.254", "0.0.0.0"], pointer=12)],
    ) / TCP(sport=41000, dport=8080, seq=0x01020304, flags="S",
            options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (123456, 0)), ("NOP", None),
                     ("WScale", 7)])
    yield "ipv4 nop, router alert, timestamp, udp", eth() / IP(
        src=V4A, dst=V4B, tos=0xb8, ttl=1,
        options=[IPOption_NOP(), IPOption_Router_Alert(), IPOption_Timestamp(flg=0, timestamp=0x0100ffff, pointer=9)],
    ) / UDP(sport=42000, dport=7777) / Raw(b"hello")
    yield "ipv4 nop padding, eol, icmp echo", eth() / IP(
        src=V4A, dst=V4B, options=[IPOption_NOP(), IPOption_NOP(), IPOption_NOP(), IPOption_EOL()],
    ) / ICMP(type=8, id=0x4d2, seq=7) / Raw(b"ping" * 4)
    yield "ipv4 timestamp with addresses, overflow", eth() / IP(
        src=V4A, dst=V4B,
        options=[IPOption_Timestamp(flg=1, oflw=3, internet_address="10.77.2.254", timestamp=86399999, pointer=13)],
    ) / UDP(sport=53, dport=5353) / Raw(b"\x00" * 12)
    yield "tcp sack with 3 blocks, timestamps", eth() / IP(src=V4A, dst=V4B) / TCP(
        sport=8080, dport=41000, seq=1000, ack=2000, flags="A",
        options=[("NOP", None), ("NOP", None), ("Timestamp", (0xfffffffe, 1)),
                 ("SAck", (3000, 4000, 5000, 6000, 0xfffffff0, 0x10))])
    yield "tcp sack with 4 blocks", eth() / IP(src=V4A, dst=V4B) / TCP(
        sport=8080, dport=41000, seq=1000, ack=2000, flags="A",
        options=[("NOP", None), ("NOP", None), ("SAck", (1, 2, 3, 4, 5, 6, 7, 8))])
    yield "tcp experimental 253 and 254 with exids", eth() / IP(src=V4A, dst=V4B) / TCP(
        sport=41001, dport=80, flags="S",
        options=[(253, b"\x12\x34\xde\xad\xbe\xef"), (254, b"\xab\xcd"), ("MSS", 536), ("NOP", None),
                 ("WScale", 14)])
    yield "tcp unknown kind and odd order", eth() / IP(src=V4A, dst=V4B) / TCP(
        sport=41002, dport=80, flags="PA", seq=7, ack=9,
        options=[("WScale", 2), (99, b"\x01\x02\x03"), ("SAckOK", b""), ("Timestamp", (5, 6)), ("MSS", 1220)],
    ) / Raw(b"GET / HTTP/1.0\r\n\r\n")
    yield "tcp eol then zero padding to the next word", eth() / IP(src=V4A, dst=V4B) / TCP(
        sport=41003, dport=80, flags="S", options=[("MSS", 1460), ("EOL", None)])
    yield "tcp eol inside the last word", eth() / IP(src=V4A, dst=V4B) / TCP(
        sport=41004, dport=80, flags="S", options=[("MSS", 1460), ("NOP", None), ("EOL", None)])
    yield "tcp reserved bits, ae/ns flag, urgent", eth() / IP(src=V4A, dst=V4B) / TCP(
        sport=41005, dport=80, reserved=5, flags="FSRPAUECN", urgptr=3) / Raw(b"urgent")
    yield "ipv4 udp without checksum", eth() / IP(src=V4A, dst=V4B) / UDP(
        sport=42001, dport=7777, chksum=0) / Raw(b"nocsum")
    yield "ipv4 later fragment", eth() / IP(
        src=V4A, dst=V4B, id=99, flags="MF", frag=185, proto=6) / Raw(bytes(range(64)))
    # RFC 792: the quoted datagram is its IP header (here 28 bytes, with options) and 8 bytes of TCP.
    quoted = raw(IP(src=V4B, dst="10.77.3.1", flags="DF", id=0x77,
                    options=[IPOption_RR(routers=["10.77.2.254"])]) /
                 TCP(sport=41010, dport=443, seq=0xcafebabe, flags="PA") / Raw(b"x" * 1400))
    yield "icmp fragmentation needed quoting a header", eth() / IP(src="10.77.2.254", dst=V4B) / ICMP(
        type=3, code=4, nexthopmtu=1280) / Raw(quoted[:28 + 8])
    yield "802.1q, ipv4 udp", eth((Dot1Q, 10, 5, 1)) / IP(src=V4A, dst=V4B) / UDP(
        sport=42002, dport=7777) / Raw(b"tagged")
    yield "802.1ad + 802.1q, ipv6 tcp", eth((Dot1AD, 100, 3, 0), (Dot1Q, 200, 0, 1)) / IPv6(
        src=V6A, dst=V6B, tc=0x28, fl=0x12345) / TCP(sport=41020, dport=8080, flags="S",
                                                   options=[("MSS", 1440), ("SAckOK", b"")])
    yield "double 802.1q, arp", eth((Dot1Q, 30, 1, 0), (Dot1Q, 40, 7, 1)) / ARP(
        op=1, hwsrc=A, psrc=V4A, hwdst="00:00:00:00:00:00", pdst=V4B)
    yield "arp reply with padding", eth() / ARP(op=2, hwsrc=B, psrc=V4B, hwdst=A, pdst=V4A) / Padding(
        load=b"\x00" * 18)
    yield "ipv6 hop-by-hop, routing type 0, atomic fragment, destination options, udp", eth() / IPv6(
        src=V6A, dst="fd00:77:2::fe") / IPv6ExtHdrHopByHop(options=[RouterAlert(value=0), PadN(optdata=b"\x00\x00")]) / \
        IPv6ExtHdrRouting(addresses=["fd00:77:2::fe", "fd00:77:5::5"], segleft=2) / \
        IPv6ExtHdrFragment(offset=0, m=0, id=0xdeadbeef) / \
        IPv6ExtHdrDestOpt(options=[Pad1(), PadN(optdata=b"\x00\x00\x00")]) / UDP(sport=42020, dport=7777) / Raw(b"rh0")
    yield "ipv6 segment routing (segments left 1), tcp", eth() / IPv6(src=V6A, dst="fd00:77:1::2") / \
        IPv6ExtHdrSegmentRouting(addresses=["fd00:77:5::5", "fd00:77:1::2"], segleft=1, tag=0x1234) / \
        TCP(sport=41030, dport=80, flags="S", options=[("MSS", 1220)])
    yield "ipv6 segment routing (segments left 0), udp", eth() / IPv6(src=V6A, dst="fd00:77:5::5") / \
        IPv6ExtHdrSegmentRouting(addresses=["fd00:77:5::5", "fd00:77:1::2"], segleft=0) / \
        UDP(sport=42021, dport=7777) / Raw(b"srv6")
    yield "ipv6 hop-by-hop, destination options, first fragment of udp", eth() / IPv6(src=V6A, dst=V6B) / \
        IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\x00" * 4)]) / IPv6ExtHdrDestOpt() / \
        IPv6ExtHdrFragment(nh=17, offset=0, m=1, id=5) / Raw(raw(UDP(sport=42022, dport=7777, len=1608, chksum=0x1234)) + b"a" * 40)
    yield "ipv6 later fragment after destination options", eth() / IPv6(src=V6A, dst=V6B) / \
        IPv6ExtHdrDestOpt() / IPv6ExtHdrFragment(nh=60, offset=185, m=0, id=5) / \
        Raw(b"\x11\xff" + bytes(range(46)))
    yield "icmpv6 neighbor solicitation with source link-layer address", eth() / IPv6(
        src=V6A, dst="ff02::1:ff00:2", hlim=255) / ICMPv6ND_NS(tgt=V6B) / ICMPv6NDOptSrcLLAddr(lladdr=A)
    yield "icmpv6 neighbor advertisement with target link-layer address and mtu", eth() / IPv6(
        src=V6B, dst=V6A, hlim=255) / ICMPv6ND_NA(R=0, S=1, O=1, tgt=V6B) / ICMPv6NDOptDstLLAddr(lladdr=B) / \
        ICMPv6NDOptMTU(mtu=1280)
    yield "icmpv6 echo request", eth() / IPv6(src=V6A, dst=V6B) / ICMPv6EchoRequest(id=0x4d2, seq=1, data=b"abcdefgh")
    yield "icmpv6 echo reply through routing type 0 with segments left", eth() / IPv6(src=V6B, dst="fd00:77:2::fe") / \
        IPv6ExtHdrRouting(addresses=["fd00:77:1::1"], segleft=1) / ICMPv6EchoReply(id=0x4d2, seq=1, data=b"abcdefgh")


def hexs(b):
    return bytes(b).hex()


def option_list(opts):
    """IPv4 or IPv6 options as scapy parsed them: type, length (None for one-byte ones), data."""
    out = []
    for o in opts:
        b = raw(o)
        if isinstance(o, (IPOption_EOL, IPOption_NOP, Pad1)):
            out.append({"type": b[0], "length": None, "data": ""})
        else:
            out.append({"type": b[0], "length": b[1], "data": hexs(b[2:])})
    return out


def tcp_options(opts):
    out = []
    for name, value in opts:
        if name == "EOL":
            out.append({"kind": 0})
        elif name == "NOP":
            out.append({"kind": 1})
        elif name == "MSS":
            out.append({"kind": 2, "mss": value})
        elif name == "WScale":
            out.append({"kind": 3, "shift": value})
        elif name == "SAckOK":
            out.append({"kind": 4})
        elif name == "SAck":
            out.append({"kind": 5, "blocks": [[value[i], value[i + 1]] for i in range(0, len(value), 2)]})
        elif name == "Timestamp":
            out.append({"kind": 8, "tsval": value[0], "tsecr": value[1]})
        elif isinstance(name, int):
            out.append({"kind": name, "data": hexs(value)})
        else:
            raise ValueError("unexpected TCP option %r" % (name,))
    return out


EXT = {IPv6ExtHdrHopByHop: 0, IPv6ExtHdrRouting: 43, IPv6ExtHdrSegmentRouting: 43, IPv6ExtHdrFragment: 44,
       IPv6ExtHdrDestOpt: 60}


def describe(p):
    d = {"eth": {"dst": p[Ether].dst, "src": p[Ether].src, "type": p[Ether].type}, "tags": []}
    layer, tpid = p[Ether].payload, p[Ether].type
    while isinstance(layer, Dot1Q):  # Dot1AD is a Dot1Q
        d["tags"].append({"tpid": tpid, "pcp": layer.prio, "dei": layer.id, "vid": layer.vlan})
        tpid = layer.type
        layer = layer.payload
    d["etherType"] = tpid
    if ARP in p:
        a = p[ARP]
        d["arp"] = {"op": a.op, "hwsrc": a.hwsrc, "psrc": a.psrc, "hwdst": a.hwdst, "pdst": a.pdst}
    ip = p.getlayer(IP)
    if ip is not None and not isinstance(ip, IPerror):
        header = raw(ip)[:ip.ihl * 4]
        d["ip"] = {
            "ihl": ip.ihl, "tos": ip.tos, "len": ip.len, "id": ip.id, "flags": int(ip.flags), "frag": ip.frag,
            "ttl": ip.ttl, "proto": ip.proto, "chksum": ip.chksum, "chksumOk": checksum(header) == 0,
            "src": ip.src, "dst": ip.dst, "options": option_list(ip.options),
        }
    if IPv6 in p:
        v6 = p[IPv6]
        chain = []
        h = v6.payload
        while type(h) in EXT:
            size = 8 if isinstance(h, IPv6ExtHdrFragment) else (h.len + 1) * 8
            e = {"type": EXT[type(h)], "nh": h.nh, "raw": hexs(raw(h)[:size])}
            if isinstance(h, (IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt)):
                e["options"] = option_list(h.options)
            if isinstance(h, (IPv6ExtHdrRouting, IPv6ExtHdrSegmentRouting)):
                e["routingType"] = h.type
                e["segleft"] = h.segleft
                e["addresses"] = list(h.addresses)
            if isinstance(h, IPv6ExtHdrFragment):
                e["offset"], e["m"], e["id"] = h.offset, h.m, h.id
            chain.append(e)
            h = h.payload
        d["ipv6"] = {"tc": v6.tc, "fl": v6.fl, "plen": v6.plen, "nh": v6.nh, "hlim": v6.hlim, "src": v6.src,
                     "dst": v6.dst, "chain": chain}
    transport = None
    for cls in (TCP, UDP):
        t = p.getlayer(cls)
        if t is not None and not isinstance(t, (TCPerror, UDPerror)):
            transport = t
    fragmented = (ip is not None and "ip" in d and (ip.frag != 0 or ip.flags.MF)) or any(
        e["type"] == 44 and (e["offset"] != 0 or e["m"]) for e in d.get("ipv6", {}).get("chain", []))
    upper = transport
    if isinstance(transport, TCP):
        t = transport
        d["tcp"] = {"sport": t.sport, "dport": t.dport, "seq": t.seq, "ack": t.ack, "dataofs": t.dataofs,
                    "reserved": t.reserved, "flags": int(t.flags), "window": t.window, "chksum": t.chksum,
                    "urgptr": t.urgptr, "options": tcp_options(t.options), "payload": hexs(raw(t.payload))}
    elif isinstance(transport, UDP) and not fragmented:
        u = transport
        d["udp"] = {"sport": u.sport, "dport": u.dport, "len": u.len, "chksum": u.chksum,
                    "payload": hexs(raw(u.payload))}
    if ICMP in p:
        m = p[ICMP]
        upper = m
        d["icmp"] = {"type": m.type, "code": m.code, "chksum": m.chksum,
                     "chksumOk": checksum(raw(m)) == 0}
        if m.type in (0, 8):
            d["icmp"].update({"id": m.id, "seq": m.seq})
        if m.type == 3:
            d["icmp"].update({"nexthopmtu": m.nexthopmtu, "unused": (m.reserved << 8) | m.length})
        if IPerror in p:
            q = p[IPerror]
            d["quoted"] = {"src": q.src, "dst": q.dst, "proto": q.proto, "ihl": q.ihl, "len": q.len,
                           "chksumOk": checksum(raw(q)[:q.ihl * 4]) == 0}
            if TCPerror in p:
                d["quoted"].update({"sport": p[TCPerror].sport, "dport": p[TCPerror].dport,
                                    "seq": p[TCPerror].seq})
    for cls in (ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6EchoRequest, ICMPv6EchoReply):
        if cls in p:
            m = p[cls]
            upper = m
            d["icmpv6"] = {"type": m.type, "code": m.code, "cksum": m.cksum}
            if cls in (ICMPv6EchoRequest, ICMPv6EchoReply):
                d["icmpv6"].update({"id": m.id, "seq": m.seq, "data": hexs(m.data)})
            else:
                d["icmpv6"]["tgt"] = m.tgt
                if cls is ICMPv6ND_NA:
                    d["icmpv6"].update({"R": m.R, "S": m.S, "O": m.O})
                opts, o = [], m.payload
                while o is not None and not isinstance(o, (Raw, Padding)) and len(raw(o)) > 0:
                    b = raw(o)[:o.len * 8]
                    e = {"type": o.type, "len": o.len}
                    if isinstance(o, ICMPv6NDOptSrcLLAddr):  # the target option is a subclass
                        e["lladdr"] = o.lladdr
                    else:
                        e["data"] = hexs(b[2:])
                    opts.append(e)
                    o = o.payload if len(raw(o.payload)) > 0 else None
                d["icmpv6"]["options"] = opts
    # Upper-layer checksum as scapy verifies it: RFC 8200 §8.1 pseudo-header for IPv6 (final
    # destination from a routing header with segments left), RFC 793 for IPv4.
    if upper is not None and not fragmented and not isinstance(upper, ICMP):
        segment = raw(upper)
        if "ipv6" in d:
            nh = 58 if "icmpv6" in d else (6 if isinstance(upper, TCP) else 17)
            d["pseudoDst"] = in6_pseudoheader(nh, upper, len(segment)).dst
            d["l4ChksumOk"] = in6_chksum(nh, upper, segment) == 0
        elif not (isinstance(upper, UDP) and upper.chksum == 0):
            d["l4ChksumOk"] = in4_chksum(6 if isinstance(upper, TCP) else 17, ip, segment) == 0
    return d


def main():
    out = []
    for name, pkt in frames():
        data = raw(pkt)
        entry = {"name": name, "hex": data.hex()}
        entry.update(describe(Ether(data)))
        out.append(entry)
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
