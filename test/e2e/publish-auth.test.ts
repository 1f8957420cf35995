/**
 * Signed push URLs with real ffmpeg: a valid URL publishes; each kind of bad URL is refused before
 * Publish.Start with its break code in ffmpeg's own log and in the rejected-attempt records.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startService, type TestService } from '../support/service.ts';
import { publish, probe, type FfmpegProcess } from '../support/ffmpeg.ts';
import { waitFor } from '../support/wait.ts';
import { formatTxTime, txSecretOf } from '../../src/control/signing.ts';
import { streamUrls } from '../../src/control/stream-urls.ts';

let svc: TestService;

before(async () => {
  svc = await startService();
});

after(async () => {
  await svc.close();
});

/** The default push domain's key (what the banner signs with). */
function pushKey(): string {
  return svc.service.defaults.push!.auth.key;
}

/** A push URL for `live/<stream>` with exactly this query. */
function pushUrl(stream: string, query: string): string {
  return `${svc.rtmpUrl}/live/${stream}${query ? `?${query}` : ''}`;
}

/** Runs ffmpeg against a URL that must be refused; resolves with its stderr once it gives up. */
async function refusedPublish(url: string): Promise<string> {
  const ff = publish(url, { seconds: 10 });
  const code = await ff.exited;
  assert.notEqual(code, 0, 'ffmpeg must fail');
  return ff.stderr();
}

/** The newest rejected attempt for a stream. */
async function lastRejection(stream: string) {
  const page = await svc.service.store.listRejectedAttempts({ limit: 50 });
  return page.items.find((r) => r.stream === stream);
}

async function assertRefused(
  stream: string,
  query: string,
  breakCode: string,
  code: string,
  words: RegExp,
): Promise<void> {
  const stderr = await refusedPublish(pushUrl(stream, query));
  assert.match(stderr, new RegExp(`Server error: ${breakCode}: `), `ffmpeg said: ${stderr}`);
  assert.match(stderr, words);
  const record = await lastRejection(stream);
  assert.equal(record?.breakCode, breakCode);
  assert.equal(record?.code, code);
  assert.ok(!record?.query.includes(txSecretOf(pushKey(), stream, '')), 'no secret stored');
  assert.equal(svc.service.hub.get(`live/${stream}`)?.live ?? false, false, 'nothing went live');
}

test('a signed URL from the banner publishes and plays', async () => {
  const ff = publish(svc.urls('good').push.rtmp);
  try {
    await waitFor('live', () => svc.service.hub.get('live/good')?.live === true);
    const result = await probe(svc.urls('good').play!.flv, 1);
    assert.ok(result.streams.some((s) => s.codec_name === 'h264'));
  } finally {
    await ff.stop();
  }
  await waitFor('the record to end', async () => {
    const page = await svc.service.records.list({ limit: 10 });
    return page.items.some((r) => r.stream === 'good' && r.breakCode === '1/0');
  });
  const record = (await svc.service.records.list({ limit: 10 })).items.find((r) => r.stream === 'good')!;
  assert.equal(record.width, 320);
  assert.equal(record.height, 240);
  assert.match(record.videoCodec ?? '', /H264/);
  assert.ok(record.bytesIn > 0);
});

test("expired URL: 18/501 with the expiry time in ffmpeg's log", async () => {
  const txTime = formatTxTime(Math.floor(Date.now() / 1000) - 3600);
  const query = `txSecret=${txSecretOf(pushKey(), 'old', txTime)}&txTime=${txTime}`;
  await assertRefused('old', query, '18/501', 'TXTIME_EXPIRED', /expired at \d{4}-\d\d-\d\dT/);
});

test('wrong key: 18/503', async () => {
  const txTime = formatTxTime(Math.floor(Date.now() / 1000) + 3600);
  const query = `txSecret=${txSecretOf('0'.repeat(32), 'wrongkey', txTime)}&txTime=${txTime}`;
  await assertRefused('wrongkey', query, '18/503', 'SIGNATURE_INVALID', /txSecret/);
});

test('missing txTime: 18/500; missing txSecret: 18/502', async () => {
  await assertRefused('notime', 'txSecret=00112233445566778899aabbccddeeff', '18/500', 'TXTIME_MISSING', /txTime/);
  const txTime = formatTxTime(Math.floor(Date.now() / 1000) + 3600);
  await assertRefused('nosecret', `txTime=${txTime}`, '18/502', 'TXSECRET_MISSING', /txSecret/);
});

