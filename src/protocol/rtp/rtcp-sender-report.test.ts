import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  compactNtp,
  encodeSenderReport,
  MEDIA_CLOCK_REBASE_MS,
  MediaClock,
  NTP_UNIX_OFFSET_S,
  ntpOfUnixMs,
} from './rtcp-sender-report.ts';

/** Unix ms of an NTP 32.32 pair, for checking both tracks' mappings. */
const unixMsOfNtp = (seconds: number, fraction: number) => (seconds - NTP_UNIX_OFFSET_S + fraction / 2 ** 32) * 1000;

test('SR byte fixture (RFC 3550 §6.4.1): header, NTP 32.32, RTP time, counts; SDES CNAME padded (§6.5)', () => {
  const wallMs = Date.UTC(2026, 11, 2, 10, 0, 0) + 500; // x.5 s: the fraction is exactly 2^31
  const b = encodeSenderReport({
    ssrc: 0x11223344,
    wallMs,
    rtpTimestamp: 0xdeadbeef,
    packetCount: 1000,
    octetCount: 123456,
    cname: 'abc',
  });
  const seconds = (wallMs - 500) / 1000 + NTP_UNIX_OFFSET_S;
  const hex = [
    '80c80006', // V=2 RC=0, PT=200, length 6 (7 words)
    '11223344',
    seconds.toString(16).padStart(8, '0'),
    '80000000', // half a second
    'deadbeef',
    '000003e8',
    '0001e240',
    '81ca0003', // V=2 SC=1, PT=202, length 3 (4 words)
    '11223344',
    '0103616263', // CNAME, 3 octets, "abc"
    '000000', // END and padding to the word
  ].join('');
  assert.equal(b.toString('hex'), hex);
});

test('an SR without a CNAME is the 28-byte report alone', () => {
  const b = encodeSenderReport({ ssrc: 1, wallMs: 0, rtpTimestamp: -1, packetCount: 2 ** 32 + 5, octetCount: 7 });
  assert.equal(b.length, 28);
  assert.equal(b.readUInt32BE(8), NTP_UNIX_OFFSET_S);
  assert.equal(b.readUInt32BE(16), 0xffffffff, 'the RTP time is written mod 2^32');
  assert.equal(b.readUInt32BE(20), 5, 'the packet count wraps');
});

test('the NTP fraction is binary (2^32 per second), not the decimal digits of the milliseconds', () => {
  assert.deepEqual(ntpOfUnixMs(250), { seconds: NTP_UNIX_OFFSET_S, fraction: 0x40000000 });
  assert.equal(ntpOfUnixMs(123).fraction, Math.floor(0.123 * 2 ** 32)); // werift 0.24 writes 123 here
  assert.equal(ntpOfUnixMs(0.5).fraction, Math.floor(0.0005 * 2 ** 32), 'sub-millisecond resolution');
  assert.equal(ntpOfUnixMs(999.99999999).fraction <= 0xffffffff, true);
  // The era wraps in 2036 (RFC 5905 §6): the seconds are mod 2^32.
  assert.equal(ntpOfUnixMs((2 ** 32 - NTP_UNIX_OFFSET_S) * 1000 + 1500).seconds, 1);
  assert.equal(
    compactNtp(Date.UTC(2026, 0, 1) + 250),
    (((ntpOfUnixMs(Date.UTC(2026, 0, 1)).seconds & 0xffff) << 16) | 0x4000) >>> 0,
  );
});

test('fast-check: any SR reads back (NTP within 1 µs, CNAME of any length word-aligned with its END)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      fc.double({ min: 0, max: 2e12, noNaN: true }), // to 2033, before the NTP era wraps
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      fc.string({ maxLength: 300 }),
      (ssrc, wallMs, rtp, cname) => {
        const b = encodeSenderReport({ ssrc, wallMs, rtpTimestamp: rtp, packetCount: 1, octetCount: 2, cname });
        assert.equal(b.readUInt16BE(2), 6);
        assert.equal(b.readUInt32BE(4), ssrc);
        assert.ok(Math.abs(unixMsOfNtp(b.readUInt32BE(8), b.readUInt32BE(12)) - wallMs) < 1e-3);
        assert.equal(b.readUInt32BE(16), rtp);
        const text = Buffer.from(cname, 'utf8').subarray(0, 255);
        if (text.length === 0) return assert.equal(b.length, 28);
        assert.equal(b.length % 4, 0);
        assert.equal(b[29], 202);
        assert.equal(28 + 4 * (b.readUInt16BE(30) + 1), b.length, 'the SDES length (words − 1) covers the chunk');
        assert.equal(b[36], 1);
        assert.equal(b[37], text.length);
        assert.ok(b.subarray(38, 38 + text.length).equals(text));
        assert.equal(b[38 + text.length], 0, 'an END item follows');
      },
    ),
  );
});

test('MediaClock: the same media time has the same wall time on the 90 kHz and the 48 kHz clock', () => {
  const c = new MediaClock();
  assert.equal(c.anchored, false);
  assert.equal(c.rtpAt(1000, 90_000), undefined);
  // The first frame (media 5000 ms, RTP 450000) goes out at wall 1_000_000.
  c.sent(1_000_000, 5000);
  assert.equal(c.anchored, true);
  // 2.5 s later, whichever track reports: media time 7500 ms on each RTP clock.
  assert.equal(c.rtpAt(1_002_500, 90_000), 7500 * 90);
  assert.equal(c.rtpAt(1_002_500, 48_000), 7500 * 48);
  // Audio sent late (a transcoder's 100 ms) does not move the mapping; nor do frames sent behind.
  c.sent(1_003_100, 7000);
  assert.equal(c.rtpAt(1_002_500, 48_000), 7500 * 48);
  assert.equal(c.rebases, 0);
  // Fractions of a ms: the RTP time is rounded to its clock.
  assert.equal(c.rtpAt(1_000_000.5, 48_000), 5000 * 48 + 24);
});

test('MediaClock: RTP times wrap at 2^32 as the packets do; a jump past the rebase limit re-anchors', () => {
  const c = new MediaClock();
  const media = 2 ** 32 / 90 - 1000; // one second before the 90 kHz clock wraps
  c.sent(0, media);
  assert.equal(c.rtpAt(2000, 90_000), ((media + 2000) * 90) % 2 ** 32);
  assert.equal(c.rtpAt(2000, 90_000), Math.round((media + 2000) * 90) >>> 0);
  // Before the anchor (a negative media time): still a valid 32-bit value.
  const d = new MediaClock();
  d.sent(10_000, 0);
  assert.equal(d.rtpAt(9_000, 90_000), 2 ** 32 - 90_000);
  // The publisher's timestamps restart at 0 with wall time moving on.
  c.sent(10_000 + MEDIA_CLOCK_REBASE_MS, media + 10_000);
  assert.equal(c.rebases, 0, 'within the limit: the same mapping');
  c.sent(30_000, 100);
  assert.equal(c.rebases, 1);
  assert.equal(c.rtpAt(31_000, 48_000), 1100 * 48);
});
