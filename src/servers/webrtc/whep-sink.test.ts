import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { RTCRtpSender, SrtpSession } from 'werift';
import type { MediaMessage } from '../../protocol/media.ts';
import { encodeFlvTag } from '../../protocol/flv/flv-tag.ts';
import { parseRtpPacket } from '../../protocol/rtp/rtp-packet.ts';
import { AvcFlvWriter } from '../../protocol/rtp/avc-flv.ts';
import { rtpFrameCacheStats } from './rtp-frame-cache.ts';
import { SendPacer } from './send-pacer.ts';
import { srtpKeyPair } from './srtp-test-kit.ts';
import { VideoRtpSender } from './video-rtp-sender.ts';
import { WhepSink } from './whep-sink.ts';

const { keys, viewerKeys } = srtpKeyPair();

/** A werift sender as it is once DTLS is up: SSRC, negotiated payload type, an SRTP session (AES-GCM). */
function connectedSender(ssrc: number): RTCRtpSender {
  const s = new RTCRtpSender('video');
  Object.assign(s, {
    ssrc,
    codec: { payloadType: 102 },
    dtlsTransport: { state: 'connected', srtp: new SrtpSession({ keys, profile: 7 }) },
    runRtcp: async () => {},
  });
  return s;
}

/** FLV tags of a stream: its sequence header, a 5000-byte IDR (FU-A fragments), one inter frame. */
function flvTags(t0 = 1000, w = new AvcFlvWriter()): Buffer[] {
  const out: MediaMessage[] = [];
  const sps = Buffer.from([0x67, 0x42, 0xe0, 0x1f, 0xda, 0x01, 0x40, 0x16, 0xe8]);
  const pps = Buffer.from([0x68, 0xce, 0x3c, 0x80]);
  const idr = Buffer.concat([Buffer.of(0x65), randomBytes(4999)]);
  w.push({ rtpTimestamp: 0, keyframe: true, nalus: [sps, pps, idr] }, t0, out);
  w.push(
    { rtpTimestamp: 0, keyframe: false, nalus: [Buffer.concat([Buffer.of(0x41), randomBytes(300)])] },
    t0 + 33,
    out,
  );
  return out.map(encodeFlvTag);
}

function viewer(ssrc: number, pacer: SendPacer, maxLagMs = 1000, tally = { skips: 0, skippedFrames: 0 }) {
  const sent: Buffer[] = [];
  const sender = connectedSender(ssrc);
  const video = new VideoRtpSender(sender, (d) => sent.push(d));
  let drains = 0;
  const sink = new WhepSink({
    video,
    audio: undefined,
    mtu: 1200,
    maxLagMs,
    pacer,
    tally,
    onDrain: () => drains++,
    onEnd: () => {},
  });
  return { sink, sent, sender, video, drains: () => drains };
}

test('two viewers of one stream: frames packetized once, each viewer its own SSRC and sequence, queued bytes reported', () => {
  const deferred: (() => void)[] = [];
  // A clock that never moves: the whole queue goes out in one turn, however slow the machine is.
  const pacer = new SendPacer({ defer: (r) => deferred.push(r), now: () => 0 });
  const a = viewer(1111, pacer);
  const b = viewer(2222, pacer);
  const tags = flvTags();
  const before = rtpFrameCacheStats.packetized;
  a.sink.write([...tags]);
  b.sink.write([...tags]);
  const total = tags.reduce((s, t) => s + t.length, 0);
  assert.equal(a.sink.bufferedBytes, total, 'video tags wait for the pacer and count as buffered');
  assert.equal(a.sent.length, 0);
  deferred.shift()!();
  assert.equal(a.sink.bufferedBytes, 0);
  assert.equal(b.sink.bufferedBytes, 0);
  assert.equal(rtpFrameCacheStats.packetized - before, 2, 'two frames, packetized once for both viewers');
  assert.equal(a.sink.framesSent, 2);
  assert.ok(a.drains() >= 2, 'the hub hears of progress');
  for (const v of [a, b]) {
    const peer = new SrtpSession({ keys: viewerKeys, profile: 7 });
    const packets = v.sent.map((d) => parseRtpPacket(peer.decrypt(d)));
    // IDR: SPS, PPS as single NAL packets, then ceil(4999 / 1198) FU-A fragments; then the inter frame.
    assert.equal(packets.length, 2 + 5 + 1);
    for (let i = 1; i < packets.length; i++) {
      assert.equal(packets[i]!.sequenceNumber, (packets[0]!.sequenceNumber + i) & 0xffff);
    }
    assert.ok(packets.every((p) => p.ssrc === v.sender.ssrc && p.payloadType === 102));
    assert.deepEqual(
      packets.map((p) => p.marker),
      [false, false, false, false, false, false, true, true],
    );
    assert.equal(packets[0]!.timestamp, 90_000);
    assert.equal(packets[7]!.timestamp, 1033 * 90);
    assert.equal(packets[2]!.payload[0]! & 0x1f, 28, 'FU-A');
  }
  assert.deepEqual(
    a.sent.map((d) => parseRtpPacket(new SrtpSession({ keys: viewerKeys, profile: 7 }).decrypt(d)).payload),
    b.sent.map((d) => parseRtpPacket(new SrtpSession({ keys: viewerKeys, profile: 7 }).decrypt(d)).payload),
  );
});

