/**
 * HTTP targets: the pure parsers behind the playback routes and the Cloud API (byte ranges, names,
 * hosts, stream-name queries, LL-HLS directives, txTime, the TC3 Authorization header and its
 * verification), and the playback app itself through fastify inject with random URLs and headers.
 */
import { PlayAdmission } from '../../../src/control/admission-play.ts';
import { configSchema } from '../../../src/config/config-schema.ts';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { allowAll } from '../../../src/control/access.ts';
import { hostOfHeader, hostOfTcUrl, nameProblem } from '../../../src/control/names.ts';
import { parseTxTime } from '../../../src/control/signing.ts';
import { parseTc3Authorization, verifyTc3 } from '../../../src/control/tc3.ts';
import { FakeClock, testHub } from '../../../src/hub/hub-test-kit.ts';
import { createLog } from '../../../src/log.ts';
import { splitStreamName } from '../../../src/protocol/rtmp/commands.ts';
import { ServerCounters } from '../../../src/servers/counters.ts';
import { readReloadDirective } from '../../../src/servers/hls/blocking-reload.ts';
import { parseByteRange } from '../../../src/servers/hls/byte-range.ts';
import { resolveHlsOptions } from '../../../src/servers/hls/hls-options.ts';
import { authSuffix } from '../../../src/servers/hls/hls-routes.ts';
import { HlsServer } from '../../../src/servers/hls/hls-server.ts';
import { FakeMuxer, feed, headers } from '../../../src/servers/hls/hls-test-kit.ts';
import { buildHttpApp } from '../../../src/servers/http/app.ts';
import { coded, OracleFailure, type BytesTarget, type CheckTarget } from '../target.ts';

const auth =
  'TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2026-11-25/live/tc3_request, SignedHeaders=content-type;host, Signature=' +
  'a'.repeat(64);

/** The string parsers; the first byte picks one, the rest (latin1) is its input. */
export const httpParseTarget: BytesTarget = {
  kind: 'bytes',
  name: 'http-parse',
  inputs: 1_200_000,
  maxLen: 1024,
  seeds() {
    const s = (p: number, text: string) => Buffer.concat([Buffer.of(p), Buffer.from(text, 'latin1')]);
    return [
      s(0, 'bytes=0-99'),
      s(0, 'bytes=-500'),
      s(0, 'bytes=10-'),
      s(0, ' bytes=00000000000000000000001-2 '),
      s(1, 'cam_1'),
      s(1, '..'),
      s(2, 'example.com:8080'),
      s(2, '[::1]:80'),
      s(3, 'rtmp://Host.Example./live?x=1'),
      s(4, 'cam?txSecret=ab&txTime=6933ABCD&x=1&x=1'),
      s(5, '_HLS_msn=5&_HLS_part=2'),
      s(5, '_HLS_part=1'),
      s(6, '6933ABCD'),
      s(7, auth),
      s(8, auth),
    ];
  },
  run(input) {
    const p = input.length === 0 ? 0 : input[0]! % 9;
    const text = input.subarray(1).toString('latin1');
    switch (p) {
      case 0: {
        const size = 1 + ((input.length * 7919) % 100_000);
        const r = parseByteRange(text, size);
        if (
          typeof r === 'object' &&
          !(
            Number.isSafeInteger(r.start) &&
            Number.isSafeInteger(r.end) &&
            0 <= r.start &&
            r.start <= r.end &&
            r.end < size
          )
        ) {
          throw new OracleFailure(`range ${r.start}-${r.end} outside a body of ${size} bytes`);
        }
        return `range:${typeof r}`;
      }
      case 1:
        return `name:${nameProblem(text) ?? 'ok'}`;
      case 2:
        return `host:${hostOfHeader(text) === '' ? 'empty' : 'some'}`;
      case 3:
        return `tcurl:${hostOfTcUrl(text) === '' ? 'empty' : 'some'}`;
      case 4: {
        const { name, query } = splitStreamName(text);
        return `split:${name === '' ? 'empty' : 'some'}:${authSuffix(query) === '' ? 'noauth' : 'auth'}`;
      }
      case 5:
        return `reload:${coded(() => (readReloadDirective(new URLSearchParams(text)) === undefined ? 'none' : 'some'))}`;
      case 6:
        return `txtime:${parseTxTime(text) === undefined ? 'bad' : 'ok'}`;
      case 7:
        return `tc3:${parseTc3Authorization(text) === undefined ? 'bad' : 'ok'}`;
      default:
        return verifyTc3(
          {
            method: 'POST',
            path: '/',
            query: '',
            body: input,
            headers: {
              authorization: text,
              host: 'h:1',
              'content-type': 'application/json',
              'x-tc-timestamp': String(1764064800 + (input[1] ?? 0) - 128),
            },
          },
          { nowSeconds: 1764064800, secretKeyOf: (id) => (id.length % 2 === 0 ? 'secret' : undefined) },
        ).then((r) => `verify:${r.ok ? 'ok' : r.code}`);
    }
  },
};

