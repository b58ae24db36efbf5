import { AfPacketLink, buildFilter, TapLink } from '@switchyard/link';
import { MacAddress } from '@switchyard/wire';

/**
 * Opens a TAP and an AF_PACKET link on its kernel side (both inside `netns`), sends one
 * frame each way, and returns what each end received and counted.
 */
export async function echoExample(netns: string) {
  const tap = new TapLink({ name: 'sy0', netns, mtu: 1500 });
  const wire = new AfPacketLink({
    interface: 'sy0',
    netns,
    filter: buildFilter({ etherTypes: [0x88b5] }), // only the experimental EtherType crosses into user space
  });

  const atWire: number[] = [];
  wire.onReceive((frame, info) => {
    atWire.push(frame.length);
    if (info.checksumNotReady) console.log('fill in the L4 checksum before forwarding this one');
  });
  const atTap: string[] = [];
  tap.onReceive((frame) => {
    atTap.push(MacAddress.format(MacAddress.read(frame, 6)));
  });

  const frame = new Uint8Array(60);
  MacAddress.write(tap.interfaceMac, frame, 0); // to the kernel's side of the TAP
  MacAddress.write(tap.mac, frame, 6);
  frame.set([0x88, 0xb5], 12);
  tap.send(frame); // the kernel receives it on sy0, where the packet socket sees it

  frame.set([0x88, 0xb5], 12);
  MacAddress.write(tap.mac, frame, 0);
  MacAddress.write(wire.mac, frame, 6);
  wire.send(frame); // transmitted on sy0: the TAP's reader gets it

  // Both frames arrive within microseconds; allow a loaded machine a few seconds.
  for (let waited = 0; (atWire.length === 0 || atTap.length === 0) && waited < 3000; waited += 10)
    await new Promise((resolve) => setTimeout(resolve, 10));
  const counters = { wire: { ...wire.refreshStatistics() }, tap: { ...tap.counters } };
  wire.close();
  tap.close();
  await Promise.all([wire.released(), tap.released()]);
  return { atWire, atTap, counters };
}
