import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AvcFlvWriter, readAvcTag } from './avc-flv.ts';
import { opusPacketOfTag, opusRtpToMessage, opusSequenceStart } from './opus-rtp.ts';
import { RtpClock } from './rtp-clock.ts';
import { parseAvcDecoderConfig } from '../codec/avc-config.ts';
import type { MediaMessage } from '../media.ts';

const sps = Buffer.from('6742c01ed900a02ff97011000003000100000300320f162e48', 'hex');
const pps = Buffer.from('68cb83cb20', 'hex');

test('SPS/PPS become one AVC sequence header, then frames of 4-byte-length NAL units', () => {
  const w = new AvcFlvWriter();
  const out: MediaMessage[] = [];
  assert.equal(w.push({ rtpTimestamp: 0, nalus: [Buffer.of(0x41, 1)], keyframe: false }, 0, out), false);
  w.push({ rtpTimestamp: 0, nalus: [Buffer.of(0x09, 0xf0), sps, pps, Buffer.of(0x65, 1, 2)], keyframe: true }, 40, out);
  w.push({ rtpTimestamp: 0, nalus: [sps, pps, Buffer.of(0x65, 3)], keyframe: true }, 80, out);
  assert.equal(out.length, 3); // one header: the repeated parameter sets did not change
  assert.equal(out[0]!.sequenceHeader, true);
  const record = parseAvcDecoderConfig(out[0]!.payload.subarray(5));
  assert.equal(record.width, 640);
  assert.deepEqual(record.sps, [sps]);
  assert.equal(out[1]!.keyframe, true);
  assert.deepEqual([...out[1]!.payload], [0x17, 1, 0, 0, 0, 0, 0, 0, 3, 0x65, 1, 2]);
  assert.equal(out[1]!.timestamp, 40);
  const back = readAvcTag(out[1]!.payload, 4);
  assert.deepEqual(back, { kind: 'frame', keyframe: true, cts: 0, nalus: [Buffer.of(0x65, 1, 2)] });
  const config = readAvcTag(out[0]!.payload, 4);
  assert.equal(config?.kind, 'config');
});

test('readAvcTag stops at a NAL length that lies, and ignores other codecs', () => {
  const body = Buffer.of(0x27, 1, 0, 0, 0, 0, 0, 0, 1, 0x41, 0, 0, 0, 99, 1);
  assert.deepEqual(readAvcTag(body, 4), { kind: 'frame', keyframe: false, cts: 0, nalus: [Buffer.of(0x41)] });
  assert.equal(readAvcTag(Buffer.of(0x2c, 1, 0, 0, 0), 4), undefined);
  assert.equal(readAvcTag(Buffer.of(0x17, 2, 0, 0, 0), 4), undefined);
});

test('Opus RTP payloads round-trip through Enhanced RTMP audio bodies', () => {
  const head = opusSequenceStart(2, 0);
  assert.equal(head.sequenceHeader, true);
  assert.equal(head.payload.subarray(5, 13).toString('latin1'), 'OpusHead');
  const m = opusRtpToMessage(Buffer.of(0xfc, 1, 2), 20)!;
  assert.equal(m.sequenceHeader, false);
  assert.deepEqual(opusPacketOfTag(m.payload), Buffer.of(0xfc, 1, 2));
  assert.equal(opusPacketOfTag(head.payload), undefined);
  assert.equal(opusRtpToMessage(Buffer.alloc(0), 0), undefined);
});

test('RtpClock unwraps the 32-bit timestamp from its origin', () => {
  const c = new RtpClock(90000, 1000);
  assert.equal(c.toMs(0xffffff00), 1000);
  assert.equal(c.toMs(0x00000100 + 90000 - 0x200), 2000 - 0); // wrapped forward by one second
  assert.equal(c.toMs(0x00000100 + 90000 - 0x200 - 9000), 1900); // a step back goes back
});
