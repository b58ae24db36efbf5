/**
 * Decodes a pcap file and prints one line per frame, tcpdump style, with checksum checks.
 * Usage: pnpm --filter @switchyard/wire run example [file.pcap]   (default: the shipped sample)
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  decodeFrame,
  FrameDecoder,
  Layer,
  LinkType,
  readPcap,
  summarizeFrame,
  WireError,
} from '@switchyard/wire';

/** Checks the checksums the frame carries; returns '' or ' [bad checksum: ...]'. */
function checksumNote(d: FrameDecoder): string {
  const bad: string[] = [];
  if (d.has(Layer.IPV4) && !d.ipv4.verifyChecksum()) bad.push('ipv4');
  const pseudo = d.has(Layer.IPV4)
    ? d.ipv4.pseudoHeaderSum()
    : d.has(Layer.IPV6)
      ? d.ipv6.pseudoHeaderSum()
      : 0;
  if (d.has(Layer.TCP) && !d.tcp.verifyChecksum(pseudo)) bad.push('tcp');
  if (d.has(Layer.UDP) && !d.udp.verifyChecksum(pseudo, d.has(Layer.IPV6) ? 6 : 4)) bad.push('udp');
  if (d.has(Layer.ICMPV4) && !d.icmpv4.verifyChecksum()) bad.push('icmp');
  if (d.has(Layer.ICMPV6) && !d.icmpv6.verifyChecksum(pseudo)) bad.push('icmpv6');
  return bad.length === 0 ? '' : ` [bad checksum: ${bad.join(', ')}]`;
}

export function describePcap(bytes: Uint8Array): string[] {
  const file = readPcap(bytes);
  if (file.linkType !== LinkType.ETHERNET) throw new Error(`link type ${file.linkType} is not Ethernet`);
  const d = new FrameDecoder();
  const lines: string[] = [];
  const start = file.records[0]?.timestampNs ?? 0n;
  let malformed = 0;
  file.records.forEach((record, i) => {
    decodeFrame(record.data, d);
    if (d.failedLayer !== 0) malformed++;
    const t = (Number(record.timestampNs - start) / 1e9).toFixed(6);
    lines.push(`${String(i + 1).padStart(3)} ${t.padStart(10)}  ${summarizeFrame(d)}${checksumNote(d)}`);
  });
  lines.push(`${file.records.length} frames, ${malformed} malformed`);
  return lines;
}

const invokedDirectly = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (invokedDirectly) {
  const path = process.argv[2] ?? fileURLToPath(new URL('./sample.pcap', import.meta.url));
  try {
    for (const line of describePcap(readFileSync(path))) console.log(line);
  } catch (err) {
    console.error(err instanceof WireError ? `${path}: ${err.message}` : err);
    process.exit(1);
  }
}