/** The playback app with HLS on a fake clock and one live stream, `live/cam`. */
async function playbackApp(): Promise<{ app: FastifyInstance; clock: FakeClock; gen: string }> {
  const clock = new FakeClock();
  clock.time = 1_700_000_000_000;
  const { hub } = testHub({ now: clock.now, timers: clock });
  const options = resolveHlsOptions({ now: clock.now, startSegments: 1 });
  const hls = new HlsServer({
    hub,
    options,
    logger: hub.options.logger,
    timers: clock,
    newMuxer: () => new FakeMuxer(),
  });
  hls.start();
  const app = buildHttpApp({
    hub,
    admission: new PlayAdmission({ access: allowAll }),
    counters: new ServerCounters(),
    log: createLog('silent'),
    playWaitMs: 100,
    flvChunked: false,
    hls,
    limits: configSchema.parse({}).http,
    trustedNetworks: [],
  });
  await app.ready();
  const stream = hub.claim('live/cam', { id: 'p1' });
  const sink = { media: (m: Parameters<typeof stream.publish>[0]) => stream.publish(m) };
  headers(sink);
  hls.open('live/cam', 'cam');
  feed({ media: (m) => ((clock.time = 1_700_000_000_000 + m.timestamp), stream.publish(m)) }, undefined, 0, 9000);
  return { app, clock, gen: hls.get('live/cam')?.gen ?? 'x' };
}

/** One request: method, URL pieces and headers. */
interface Request {
  method: 'GET' | 'HEAD' | 'OPTIONS' | 'POST' | 'DELETE';
  url: string;
  range: string | undefined;
  host: string;
}