test('a NACK is answered from the ring with the packet as first sent; unknown sequence numbers are ignored', () => {
  const deferred: (() => void)[] = [];
  // A clock that never moves: the whole queue goes out in one turn, however slow the machine is.
  const pacer = new SendPacer({ defer: (r) => deferred.push(r), now: () => 0 });
  const a = viewer(3333, pacer);
  a.sink.write(flvTags());
  deferred.shift()!();
  const peer = new SrtpSession({ keys: viewerKeys, profile: 7 });
  const first = a.sent.map((d) => parseRtpPacket(peer.decrypt(d)));
  const lostSeq = first[3]!.sequenceNumber;
  const n = a.sent.length;
  a.sender.onGenericNack.execute({ lost: [lostSeq, (lostSeq + 1000) & 0xffff] } as never);
  assert.equal(a.sent.length, n + 1);
  assert.deepEqual(a.sent[n], a.sent[3], 'the same SRTP packet again (same index, same keystream)');
  assert.equal(a.video.retransmitted, 1);
});

test('a disposed sink drops its queue and sends nothing more', () => {
  const deferred: (() => void)[] = [];
  // A clock that never moves: the whole queue goes out in one turn, however slow the machine is.
  const pacer = new SendPacer({ defer: (r) => deferred.push(r), now: () => 0 });
  const a = viewer(4444, pacer);
  a.sink.write(flvTags());
  a.sink.dispose();
  assert.equal(a.sink.bufferedBytes, 0);
  deferred.shift()!();
  a.sink.write(flvTags());
  assert.equal(a.sent.length, 0);
  assert.equal(pacer.pending, 0);
});

test('a viewer the pacer cannot keep in time skips to the newest keyframe (webrtc.maxSendLagMs)', () => {
  const deferred: (() => void)[] = [];
  // A clock that never moves: the whole queue goes out in one turn, however slow the machine is.
  const pacer = new SendPacer({ defer: (r) => deferred.push(r), now: () => 0 });
  const tally = { skips: 0, skippedFrames: 0 };
  const a = viewer(5555, pacer, 1000, tally);
  const w = new AvcFlvWriter();
  a.sink.write(flvTags(1000, w)); // header, keyframe at 1000, inter at 1033: none sent yet
  a.sink.write(flvTags(1900, w).slice(0)); // keyframe 900 ms later: within the lag, kept
  assert.equal(a.sink.skips, 0);
  const late = flvTags(2100, w); // a keyframe 1100 ms after the oldest queued frame
  a.sink.write(late);
  assert.equal(a.sink.skips, 1);
  assert.equal(a.sink.framesSkipped, 4, 'the four queued frames went; the sequence header stayed');
  assert.deepEqual(tally, { skips: 1, skippedFrames: 4 }, 'counted for openlive_whep_lag_skips_total');
  assert.equal(a.sink.bufferedBytes, flvTags().at(0)!.length + late.reduce((s, t) => s + t.length, 0));
  deferred.shift()!();
  assert.equal(a.sink.framesSent, 2);
  const peer = new SrtpSession({ keys: viewerKeys, profile: 7 });
  const packets = a.sent.map((d) => parseRtpPacket(peer.decrypt(d)));
  assert.equal(packets[0]!.timestamp, 2100 * 90, 'the viewer starts again at the new keyframe');
  assert.equal(packets[0]!.payload[0]! & 0x1f, 7, 'with SPS in front');
});
