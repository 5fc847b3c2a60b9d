/** The 1:1 send's thread codec (c2c-send.ts `sendC2CCodec`): what it packs comes back equal, for every kind of argument and result. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sendC2CCodec, type C2CSendArgs, type C2CSendResult } from '../../src/services/c2c-send.js';

const facts = fc.record({
  sender: fc.record({ nick: fc.string(), avatar: fc.string(), messageSettings: fc.integer({ min: 0, max: 1 }), adminForbidType: fc.string() }),
  hiddenForReceiver: fc.boolean(),
});

const args: fc.Arbitrary<C2CSendArgs> = fc.record({
  base: fc.record({
    ID: fc.string(),
    conversationType: fc.constantFrom('C2C' as const, 'GROUP' as const),
    from: fc.string(),
    to: fc.string(),
    time: fc.integer(),
    clientTime: fc.integer(),
    random: fc.integer(),
    type: fc.string(),
    payload: fc.dictionary(fc.string(), fc.jsonValue()),
    cloudCustomData: fc.string(),
    priority: fc.constantFrom('High' as const, 'Normal' as const, 'Low' as const, 'Lowest' as const),
    isRevoked: fc.boolean(),
    revoker: fc.string(),
  }),
  convKey: fc.string(),
  facts: fc.option(facts, { nil: null }),
});

const stored = fc.record({
  kind: fc.constant('stored' as const),
  seq: fc.nat(),
  senderOrd: fc.nat(),
  nick: fc.string(),
  avatar: fc.string(),
  hiddenForReceiver: fc.boolean(),
  discarded: fc.boolean(),
  json: fc.string(),
});
const refused = fc.record({ kind: fc.constant('refused' as const), code: fc.integer(), message: fc.string() });

describe('sendC2CCodec', () => {
  it('unpacks the arguments it packed, with and without facts', () => {
    fc.assert(
      fc.property(args, (a) => {
        const packed = sendC2CCodec.packArgs(a);
        // Only primitives and the payload cross: no object per field.
        expect(packed.filter((v) => typeof v === 'object' && v !== null)).toEqual([a.base.payload]);
        expect(sendC2CCodec.unpackArgs(structuredClone(packed))).toEqual(a);
      }),
    );
  });

  it('unpacks every kind of result it packed', () => {
    fc.assert(
      fc.property(fc.oneof(stored, refused), (r: C2CSendResult) => {
        expect(sendC2CCodec.unpackResult(structuredClone(sendC2CCodec.packResult(r)))).toEqual(r);
      }),
    );
    const duplicate: C2CSendResult = {
      kind: 'duplicate',
      message: {
        ID: 'm1', conversationType: 'C2C', from: 'a', to: 'b', seq: 3, time: 10, clientTime: 9, random: 7, type: 'TIMTextElem',
        payload: { text: 'hi' }, cloudCustomData: '', priority: 'Normal', nick: 'A', avatar: '', isRevoked: false, revoker: '',
        onlineOnly: false, convKey: 'a|b', senderOrd: 2, revokeTime: 0, hiddenForReceiver: false,
      },
    };
    expect(sendC2CCodec.unpackResult(structuredClone(sendC2CCodec.packResult(duplicate)))).toEqual(duplicate);
  });
});
