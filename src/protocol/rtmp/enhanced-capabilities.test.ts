import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { amf0Object, Amf0EcmaArray } from '../amf0/amf0-value.ts';
import {
  enhancedConnectReply,
  NoEnhancedCapabilities,
  parseEnhancedCapabilities,
  ServerCapsEx,
} from './enhanced-capabilities.ts';

describe('parseEnhancedCapabilities', () => {
  it('reads capsEx bits, fourCcList and both info maps', () => {
    const caps = parseEnhancedCapabilities(
      amf0Object({
        app: 'live',
        fourCcList: ['av01', 'Opus', 'av01', 'toolong', '*'],
        videoFourCcInfoMap: amf0Object({ hvc1: 7, av01: 4 }),
        audioFourCcInfoMap: new Amf0EcmaArray([
          ['Opus', 1],
          ['*', 4],
          ['bad', 1],
        ]),
        capsEx: 2 | 4 | 8,
      }),
    );
    assert.deepEqual(
      { r: caps.reconnect, m: caps.multitrack, x: caps.modEx, n: caps.timestampNanoOffset, c: caps.capsEx },
      { r: false, m: true, x: true, n: true, c: 14 },
    );
    assert.deepEqual(caps.fourCcs, ['av01', 'Opus', '*']);
    assert.deepEqual(
      [...caps.videoFourCcs],
      [
        ['hvc1', 7],
        ['av01', 4],
      ],
    );
    assert.deepEqual(
      [...caps.audioFourCcs],
      [
        ['Opus', 1],
        ['*', 4],
      ],
    );
  });

  it('gives a legacy connect the all-false value and an empty reply', () => {
    const caps = parseEnhancedCapabilities(amf0Object({ app: 'live', tcUrl: 'rtmp://h/live' }));
    assert.equal(caps, NoEnhancedCapabilities);
    assert.equal(enhancedConnectReply(caps).size, 0);
  });

  it('ignores a capsEx that is not a number instead of refusing the connect', () => {
    const caps = parseEnhancedCapabilities(amf0Object({ capsEx: 'all' }));
    assert.equal(caps.enhanced, true);
    assert.equal(caps.reconnect, false);
  });

  it('replies with its own capsEx and the FourCCs it knows among those asked', () => {
    const peer = parseEnhancedCapabilities(
      amf0Object({
        fourCcList: ['hvc1', 'xxxx'],
        videoFourCcInfoMap: amf0Object({ '*': 1, vvc1: 1, nope: 1 }),
        capsEx: 1,
      }),
    );
    const reply = enhancedConnectReply(peer);
    assert.deepEqual(reply.get('fourCcList'), ['hvc1']);
    assert.deepEqual(
      [...(reply.get('videoFourCcInfoMap') as Map<string, number>)],
      [
        ['*', 4],
        ['vvc1', 4],
      ],
    );
    assert.equal(reply.get('capsEx'), ServerCapsEx);
    const wild = enhancedConnectReply(parseEnhancedCapabilities(amf0Object({ fourCcList: ['*'] })));
    assert.equal((wild.get('fourCcList') as string[]).length, 12);
  });

  it('never throws and stays bounded whatever the values are', () => {
    const value = fc.oneof(
      fc.double(),
      fc.string(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string({ maxLength: 5 }), { maxLength: 200 }),
    );
    fc.assert(
      fc.property(value, value, value, (list, caps, map) => {
        const c = parseEnhancedCapabilities(
          amf0Object({
            fourCcList: list,
            capsEx: caps,
            videoFourCcInfoMap: new Map(Object.entries({ a: map })) as never,
          }),
        );
        assert.ok(c.fourCcs.length <= 64);
        assert.ok(c.capsEx >= 0 && c.capsEx <= 15);
        enhancedConnectReply(c);
      }),
    );
  });
});
