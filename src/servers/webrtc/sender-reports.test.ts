import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { RTCRtpSender, SrtcpSession, SrtpSession } from 'werift';
import type { MediaMessage } from '../../protocol/media.ts';
import { encodeFlvTag } from '../../protocol/flv/flv-tag.ts';
import { AvcFlvWriter } from '../../protocol/rtp/avc-flv.ts';
import { NTP_UNIX_OFFSET_S } from '../../protocol/rtp/rtcp-sender-report.ts';
import { SendPacer } from './send-pacer.ts';
import { SenderReports } from './sender-reports.ts';
import { srtpKeyPair } from './srtp-test-kit.ts';
import { VideoRtpSender } from './video-rtp-sender.ts';
import { WhepSink } from './whep-sink.ts';

const { keys, viewerKeys } = srtpKeyPair();

/** One decrypted Sender Report: its SSRC, wall time (Unix ms), RTP time and counts. */
interface Sr {
  ssrc: number;
  wallMs: number;
  rtp: number;
  packets: number;
  octets: number;
  cname: string;
}

function readSr(b: Buffer): Sr {
  assert.equal(b[1], 200, 'an SR first');
  return {
    ssrc: b.readUInt32BE(4),
    wallMs: (b.readUInt32BE(8) - NTP_UNIX_OFFSET_S + b.readUInt32BE(12) / 2 ** 32) * 1000,
    rtp: b.readUInt32BE(16),
    packets: b.readUInt32BE(20),
    octets: b.readUInt32BE(24),
    cname: b[29] === 202 ? b.subarray(38, 38 + b[37]!).toString() : '',
  };
}

/** A WHEP viewer with a video and an audio werift sender sharing one DTLS transport, on a clock the test moves. */
function viewer() {
  const sent: Buffer[] = [];
  const dtls = {
    state: 'connected',
    srtp: new SrtpSession({ keys, profile: 7 }),
    srtcp: new SrtcpSession({ keys, profile: 7 }),
    transportSequenceNumber: 0,
    sendRtp: async () => 100,
  };
  const video = new RTCRtpSender('video');
  Object.assign(video, { ssrc: 0x1111, codec: { payloadType: 102 }, dtlsTransport: dtls, cname: 'viewer-cname' });
  const audio = new RTCRtpSender('audio');
  Object.assign(audio, { ssrc: 0x2222, codec: { payloadType: 111 }, dtlsTransport: dtls, cname: 'viewer-cname' });
  const deferred: (() => void)[] = [];
  let now = 1_764_000_000_000;
  const sink = new WhepSink({
    video: new VideoRtpSender(video, (d) => sent.push(d)),
    audio,
    mtu: 1200,
    maxLagMs: 0,
    pacer: new SendPacer({ defer: (r) => deferred.push(r), now: () => 0 }),
    onDrain: () => {},
    onEnd: () => {},
    now: () => now,
  });
  const peer = new SrtcpSession({ keys: viewerKeys, profile: 7 });
  return {
    sink,
    video,
    audio,
    /** The SRs sent so far, decrypted (SRTCP: the second octet is the clear RTCP packet type). */
    reports: () => sent.filter((d) => d[1] === 200).map((d) => readSr(peer.decrypt(d))),
    rtpSent: () => sent.filter((d) => d[1] !== 200).length,
    flush: () => deferred.splice(0).forEach((r) => r()),
    advance: (ms: number) => (now += ms),
    now: () => now,
  };
}

/** An AVC sequence header and one IDR frame at `t` ms (FLV time). */
function videoTags(t: number, w: AvcFlvWriter): Buffer[] {
  const out: MediaMessage[] = [];
  const sps = Buffer.from([0x67, 0x42, 0xe0, 0x1f, 0xda, 0x01, 0x40, 0x16, 0xe8]);
  const pps = Buffer.from([0x68, 0xce, 0x3c, 0x80]);
  w.push(
    { rtpTimestamp: 0, keyframe: true, nalus: [sps, pps, Buffer.concat([Buffer.of(0x65), randomBytes(500)])] },
    t,
    out,
  );
  return out.map(encodeFlvTag);
}

