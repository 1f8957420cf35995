import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RTCRtpSender, SrtpSession } from 'werift';
import { parseRtpPacket } from '../../protocol/rtp/rtp-packet.ts';
import { srtpKeyPair } from './srtp-test-kit.ts';
import { RESEND_MIN_INTERVAL_MS, VideoRtpSender } from './video-rtp-sender.ts';

const { keys, viewerKeys } = srtpKeyPair();

/** A sender as it is once DTLS is up, on AES-CM + HMAC (profile 1) or AES-GCM (profile 7). */
function connected(profile: 1 | 7): RTCRtpSender {
  const s = new RTCRtpSender('video');
  Object.assign(s, {
    ssrc: 0x1234,
    codec: { payloadType: 102 },
    dtlsTransport: { state: 'connected', srtp: new SrtpSession({ keys, profile }) },
    runRtcp: async () => {},
  });
  return s;
}

const frame = (i: number) => ({
  payloads: [Buffer.from(`frame ${i}`)],
  rtpTimestamp: i * 3000,
  timeMs: i * 33,
  keyframe: false,
});

for (const profile of [1, 7] as const) {
  test(`profile ${profile}: a NACK for a packet from before the sequence wrap does not break the packets after it`, () => {
    const sent: Buffer[] = [];
    const video = new VideoRtpSender(connected(profile), (d) => sent.push(d), { firstSequenceNumber: 65530 });
    // 65530…65535, then 0…199 (ROC 1): a viewer that lost seq 0 and 65534 NACKs them late, as a starved one does.
    for (let i = 0; i < 206; i++) video.sendFrame(frame(i));
    const viewer = new SrtpSession({ keys: viewerKeys, profile });
    for (const d of sent) viewer.decrypt(d);
    const n = sent.length;
    video.sender.onGenericNack.execute({ lost: [65534, 0] } as never);
    assert.equal(sent.length, n + 2);
    assert.deepEqual(sent[n], sent[4], 'seq 65534 again as first sent (ROC 0)');
    assert.deepEqual(sent[n + 1], sent[6], 'seq 0 again as first sent (ROC 1)');
    // werift's own index tracking moved its rollover counter on these two (65534 after 199, then 0): every
    // later packet was encrypted with ROC 2 and failed the viewer's authentication (the silent WHEP viewer).
    video.sendFrame(frame(206));
    video.sendFrame(frame(207));
    const later = sent.slice(n + 2).map((d) => parseRtpPacket(viewer.decrypt(d)));
    assert.deepEqual(
      later.map((p) => [p.sequenceNumber, p.payload.toString()]),
      [
        [200, 'frame 206'],
        [201, 'frame 207'],
      ],
    );
  });
}

test('the sequence wraps to 0 with the rollover counter up by one (RFC 3711 §3.3.1)', () => {
  const sent: Buffer[] = [];
  const video = new VideoRtpSender(connected(7), (d) => sent.push(d), { firstSequenceNumber: 65535 });
  for (let i = 0; i < 3; i++) video.sendFrame(frame(i));
  const viewer = new SrtpSession({ keys: viewerKeys, profile: 7 });
  assert.deepEqual(
    sent.map((d) => parseRtpPacket(viewer.decrypt(d)).sequenceNumber),
    [65535, 0, 1],
  );
});

test('a packet NACKed again within RESEND_MIN_INTERVAL_MS is not resent again; after it, it is', () => {
  const sent: Buffer[] = [];
  let now = 1000;
  const video = new VideoRtpSender(connected(7), (d) => sent.push(d), { firstSequenceNumber: 10, now: () => now });
  for (let i = 0; i < 4; i++) video.sendFrame(frame(i));
  const nack = (lost: number[]) => video.sender.onGenericNack.execute({ lost } as never);
  nack([11, 12]);
  assert.equal(sent.length, 6);
  now += 5;
  nack([11, 12]); // werift's next NACK of the same two, 5 ms later
  now += RESEND_MIN_INTERVAL_MS - 6;
  nack([11]);
  assert.equal(sent.length, 6, 'held back');
  assert.equal(video.resendsHeldBack, 3);
  now += 1;
  nack([11, 13]);
  assert.deepEqual(
    sent.slice(6),
    [sent[1], sent[3]],
    'seq 11 again once the interval passed, and 13 for the first time',
  );
  assert.equal(video.retransmitted, 4);
});