test('a forbidden stream is refused with 18/305 and the reason; resume lets it back', async () => {
  await svc.service.streams.forbid({ app: 'live', stream: 'banned', reason: 'terms violation' });
  const stderr = await refusedPublish(svc.urls('banned').push.rtmp);
  assert.match(stderr, /Server error: 18\/305: .*terms violation/);
  assert.equal((await lastRejection('banned'))?.breakCode, '18/305');
  await svc.service.streams.resume('live', 'banned');
  const ff = publish(svc.urls('banned').push.rtmp);
  try {
    await waitFor('live after resume', () => svc.service.hub.get('live/banned')?.live === true);
  } finally {
    await ff.stop();
  }
});

test('a disabled push domain is refused with 18/303', async () => {
  const domain = svc.service.defaults.push!.name;
  await svc.service.domains.disable(domain);
  try {
    const stderr = await refusedPublish(svc.urls('offdomain').push.rtmp);
    assert.match(stderr, /Server error: 18\/303: /);
  } finally {
    await svc.service.domains.enable(domain);
  }
});

test('a second publisher is refused with 18/601 and the first keeps going', async () => {
  const first = publish(svc.urls('dup').push.rtmp);
  try {
    await waitFor('the first live', () => svc.service.hub.get('live/dup')?.live === true);
    const before = svc.service.hub.get('live/dup')!.stats().bytesIn;
    const stderr = await refusedPublish(svc.urls('dup').push.rtmp);
    assert.match(stderr, /Server error: 18\/601: .*already being published/);
    assert.equal((await lastRejection('dup'))?.code, 'STREAM_ALREADY_PUBLISHING');
    await waitFor('the first still flowing', () => svc.service.hub.get('live/dup')!.stats().bytesIn > before + 10_000);
    assert.equal(svc.service.hub.get('live/dup')?.live, true);
  } finally {
    await first.stop();
  }
});

test('forbidding a live stream drops its publisher at once (21/101)', async () => {
  const ff: FfmpegProcess = publish(svc.urls('kick').push.rtmp);
  try {
    await waitFor('live', () => svc.service.hub.get('live/kick')?.live === true);
    await svc.service.streams.forbid({ app: 'live', stream: 'kick', reason: 'spam' });
    await ff.exited;
    assert.notEqual(svc.service.hub.get('live/kick')?.live, true);
    await waitFor('the record to say 21/101', async () => {
      const page = await svc.service.records.list({ limit: 20 });
      return page.items.some((r) => r.stream === 'kick' && r.breakCode === '21/101');
    });
  } finally {
    await ff.stop();
    await svc.service.streams.resume('live', 'kick');
  }
});

test('play authentication: an unsigned HTTP-FLV play gets 403 with a JSON reason, a signed one plays', async () => {
  const play = svc.service.defaults.play!.name;
  const playDomain = await svc.service.domains.setAuth(play, { enabled: true });
  const ff = publish(svc.urls('paid').push.rtmp);
  try {
    await waitFor('live', () => svc.service.hub.get('live/paid')?.live === true);
    const refused = await fetch(`${svc.httpUrl}/live/paid.flv`);
    assert.equal(refused.status, 403);
    const body = (await refused.json()) as { code: string; message: string };
    assert.equal(body.code, 'TXTIME_MISSING');
    assert.match(body.message, /^18\/500: /);
    const signed = streamUrls({
      app: 'live',
      stream: 'paid',
      expiresAt: Math.floor(Date.now() / 1000) + 600,
      push: { host: '127.0.0.1', auth: svc.service.defaults.push!.auth },
      play: { host: '127.0.0.1', auth: playDomain.auth },
      httpPort: svc.service.httpPort,
    }).play!.flv;
    assert.match(signed, /txSecret=/);
    const result = await probe(signed, 1);
    assert.ok(result.streams.some((s) => s.codec_name === 'h264'));
  } finally {
    await ff.stop();
    await svc.service.domains.setAuth(play, { enabled: false });
  }
});

test('replace policy: a signed newcomer takes over a live stream and the old session ends with 21/102', async () => {
  const push = svc.service.defaults.push!.name;
  await svc.service.domains.setReplacePublisher(push, true);
  const first = publish(svc.urls('swap').push.rtmp);
  let second: FfmpegProcess | undefined;
  try {
    await waitFor('the first live', () => svc.service.hub.get('live/swap')?.live === true);
    const firstId = svc.service.hub.get('live/swap')!.publisher!.id;
    second = publish(svc.urls('swap').push.rtmp);
    await waitFor('the newcomer to hold the stream', () => {
      const p = svc.service.hub.get('live/swap')?.publisher;
      return p !== undefined && p.id !== firstId;
    });
    await first.exited;
    await waitFor('the record to say 21/102', async () => {
      const page = await svc.service.records.list({ limit: 20 });
      return page.items.some((r) => r.stream === 'swap' && r.breakCode === '21/102');
    });
  } finally {
    await first.stop();
    await second?.stop();
    await svc.service.domains.setReplacePublisher(push, false);
  }
});
