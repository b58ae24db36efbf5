/**
 * The netsim `Link` compliance suite on real kernel links, in namespaces this run creates:
 * AfPacketLink <-> AfPacketLink over a veth pair, and TapLink <-> AfPacketLink on the TAP's
 * kernel side (what one end writes into the TAP the kernel receives on the interface, where
 * the packet socket sees it; what the packet socket transmits on the TAP, the TapLink reads).
 */
import { type LinkHarness, linkComplianceCases } from '@switchyard/netsim/compliance';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { AfPacketLink, TapLink } from '../src/index.js';
import { Lab, netnsSkipReason, settleOn } from './lab.js';

const skip = netnsSkipReason();
if (skip !== undefined) console.warn(`skipping Link compliance on AfPacketLink/TapLink: ${skip}`);

describe.skipIf(skip !== undefined)('Link compliance on real links', () => {
  const lab = new Lab();
  let nsA = '';
  let nsB = '';
  let nsT = '';
  beforeAll(() => {
    nsA = lab.ns('a');
    nsB = lab.ns('b');
    nsT = lab.ns('t');
    lab.veth(nsA, 'va', nsB, 'vb');
  });
  afterAll(() => lab.dispose());

  const veth: LinkHarness = {
    createPair() {
      const a = new AfPacketLink({ interface: 'va', netns: nsA });
      const b = new AfPacketLink({ interface: 'vb', netns: nsB });
      return {
        a,
        b,
        settle: () =>
          settleOn(() => a.counters.rxFrames + b.counters.rxFrames + a.counters.rxDrops + b.counters.rxDrops),
        dispose: async () => {
          a.close();
          b.close();
          await Promise.all([a.released(), b.released()]);
        },
      };
    },
  };

  const tap: LinkHarness = {
    createPair() {
      const a = new TapLink({ name: 'ta', netns: nsT });
      const b = new AfPacketLink({ interface: 'ta', netns: nsT });
      return {
        a,
        b,
        settle: () =>
          settleOn(() => a.counters.rxFrames + b.counters.rxFrames + a.counters.rxDrops + b.counters.rxDrops),
        dispose: async () => {
          b.close();
          a.close();
          await Promise.all([a.released(), b.released()]);
        },
      };
    },
  };

  describe('AfPacketLink over a veth pair', () => {
    for (const c of linkComplianceCases) it(c.name, () => c.run(veth));
  });
  describe('TapLink with an AfPacketLink on the TAP', () => {
    for (const c of linkComplianceCases) it(c.name, () => c.run(tap));
  });
});
