import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LiveError } from '../../errors.ts';
import { hex } from '../../../test/fixtures/fixture.ts';
import { MediaType, mediaMessage } from '../media.ts';
import { encodeFlvHeader } from './flv-header.ts';
import { encodeFlvTag } from './flv-tag.ts';

describe('encodeFlvHeader', () => {
  it('writes signature, version 1, TypeFlags, DataOffset 9 and PreviousTagSize0', () => {
    assert.deepEqual(encodeFlvHeader({ audio: true, video: true }), hex('464c56 01 05 00000009 00000000'));
    assert.deepEqual(encodeFlvHeader({ audio: true, video: false }), hex('464c56 01 04 00000009 00000000'));
    assert.deepEqual(encodeFlvHeader({ audio: false, video: true }), hex('464c56 01 01 00000009 00000000'));
  });
});

describe('encodeFlvTag', () => {
  it('writes the tag header, the payload and PreviousTagSize', () => {
    const msg = mediaMessage(MediaType.Video, 0x01020304, hex('17 01 000000 aabb'));
    assert.deepEqual(
      encodeFlvTag(msg),
      hex(`
        09 000007 020304 01 000000  # type, DataSize, Timestamp low 24 bits, TimestampExtended, StreamID
        17 01 000000 aabb           # payload
        00000012                    # PreviousTagSize = 11 + 7
      `),
    );
  });

  it('keeps all 32 timestamp bits and handles an empty payload', () => {
    const msg = mediaMessage(MediaType.Audio, 0xffffffff, Buffer.alloc(0));
    assert.deepEqual(encodeFlvTag(msg), hex('08 000000 ffffff ff 000000 0000000b'));
  });

  it('does not share memory with the payload', () => {
    const payload = hex('02 0001 61');
    const tag = encodeFlvTag(mediaMessage(MediaType.Data, 5, payload));
    payload[0] = 0xff;
    assert.equal(tag[11], 0x02);
  });

  it('refuses a payload that DataSize cannot describe', () => {
    const msg = mediaMessage(MediaType.Video, 0, Buffer.alloc(0x1000000));
    assert.throws(
      () => encodeFlvTag(msg),
      (err: unknown) => err instanceof LiveError && err.code === 'FLV_INVALID',
    );
  });
});
