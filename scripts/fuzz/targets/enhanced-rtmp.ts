/** Enhanced RTMP v2 targets: the ex-header ModEx/Multitrack reader with the default-track rewrite, and connect negotiation. */
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { amf0Object, type Amf0Value } from '../../../src/protocol/amf0/amf0-value.ts';
import { ingestMediaMessage } from '../../../src/protocol/flv/default-track.ts';
import { exAudioBody, multitrackBody, opusHead, withNanoOffset } from '../../../src/protocol/flv/ex-fixtures.ts';
import { MaxTracksPerMessage, readExTagBody } from '../../../src/protocol/flv/ex-multitrack.ts';
import { MediaType } from '../../../src/protocol/media.ts';
import { enhancedConnectReply, parseEnhancedCapabilities } from '../../../src/protocol/rtmp/enhanced-capabilities.ts';
import { coded, OracleFailure, type BytesTarget, type CheckTarget } from '../target.ts';

const avcFrame = Buffer.of(0, 0, 0, 0, 0, 0, 1, 0x65);

/** Seeds written from the spec: every AvMultitrackType, audio and video, with and without ModEx. */
function seeds(): Buffer[] {
  const two = [
    { trackId: 0, fourCc: 'avc1', body: avcFrame },
    { trackId: 1, fourCc: 'hvc1', body: avcFrame },
  ];
  const audio = [
    { trackId: 0, fourCc: 'Opus', body: opusHead() },
    { trackId: 2, fourCc: 'fLaC', body: Buffer.alloc(38, 1) },
  ];
  // The first byte of a seed says the tag type to the target: 0 audio, 1 video.
  const tag = (video: boolean, body: Buffer) => Buffer.concat([Buffer.of(video ? 1 : 0), body]);
  return [
    tag(true, multitrackBody(true, 0, 1, two.slice(0, 1))),
    tag(true, multitrackBody(true, 1, 1, two)),
    tag(true, multitrackBody(true, 2, 0, two)),
    tag(true, withNanoOffset(multitrackBody(true, 1, 1, two), 999_999)),
    tag(false, multitrackBody(false, 2, 0, audio)),
    tag(false, multitrackBody(false, 1, 1, [{ trackId: 3, fourCc: 'ac-3', body: Buffer.of(0x0b, 0x77) }])),
    tag(false, withNanoOffset(exAudioBody(1, 'mp4a', Buffer.of(0x21, 0)), 1)),
  ];
}

/** readExTagBody and ingestMediaMessage: a coded refusal or tracks that are views inside the input. */
export const exMultitrackTarget: BytesTarget = {
  kind: 'bytes',
  name: 'ex-multitrack',
  inputs: 1_000_000,
  maxLen: 512,
  seeds,
  run(input) {
    if (input.length < 2) return 'short';
    const video = (input[0]! & 1) === 1;
    const p = Buffer.from(input.subarray(1)); // a copy: the engine keeps the input for the corpus
    p[0] = video ? p[0]! | 0x80 : (p[0]! & 0x0f) | 0x90;
    return coded(() => {
      const ex = readExTagBody(video, p);
      if (ex.tracks.length > MaxTracksPerMessage) throw new OracleFailure('more tracks than the limit');
      for (const t of ex.tracks) {
        if (
          t.body.buffer !== p.buffer ||
          t.body.byteOffset < p.byteOffset ||
          t.body.byteOffset + t.body.length > p.byteOffset + p.length
        ) {
          throw new OracleFailure('a track body is not a view inside the tag body');
        }
      }
      const msg = ingestMediaMessage(video ? MediaType.Video : MediaType.Audio, 0, p);
      if (msg.multitrack !== undefined && msg.multitrack !== p)
        throw new OracleFailure('multitrack is not the body as sent');
      return `ok:${video ? 'v' : 'a'}:${ex.multitrack ?? '-'}:${ex.packetType}:${Math.min(ex.tracks.length, 3)}:${msg.payload.length === 0 ? 'nodefault' : msg.payload[0]! >> 4}`;
    });
  },
};

const amf0Leaf: fc.Arbitrary<Amf0Value> = fc.oneof(
  fc.double(),
  fc.string({ maxLength: 6 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
);
const connectValue = fc.record({
  fourCcList: fc.oneof(
    amf0Leaf,
    fc.array(fc.oneof(fc.constantFrom('avc1', 'Opus', '*', 'ec-3'), amf0Leaf), { maxLength: 100 }),
  ),
  capsEx: amf0Leaf,
  videoFourCcInfoMap: fc.oneof(amf0Leaf, fc.dictionary(fc.string({ maxLength: 5 }), amf0Leaf, { maxKeys: 80 })),
});
type ConnectValue = typeof connectValue extends fc.Arbitrary<infer T> ? T : never;

/** parseEnhancedCapabilities and the _result reply: never throws, stays bounded, answers only known FourCCs. */
export const enhancedCapsTarget: CheckTarget<ConnectValue> = {
  kind: 'check',
  name: 'enhanced-caps',
  inputs: 20_000,
  arbitrary: connectValue,
  run(v) {
    const map = v.videoFourCcInfoMap;
    const obj = amf0Object({
      fourCcList: v.fourCcList,
      capsEx: v.capsEx,
      videoFourCcInfoMap: map !== null && typeof map === 'object' ? new Map(Object.entries(map)) : map,
    });
    const caps = parseEnhancedCapabilities(obj);
    if (caps.fourCcs.length > 64 || caps.videoFourCcs.size > 64) throw new OracleFailure('unbounded FourCC list');
    const reply = enhancedConnectReply(caps);
    const list = reply.get('fourCcList');
    if (Array.isArray(list) && list.length > 12)
      throw new OracleFailure('the reply lists FourCCs openlive does not know');
    return `caps:${caps.capsEx}:${Math.min(caps.fourCcs.length, 3)}`;
  },
  toJson: (v) => v,
  fromJson: (json) => json as ConnectValue,
};