const piece = fc.oneof(
  fc.constantFrom(
    'live',
    'cam',
    'other',
    '..',
    '.',
    '%2e%2e',
    '%00',
    'a'.repeat(300),
    'cam.flv',
    'cam.m3u8',
    'healthz',
    'metrics',
    '',
    '~',
    'x%2Fy',
  ),
  fc.string({ maxLength: 12 }),
  // Raw bytes, percent-encoded (fc.string's 'binary' unit would cost 80 MB of tables).
  fc.uint8Array({ maxLength: 8 }).map((a) => [...a].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')),
);
const file = fc.oneof(
  fc.tuple(piece, fc.constantFrom('.flv', '.m3u8', '.ts', '', '.mp4')).map(([a, b]) => a + b),
  fc
    .tuple(
      fc.constantFrom('GEN', 'abc', '0', 'z'.repeat(21)),
      fc.constantFrom('0', '1', '2', '99', '999999999999999', '-1'),
      fc.option(fc.constantFrom('0', '1', '3', '1000000')),
    )
    .map(([g, m, p]) => `${g}_${m}${p === null ? '' : `_${p}`}.ts`),
);
const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom(
    '?_HLS_msn=1',
    '?_HLS_msn=2&_HLS_part=0',
    '?_HLS_part=1',
    '?_HLS_msn=-1',
    '?_HLS_msn=99999999999',
    '?txSecret=a&txTime=b',
    '?_HLS_skip=YES',
    '?a=1&a=2&a=3',
  ),
  fc.string({ maxLength: 20 }).map((s) => `?${encodeURIComponent(s)}=${s.length}`),
);
const msn = fc.constantFrom('0', '1', '2', '3', '99', '999999999999999', '-1', '01');
const playable = fc.oneof(
  fc
    .tuple(fc.constantFrom('/live/cam.m3u8', '/live/other.m3u8', '/live/cam.flv', '/x/cam.m3u8'), query)
    .map(([u, q]) => u + q),
  fc
    .tuple(msn, fc.option(fc.constantFrom('0', '1', '2', '9', '1000000')), query)
    .map(([m, p, q]) => `/live/cam/GEN_${m}${p === null ? '' : `_${p}`}.ts${q}`),
);
const requestArb: fc.Arbitrary<Request> = fc.record({
  method: fc.constantFrom(
    'GET' as const,
    'GET' as const,
    'GET' as const,
    'HEAD' as const,
    'OPTIONS' as const,
    'POST' as const,
    'DELETE' as const,
  ),
  url: fc.oneof(
    { weight: 3, arbitrary: playable },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.array(piece, { maxLength: 2 }), file, query)
        .map(([dirs, f, q]) => `/${[...dirs, f].join('/')}${q}`),
    },
  ),
  range: fc.option(
    fc.oneof(
      fc.constantFrom('bytes=0-10', 'bytes=-5', 'bytes=5-', 'bytes=0-0,5-6', 'bytes=99999999-', 'items=1-2'),
      fc.string({ maxLength: 16 }),
    ),
    { nil: undefined },
  ),
  host: fc.constantFrom('localhost', 'localhost', 'localhost', 'example.com:8080', '[::1]:80', '', 'a'.repeat(300)),
});

let playback: { app: FastifyInstance; clock: FakeClock; gen: string } | undefined;

/** Sends one request; a parked one (blocking reload, a segment in progress) is released by moving the fake clock. */
async function send(r: Request): Promise<string> {
  const { app, clock, gen } = playback!;
  let url = r.url.replaceAll('GEN', gen);
  // HTTP-FLV bodies are written to the raw socket, which inject does not have (a real-socket test covers them).
  url = url.replaceAll('.flv', '.m3u8');
  const headers: Record<string, string> = { host: r.host };
  if (r.range !== undefined) headers.range = r.range;
  let res;
  try {
    const pending = app.inject({ method: r.method, url, headers });
    const early = await Promise.race([
      pending,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5)),
    ]);
    if (early === undefined) clock.advance(60_000);
    res = early ?? (await pending);
  } catch (err) {
    // light-my-request refuses some URLs before they reach the app (they never reach a real server either).
    if ((err as { code?: string }).code === 'ERR_INVALID_URL' || err instanceof TypeError) return 'refused-by-inject';
    throw err;
  }
  if (res.statusCode >= 500 && res.statusCode !== 503)
    throw new OracleFailure(`${r.method} ${url} answered ${res.statusCode}: ${res.body.slice(0, 200)}`);
  return `${res.statusCode}`;
}

/** The playback app (FLV, HLS playlist, segment and part routes, health, metrics) through fastify inject. */
export const httpRoutesTarget: CheckTarget<Request> = {
  kind: 'check',
  name: 'http-routes',
  inputs: 100_000,
  async: true,
  arbitrary: requestArb,
  run: send,
  toJson: (r) => r,
  fromJson: (j) => j as Request,
  async setup() {
    playback ??= await playbackApp();
  },
  async close() {
    await playback?.app.close();
    playback = undefined;
  },
};
