/**
 * SRT encryption against libsrt: ffmpeg and srt-live-transmit publish with `passphrase=` (AES-CTR, 128 to
 * 256-bit keys, KMREQ in the handshake); our listener unwraps the keys with the domain's passphrase and the
 * decrypted TS is read by ffprobe. A wrong passphrase is refused with SRT_REJ_BADSECRET and recorded, a
 * caller without one where one is required with SRT_REJ_UNSECURE.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../support/ffmpeg.ts';
import { srtPublishArgs, probeTsFile, publishThroughSrtLiveTransmit } from '../support/srt-ffmpeg.ts';
import { startSrtBed } from '../support/srt-test-bed.ts';
import { waitFor } from '../support/wait.ts';

// ffmpeg passes passphrase= as written (no percent-decoding), so the test's has no characters to escape.
const pass = 'correct-horse-battery';
const tencentId = `#!::h=push.example.com,r=live/cam,txSecret=good,txTime=7FFFFFFF`;

for (const pbkeylen of [16, 24, 32]) {
  test(
    `ffmpeg publishes with passphrase= and pbkeylen=${pbkeylen}: the decrypted TS is H.264/AAC`,
    { timeout: 60_000 },
    async () => {
      const bed = await startSrtBed({ passphrase: pass });
      try {
        const url = `srt://127.0.0.1:${bed.port}?streamid=${tencentId}&latency=200000&passphrase=${encodeURIComponent(pass)}&pbkeylen=${pbkeylen}`;
        const ff = run('ffmpeg', srtPublishArgs(url, 3));
        assert.equal(await ff.exited, 0, ff.stderr());
        await waitFor('the publish to end', () => bed.publishes[0]?.ended !== undefined);
        await bed.publishes[0]!.done;
        const probe = probeTsFile(bed.publishes[0]!.file);
        assert.deepEqual(probe.codecs, ['aac', 'h264']);
        assert.ok(probe.duration > 2.5 && probe.duration < 3.5, `duration ${probe.duration}`);
      } finally {
        await bed.close();
      }
    },
  );
}

test(
  'srt-live-transmit with a passphrase and a per-domain key; the listener advertises pbKeyLen 32',
  { timeout: 60_000 },
  async () => {
    const bed = await startSrtBed({ passphrase: '', domainPassphrases: { 'enc.example.com': pass }, pbKeyLen: 32 });
    try {
      const sid = encodeURIComponent('#!::h=enc.example.com,r=live/slt,txSecret=good');
      await publishThroughSrtLiveTransmit(
        `srt://127.0.0.1:${bed.port}?streamid=${sid}&latency=200&passphrase=${encodeURIComponent(pass)}`,
        3,
        () => bed.publishes[0]?.bytes ?? 0,
        80_000,
      );
      await waitFor('the publish to end', () => bed.publishes[0]?.ended !== undefined);
      await bed.publishes[0]!.done;
      assert.deepEqual(probeTsFile(bed.publishes[0]!.file).codecs, ['aac', 'h264']);
    } finally {
      await bed.close();
    }
  },
);

test(
  'a wrong passphrase is refused with SRT_REJ_BADSECRET, none with SRT_REJ_UNSECURE; both recorded',
  { timeout: 60_000 },
  async () => {
    const bed = await startSrtBed({ passphrase: pass });
    try {
      const wrong = run(
        'ffmpeg',
        srtPublishArgs(`srt://127.0.0.1:${bed.port}?streamid=${tencentId}&passphrase=not-the-passphrase`, 2),
      );
      assert.notEqual(await wrong.exited, 0);
      assert.match(wrong.stderr(), /secret|password|passphrase|BADSECRET/i, wrong.stderr());
      const none = run('ffmpeg', srtPublishArgs(`srt://127.0.0.1:${bed.port}?streamid=${tencentId}`, 2));
      assert.notEqual(await none.exited, 0);
      assert.match(none.stderr(), /unsecure|encrypt|reject/i, none.stderr());
      assert.deepEqual(
        bed.rejections.map((r) => r.refused.code),
        ['SRT_PASSPHRASE_WRONG', 'SRT_PASSPHRASE_REQUIRED'],
      );
      assert.equal(bed.publishes.length, 0);
      assert.equal(bed.server.connectionCount, 0);
    } finally {
      await bed.close();
    }
  },
);

test(
  'a caller with a passphrase where no domain has one is refused with SRT_REJ_UNSECURE',
  { timeout: 60_000 },
  async () => {
    const bed = await startSrtBed();
    try {
      const ff = run(
        'ffmpeg',
        srtPublishArgs(`srt://127.0.0.1:${bed.port}?streamid=${tencentId}&passphrase=0123456789abc`, 2),
      );
      assert.notEqual(await ff.exited, 0);
      assert.match(ff.stderr(), /password|unsecure|reject/i, ff.stderr());
      assert.equal(bed.publishes.length, 0);
    } finally {
      await bed.close();
    }
  },
);