test('video and transcoded audio SRs map the same media time to the same NTP time, though audio is sent 100 ms later', () => {
  const v = viewer();
  const w = new AvcFlvWriter();
  const start = v.now();
  v.sink.write(videoTags(5000, w)); // media 5000 ms, sent now
  v.flush();
  // The transcoder's packet for media 5000 ms (RTP 5000 × 48) comes out 100 ms later.
  v.advance(100);
  v.sink.sendOpus(Buffer.alloc(80, 1), 5000 * 48);
  const [sv, sa] = v.reports();
  assert.ok(sv && sa, 'one SR per track with its first packet');
  assert.equal(sv.ssrc, 0x1111);
  assert.equal(sa.ssrc, 0x2222);
  assert.equal(sv.cname, 'viewer-cname');
  // NTP − RTP/rate: the wall time of media time 0, which must be one instant for both tracks.
  const videoZero = sv.wallMs - sv.rtp / 90;
  const audioZero = sa.wallMs - sa.rtp / 48;
  assert.ok(Math.abs(videoZero - audioZero) < 0.05, `video ${videoZero} vs audio ${audioZero}`);
  assert.ok(Math.abs(videoZero - (start - 5000)) < 0.05, 'anchored at the first frame');
  assert.ok(Math.abs(sa.wallMs - (start + 100)) < 0.01, 'the NTP time is when the report is sent');
  assert.equal(sv.packets, v.rtpSent(), 'the packet count is what went out');
  assert.equal(sa.packets, 1);
  assert.equal(sa.octets, 80);
  // werift's SR loop never started, and werift's RTT matching sees the SR's middle NTP bits.
  for (const s of [v.video, v.audio]) {
    const f = s as unknown as { rtcpRunning: boolean; lastSRtimestamp?: number };
    assert.equal(f.rtcpRunning, true);
    assert.equal(typeof f.lastSRtimestamp, 'number');
  }
});

test('each track reports once a second while it sends, not per packet', () => {
  const v = viewer();
  const w = new AvcFlvWriter();
  v.sink.write(videoTags(0, w));
  v.flush();
  for (let i = 0; i < 100; i++) {
    v.advance(20);
    v.sink.sendOpus(Buffer.alloc(10), i * 960);
  }
  // 2 s of audio: SRs at 20 ms and 1020 ms; the video sent once, so one video SR.
  const reports = v.reports();
  assert.equal(reports.filter((r) => r.ssrc === 0x2222).length, 2);
  assert.equal(reports.filter((r) => r.ssrc === 0x1111).length, 1);
  v.advance(1000);
  v.sink.write(videoTags(3000, w));
  v.flush();
  assert.equal(v.reports().filter((r) => r.ssrc === 0x1111).length, 2);
  assert.equal(v.sink.reports!.sent, 4);
});

test('no SR before the first video frame anchors the clock, nor before DTLS; werift senders stopped send none', () => {
  let ok = false;
  const out: Buffer[] = [];
  const video = new RTCRtpSender('video');
  const audio = new RTCRtpSender('audio');
  const r = new SenderReports({
    video,
    audio,
    sendRtcp: (b) => (ok ? out.push(b) > 0 : false),
    now: () => 1000,
  });
  r.audioSent();
  assert.equal(out.length, 0, 'audio alone has no media time to map');
  r.videoSent(0);
  assert.equal(out.length, 0, 'SRTCP not up yet');
  ok = true;
  r.videoSent(33);
  assert.equal(out.length, 1, 'the first report once it can go out, without waiting an interval');
  audio.stop();
  r.audioSent();
  assert.equal(out.length, 1, 'a stopped sender reports nothing');
  const noAudio = new SenderReports({ video, audio: undefined, sendRtcp: () => true, now: () => 0 });
  noAudio.audioSent();
  assert.equal(noAudio.sent, 0);
});
