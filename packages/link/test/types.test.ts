/** Both links are netsim `Link`s (structural check of this package's restated interface). */
import type { Link as NetsimLink } from '@switchyard/netsim';
import { describe, expectTypeOf, it } from 'vitest';
import type { AfPacketLink, Link, TapLink } from '../src/index.js';

describe('types', () => {
  it('AfPacketLink and TapLink implement netsim Link', () => {
    expectTypeOf<AfPacketLink>().toMatchTypeOf<NetsimLink>();
    expectTypeOf<TapLink>().toMatchTypeOf<NetsimLink>();
    expectTypeOf<Link>().toMatchTypeOf<NetsimLink>();
    expectTypeOf<NetsimLink>().toMatchTypeOf<Link>();
  });
});
