import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../errors.ts';
import { countingRandom } from '../../../test/support/rtmp-session-pair.ts';
import { amf0Object } from '../amf0/amf0-value.ts';
import { multitrackBody } from '../flv/ex-fixtures.ts';
import { readExTagBody } from '../flv/ex-multitrack.ts';
import { encodeChunks } from './chunk-encoder.ts';
import { encodeCommand } from './commands.ts';
import { HandshakeSize } from './handshake.ts';
import { ServerSession } from './server-session.ts';

const cmd =
  (
    name: string,
    tx: number,
    obj: Parameters<typeof encodeCommand>[2],
    ...args: Parameters<typeof encodeCommand>[3][]
  ) =>
  (streamId = 0) =>
    encodeChunks({ csid: 3, typeId: 20, streamId, timestamp: 0, payload: encodeCommand(name, tx, obj, ...args) }, 128);

/** A session publishing on stream 1 after a v2 connect (capsEx Multitrack). */
function publishing(): ServerSession {
  const s = new ServerSession({ random: countingRandom(0) });
  s.receive(Buffer.concat([Buffer.of(3), Buffer.alloc(2 * HandshakeSize)]));
  s.receive(cmd('connect', 1, amf0Object({ app: 'live', tcUrl: 'rtmp://h/live', capsEx: 2, fourCcList: ['avc1'] }))());
  s.acceptConnect();
  s.receive(cmd('createStream', 2, null)());
  s.receive(cmd('publish', 3, null, 'mt')(1));
  s.acceptPublish(1);
  s.drain();
  return s;
}

const tracks = [0, 1, 2].map((trackId) => ({
  trackId,
  fourCc: 'avc1',
  body: Buffer.concat([Buffer.of(0, 0, 0), Buffer.alloc(150, trackId + 1)]),
}));
const video = multitrackBody(true, 1, 1, tracks);
const chunks = encodeChunks({ csid: 6, typeId: 9, streamId: 1, timestamp: 40, payload: video }, 128);

describe('ServerSession with Enhanced RTMP v2 media', () => {
  it('remembers the peer capabilities of connect', () => {
    const caps = publishing().peerCapabilities;
    assert.deepEqual([caps.multitrack, caps.reconnect, caps.fourCcs], [true, false, ['avc1']]);
  });

  it('gives the same default track and all tracks however the chunks are split across reads', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: chunks.length - 1 }), { maxLength: 12 }), (cuts) => {
        const s = publishing();
        const at = [0, ...cuts.sort((a, b) => a - b), chunks.length];
        const events = at.slice(1).flatMap((end, i) => s.receive(chunks.subarray(at[i], end)));
        const media = events.filter((e) => e.type === 'media');
        assert.equal(media.length, 1);
        const msg = media[0]!.type === 'media' ? media[0]!.message : undefined;
        assert.deepEqual(msg?.payload.subarray(0, 2), Buffer.of(0x17, 1), 'track 0 as a legacy AVC keyframe');
        assert.equal(msg?.keyframe, true);
        assert.deepEqual(
          readExTagBody(true, msg!.multitrack!).tracks.map((t) => t.trackId),
          [0, 1, 2],
        );
      }),
      { numRuns: 200 },
    );
  });

  it('throws FLV_MULTITRACK_INVALID for a track count that lies (sizes past the message)', () => {
    const lying = Buffer.from(video);
    lying.writeUIntBE(10_000, 7, 3);
    const s = publishing();
    assert.throws(
      () => s.receive(encodeChunks({ csid: 6, typeId: 9, streamId: 1, timestamp: 0, payload: lying }, 128)),
      (e) => e instanceof ProtocolError && e.code === 'FLV_MULTITRACK_INVALID',
    );
  });
});
