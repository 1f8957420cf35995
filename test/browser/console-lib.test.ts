/**
 * The console's signing code, run in Node against the server's own: the browser's TC3 (WebCrypto) must
 * produce what verifyTc3 accepts, its MD5 must be MD5, and its URLs must pass the server's signature check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { md5Hex } from '../../console/src/lib/md5.ts';
import { sha256Hex } from '../../console/src/lib/sha256.ts';
import { tc3Authorization } from '../../console/src/lib/tc3.ts';
import { formatTxTime, generateUrls } from '../../console/src/lib/stream-urls.ts';
import { fileUrlSigner } from '../../console/src/lib/file-urls.ts';
import type { ApiClient } from '../../console/src/lib/api.ts';
import { signTc3, verifyTc3 } from '../../src/control/tc3.ts';
import { verifySignature } from '../../src/control/signing.ts';
import { streamUrls } from '../../src/control/stream-urls.ts';
import { parseStreamId } from '../../src/control/srt-stream-id.ts';

test('md5Hex is MD5 of the UTF-8 bytes, at every padding boundary and for any string', () => {
  assert.equal(md5Hex(''), 'd41d8cd98f00b204e9800998ecf8427e');
  // Tencent's hotlink vector (tencent-css.md §1.3).
  assert.equal(md5Hex('e12c46f2612d5106e2034781ab261ca3test5C271099'), 'f85a2ab363fe4deaffef9754d79da6fe');
  for (let n = 50; n < 140; n++)
    assert.equal(md5Hex('x'.repeat(n)), createHash('md5').update('x'.repeat(n)).digest('hex'), `length ${n}`);
  fc.assert(
    fc.property(
      fc.string({ unit: 'grapheme', maxLength: 300 }),
      (s) => md5Hex(s) === createHash('md5').update(s, 'utf8').digest('hex'),
    ),
  );
});

test("the console's TC3 Authorization equals the server's and verifies, with the port in the signed host", async () => {
  const input = {
    secretId: 'AKIDconsole',
    secretKey: 'k'.repeat(32),
    service: 'live',
    host: '127.0.0.1:8081',
    timestampSeconds: 1_767_225_600,
    payload: '{"PageNum":1}',
  };
  const browser = await tc3Authorization({ ...input, contentType: 'application/json' });
  assert.equal(browser, signTc3(input));
  const result = await verifyTc3(
    {
      method: 'POST',
      path: '/',
      query: '',
      headers: {
        authorization: browser,
        host: '127.0.0.1:8081',
        'content-type': 'application/json',
        'x-tc-timestamp': String(input.timestampSeconds),
      },
      body: Buffer.from(input.payload),
    },
    {
      nowSeconds: input.timestampSeconds + 10,
      secretKeyOf: (id) => (id === input.secretId ? input.secretKey : undefined),
    },
  );
  assert.deepEqual(result.ok && result.secretId, 'AKIDconsole');
  const wrong = await tc3Authorization({ ...input, secretKey: 'other', contentType: 'application/json' });
  assert.notEqual(wrong, browser);
  // As the console sends calls: x-tc-action and a unique x-tc-traceid signed too.
  const extraSignedHeaders = {
    'x-tc-action': 'DescribeLiveDomains',
    'x-tc-traceid': '0123456789abcdef0123456789abcdef',
  };
  const withExtra = await tc3Authorization({ ...input, contentType: 'application/json', extraSignedHeaders });
  assert.equal(withExtra, signTc3({ ...input, extraSignedHeaders }));
  assert.match(withExtra, /SignedHeaders=content-type;host;x-tc-action;x-tc-traceid,/);
});

test('generated URLs match the server-side generator and pass its signature check', () => {
  const expiresAt = 1_767_225_600;
  const urls = generateUrls({
    app: 'live',
    stream: 'cam1',
    expiresAt,
    ports: { rtmp: 1935, http: 8080 },
    push: { name: 'push.example.com', key: 'pushkey1' },
    play: { name: 'play.example.com', key: undefined },
  });
  const auth = { enabled: true, key: 'pushkey1', backupKey: '', authDelta: 300, algorithm: 'md5' as const };
  const server = streamUrls({
    app: 'live',
    stream: 'cam1',
    expiresAt,
    push: { host: 'push.example.com', auth },
    play: { host: 'play.example.com', auth: { ...auth, enabled: false } },
    rtmpPort: 1935,
    httpPort: 8080,
  });
  assert.deepEqual(urls.push, server.push);
  assert.deepEqual(urls.play, server.play);
  assert.equal(urls.txTime, formatTxTime(expiresAt));
  const q = new URL(urls.push!.rtmp).searchParams;
  const check = verifySignature({
    streamName: 'cam1',
    txTime: q.get('txTime') ?? undefined,
    txSecret: q.get('txSecret') ?? undefined,
    key: 'pushkey1',
    backupKey: '',
    authDelta: 300,
    algorithm: 'md5',
    nowMs: (expiresAt - 60) * 1000,
  });
  assert.deepEqual(check, { ok: true, keyUsed: 'master', expiresAt: (expiresAt + 300) * 1000 });
});

test('with RTMPS and HTTPS on, the console and the server hand out the same rtmps:// and https:// URLs', () => {
  const expiresAt = 1_767_225_600;
  const ports = { rtmp: 1935, http: 8080, rtmps: 1936, https: 443 };
  const urls = generateUrls({
    app: 'live',
    stream: 'cam1',
    expiresAt,
    ports,
    push: { name: 'push.example.com', key: 'k1' },
    play: { name: 'play.example.com', key: undefined },
  });
  const auth = { enabled: true, key: 'k1', backupKey: '', authDelta: 300, algorithm: 'md5' as const };
  const server = streamUrls({
    app: 'live',
    stream: 'cam1',
    expiresAt,
    push: { host: 'push.example.com', auth },
    play: { host: 'play.example.com', auth: { ...auth, enabled: false } },
    rtmpPort: 1935,
    httpPort: 8080,
    rtmpsPort: 1936,
    httpsPort: 443,
  });
  assert.deepEqual(urls.push, server.push);
  assert.deepEqual(urls.play, server.play);
  assert.match(urls.push!.rtmps!, /^rtmps:\/\/push\.example\.com:1936\/live\/cam1\?txSecret=/);
  assert.equal(urls.play!.httpsHls, 'https://play.example.com/live/cam1.m3u8');
});

test('with SRT and WebRTC on, the console and the server hand out the same SRT, WHIP and WHEP URLs', () => {
  const expiresAt = 1_767_225_600;
  const urls = generateUrls({
    app: 'live',
    stream: 'cam1',
    expiresAt,
    ports: { rtmp: 1935, http: 8080, https: 8443, srt: 9000, webrtc: true },
    push: { name: 'push.example.com', key: 'k1' },
    play: { name: 'play.example.com', key: undefined },
  });
  const auth = { enabled: true, key: 'k1', backupKey: '', authDelta: 300, algorithm: 'md5' as const };
  const server = streamUrls({
    app: 'live',
    stream: 'cam1',
    expiresAt,
    push: { host: 'push.example.com', auth },
    play: { host: 'play.example.com', auth: { ...auth, enabled: false } },
    rtmpPort: 1935,
    httpPort: 8080,
    httpsPort: 8443,
    srtPort: 9000,
    webrtc: true,
  });
  assert.deepEqual(urls.push, server.push);
  assert.deepEqual(urls.play, server.play);
  const q = new URL(urls.push!.rtmp).searchParams;
  assert.equal(
    urls.push!.srt,
    `srt://push.example.com:9000?streamid=#!::h=push.example.com,r=live/cam1,txSecret=${q.get('txSecret')},txTime=${q.get('txTime')}`,
  );
  // The SRT listener's own parser reads the same stream, domain and signature out of it.
  const parsed = parseStreamId(urls.push!.srt!.split('streamid=')[1]!, '')!;
  assert.deepEqual(
    [parsed.mode, parsed.request.host, parsed.request.app, parsed.request.stream, parsed.request.query.get('txSecret')],
    ['publish', 'push.example.com', 'live', 'cam1', q.get('txSecret')],
  );
  assert.equal(urls.push!.whip, `http://push.example.com:8080/live/cam1/whip?${q}`);
  assert.equal(urls.push!.whipHttps, `https://push.example.com:8443/live/cam1/whip?${q}`);
  assert.equal(urls.play!.whep, 'http://play.example.com:8080/live/cam1/whep');
  // Off: no SRT or WebRTC URLs at all.
  const off = generateUrls({
    app: 'live',
    stream: 'c',
    expiresAt,
    ports: { rtmp: 1935, http: 80 },
    push: { name: 'p', key: 'k' },
  });
  assert.deepEqual([off.push!.srt, off.push!.whip], [undefined, undefined]);
});

test('sha256Hex is SHA-256 of the UTF-8 bytes, at every padding boundary and for any string', () => {
  for (let n = 0; n < 130; n++) {
    const text = 'k'.repeat(n);
    assert.equal(sha256Hex(text), createHash('sha256').update(text, 'utf8').digest('hex'), `length ${n}`);
  }
  fc.assert(
    fc.property(
      fc.string({ unit: 'grapheme' }),
      (text) => sha256Hex(text) === createHash('sha256').update(text, 'utf8').digest('hex'),
    ),
  );
});

test('a SHA-256 domain gets URLs the server generates and accepts', () => {
  const expiresAt = 1_767_225_600;
  const auth = { enabled: true, key: 'shakey', backupKey: '', authDelta: 300, algorithm: 'sha256' as const };
  const urls = generateUrls({
    app: 'live',
    stream: 's1',
    expiresAt,
    ports: { rtmp: 1935, http: 8080 },
    push: { name: 'p.example.com', key: 'shakey', algorithm: 'sha256' },
  });
  const server = streamUrls({
    app: 'live',
    stream: 's1',
    expiresAt,
    push: { host: 'p.example.com', auth },
    rtmpPort: 1935,
    httpPort: 8080,
  });
  assert.deepEqual(urls.push, server.push);
  const q = new URL(urls.push!.rtmp).searchParams;
  const check = verifySignature({
    streamName: 's1',
    txTime: q.get('txTime') ?? undefined,
    txSecret: q.get('txSecret') ?? undefined,
    key: 'shakey',
    backupKey: '',
    authDelta: 300,
    algorithm: 'sha256',
    nowMs: (expiresAt - 60) * 1000,
  });
  assert.equal(check.ok, true);
});

test('fileUrlSigner: the host picks the play domain; its key signs what the server checks; no auth, no query', async () => {
  (globalThis as { location?: { href: string } }).location ??= { href: 'http://127.0.0.1:8081/console/' };
  const auth: Record<string, { Enable: number; AuthKey: string; Algorithm?: string }> = {
    'play.example.com': { Enable: 1, AuthKey: 'defaultkey', Algorithm: 'sha256' },
    'cdn.example.com': { Enable: 1, AuthKey: 'cdnkey' },
    'open.example.com': { Enable: 0, AuthKey: 'unused' },
  };
  const calls: string[] = [];
  const api = {
    call: async (action: string, params: { DomainName?: string }) => {
      calls.push(action);
      if (action === 'DescribeLiveDomains')
        return { DomainList: Object.keys(auth).map((Name) => ({ Name, Type: 1 })), AllCount: 3 };
      return { PlayAuthKeyInfo: auth[params.DomainName!] };
    },
  } as unknown as ApiClient;
  const now = 1_760_000_000_000;
  const sign = fileUrlSigner(api, 'play.example.com', now);
  const check = (url: string, stream: string, key: string, algorithm: 'md5' | 'sha256') => {
    const q = new URL(url).searchParams;
    return verifySignature({
      streamName: stream,
      txTime: q.get('txTime') ?? undefined,
      txSecret: q.get('txSecret') ?? undefined,
      key,
      backupKey: '',
      authDelta: 0,
      algorithm,
      nowMs: now + 3_599_000,
    }).ok;
  };
  // A bare address is served by the default play domain (SHA-256 here).
  const pic = await sign('http://127.0.0.1:8080/snapshot/files/7/cam_1.jpg', 'cam');
  assert.ok(check(pic, 'cam', 'defaultkey', 'sha256'), pic);
  assert.ok(!check(pic, 'cam', 'cdnkey', 'sha256'));
  // A play domain's own name: its key; a URL that has a query keeps it.
  const rec = await sign('http://CDN.example.com/record/files/3/cam.flv?x=1', 'cam');
  assert.match(rec, /\?x=1&txSecret=[0-9a-f]{32}&txTime=/);
  assert.ok(check(rec, 'cam', 'cdnkey', 'md5'), rec);
  // Play auth off: the URL as it was; an empty URL (no file store) stays empty.
  assert.equal(
    await sign('http://open.example.com/record/files/3/cam.flv', 'cam'),
    'http://open.example.com/record/files/3/cam.flv',
  );
  assert.equal(await sign('', 'cam'), '');
  // One domain list and one key read per domain, however many URLs.
  await sign('http://127.0.0.1:8080/snapshot/files/8/cam_2.jpg', 'cam');
  assert.deepEqual(calls.sort(), [
    'DescribeLiveDomains',
    'DescribeLivePlayAuthKey',
    'DescribeLivePlayAuthKey',
    'DescribeLivePlayAuthKey',
  ]);
});
