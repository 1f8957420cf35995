/**
 * WS-FLV playback against a real service and a real ffmpeg publisher: Node's own WebSocket client reads
 * the FLV header and tags; refusals are HTTP answers before the handshake or close codes after it; hostile
 * clients (unmasked, oversized, bad opcodes, a client that never reads) are ended with their codes while
 * an HTTP-FLV player of the same stream keeps playing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { startService, type TestService } from '../support/service.ts';
import { publish, type FfmpegProcess } from '../support/ffmpeg.ts';
import { FlvReader } from '../support/flv-reader.ts';
import { connectionErrors, metricValue } from '../support/metrics.ts';
import { waitFor } from '../support/wait.ts';

let svc: TestService;
let ffmpeg: FfmpegProcess;
let reader: FlvReader;
const stream = 'wsdemo';

before(async () => {
  svc = await startService({ http: { playWaitMs: 300 }, fanout: { stallTimeoutMs: 2000, maxQueueBytes: 256 * 1024 } });
  // Lossless video: enough bytes per second that a client which never reads fills its socket quickly.
  ffmpeg = publish(svc.urls(stream).push.rtmp, { extraArgs: ['-qp', '0'] });
  await waitFor('ffmpeg live', () => svc.service.hub.get(`live/${stream}`)?.live === true, 20_000);
  reader = await FlvReader.open(svc.urls(stream).play!.flv);
});

after(async () => {
  reader?.close();
  await ffmpeg?.stop();
  await svc?.close();
});

const wsUrl = (s: string): string => svc.urls(s).play!.flv.replace(/^http/, 'ws');

/** FLV tags of a byte stream that starts with the FLV header. */
function parseFlv(bytes: Buffer): {
  header: Buffer;
  tags: { type: number; size: number; timestamp: number; first: number }[];
} {
  if (bytes.length < 13) return { header: bytes, tags: [] };
  assert.equal(bytes.subarray(0, 3).toString('latin1'), 'FLV', 'the body starts with the FLV header');
  const headerSize = bytes.readUInt32BE(5);
  const tags: { type: number; size: number; timestamp: number; first: number }[] = [];
  let off = headerSize + 4; // PreviousTagSize0
  while (off + 11 <= bytes.length) {
    const type = bytes[off]! & 0x1f;
    const size = bytes.readUIntBE(off + 1, 3);
    const timestamp = bytes.readUIntBE(off + 4, 3) | (bytes[off + 7]! << 24);
    if (off + 11 + size + 4 > bytes.length) break;
    tags.push({ type, size, timestamp, first: bytes[off + 11]! });
    assert.equal(bytes.readUInt32BE(off + 11 + size), 11 + size, 'PreviousTagSize matches');
    off += 11 + size + 4;
  }
  return { header: bytes.subarray(0, headerSize), tags };
}

test('the browser WebSocket reads live FLV: header, metadata, AVC and AAC sequence headers, then media in order', async () => {
  const ws = new WebSocket(wsUrl(stream));
  ws.binaryType = 'arraybuffer';
  const chunks: Buffer[] = [];
  let messages = 0;
  ws.onmessage = (e) => {
    messages++;
    chunks.push(Buffer.from(e.data as ArrayBuffer));
  };
  await once(ws as unknown as EventTarget, 'open');
  await waitFor('ws players gauge 1', async () => (await metricValue(svc.httpUrl, 'openlive_ws_flv_players')) === 1);
  await waitFor(
    '2 s of media',
    () => parseFlv(Buffer.concat(chunks)).tags.filter((t) => t.type === 9).length > 50,
    20_000,
  );
  const { header, tags } = parseFlv(Buffer.concat(chunks));
  assert.equal(header[4]! & 0x05, 0x05, 'the header announces audio and video');
  assert.equal(tags[0]?.type, 18, 'onMetaData first');
  const video = tags.filter((t) => t.type === 9);
  const audio = tags.filter((t) => t.type === 8);
  assert.equal(video[0]?.first, 0x17, 'the first video tag is an AVC keyframe (the sequence header)');
  assert.ok(audio.length > 10);
  const media = tags.filter((t) => t.type !== 18);
  for (let i = 1; i < video.length; i++)
    assert.ok(video[i]!.timestamp >= video[i - 1]!.timestamp, 'video timestamps do not go back');
  assert.ok(media.length > messages / 2, `merged writes: ${media.length} tags arrived in ${messages} messages`);
  ws.close();
  await waitFor('ws players gauge 0', async () => (await metricValue(svc.httpUrl, 'openlive_ws_flv_players')) === 0);
});

test('a stream nobody publishes: the handshake succeeds, then close code 4404 STREAM_NOT_FOUND after playWaitMs', async () => {
  const ws = new WebSocket(wsUrl('nobody'));
  const [ev] = (await once(ws as unknown as EventTarget, 'close')) as [CloseEvent];
  assert.equal(ev.code, 4404);
  assert.match(ev.reason, /^STREAM_NOT_FOUND/);
});

/** A raw TCP client for hand-made handshakes and frames. */
async function raw(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ socket: Socket; data: () => Buffer; closed: Promise<unknown> }> {
  const { port } = new URL(svc.httpUrl);
  const socket = connect(Number(port), '127.0.0.1');
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => {});
  const closed = once(socket, 'close');
  const all = {
    host: `127.0.0.1:${port}`,
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-version': '13',
    'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    ...headers,
  };
  const lines = Object.entries(all)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}: ${v}`);
  socket.write(`GET ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
  return { socket, data: () => Buffer.concat(chunks), closed };
}

const signedPath = (s: string): string => {
  const u = new URL(svc.urls(s).play!.flv);
  return u.pathname + u.search;
};

/** A masked client frame. */
function clientFrame(
  opcode: number,
  payload: Buffer,
  options: { mask?: boolean; rsv?: boolean; fin?: boolean } = {},
): Buffer {
  const { mask = true, rsv = false, fin = true } = options;
  const b0 = (fin ? 0x80 : 0) | (rsv ? 0x40 : 0) | opcode;
  const key = Buffer.from([1, 2, 3, 4]);
  const len =
    payload.length < 126
      ? Buffer.from([(mask ? 0x80 : 0) | payload.length])
      : Buffer.from([(mask ? 0x80 : 0) | 126, payload.length >> 8, payload.length & 0xff]);
  const body = mask ? Buffer.from(payload.map((v, i) => v ^ key[i & 3]!)) : payload;
  return Buffer.concat([Buffer.from([b0]), len, mask ? key : Buffer.alloc(0), body]);
}

/** The close code of the last close frame the server sent (after the 101 head). */
function closeCodeOf(bytes: Buffer): number | undefined {
  const head = bytes.indexOf('\r\n\r\n');
  let off = head + 4;
  let code: number | undefined;
  while (off + 2 <= bytes.length) {
    const op = bytes[off]! & 0x0f;
    let len = bytes[off + 1]! & 0x7f;
    let hdr = 2;
    if (len === 126) {
      len = bytes.readUInt16BE(off + 2);
      hdr = 4;
    } else if (len === 127) {
      len = Number(bytes.readBigUInt64BE(off + 2));
      hdr = 10;
    }
    if (op === 0x8 && off + hdr + 2 <= bytes.length) code = bytes.readUInt16BE(off + hdr);
    off += hdr + len;
  }
  return code;
}

test('a bad handshake is HTTP 400 WS_FLV_BAD_HANDSHAKE; an unknown path 404; both counted or answered before any upgrade', async () => {
  const before = await connectionErrors(svc.httpUrl, 'WS_FLV_BAD_HANDSHAKE');
  const bad: Record<string, string>[] = [
    { 'sec-websocket-key': '' },
    { 'sec-websocket-version': '8' },
    { 'sec-websocket-key': 'short' },
  ];
  for (const headers of bad) {
    const c = await raw(signedPath(stream), headers);
    await c.closed;
    assert.match(c.data().toString('latin1'), /^HTTP\/1\.1 400 [\s\S]*WS_FLV_BAD_HANDSHAKE/, JSON.stringify(headers));
  }
  assert.equal(await connectionErrors(svc.httpUrl, 'WS_FLV_BAD_HANDSHAKE'), before + 3);
  const notFlv = await raw('/live/x.m3u8');
  await notFlv.closed;
  assert.match(notFlv.data().toString('latin1'), /^HTTP\/1\.1 404 /);
});

test('hostile frames end the player with 1002/1009, counted; pings get pongs; others keep playing', async () => {
  const cases: Array<[string, Buffer, number, string]> = [
    ['unmasked', clientFrame(0x2, Buffer.from('hi'), { mask: false }), 1002, 'WS_FLV_BAD_FRAME'],
    ['RSV bit', clientFrame(0x2, Buffer.from('hi'), { rsv: true }), 1002, 'WS_FLV_BAD_FRAME'],
    ['opcode 3', clientFrame(0x3, Buffer.from('hi')), 1002, 'WS_FLV_BAD_FRAME'],
    ['fragmented ping', clientFrame(0x9, Buffer.from('hi'), { fin: false }), 1002, 'WS_FLV_BAD_FRAME'],
    ['8 KiB frame', clientFrame(0x2, Buffer.alloc(8192)), 1009, 'WS_FLV_FRAME_TOO_LARGE'],
    [
      'a frame declaring 2^62 bytes',
      Buffer.from([0x82, 0xff, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]),
      1009,
      'WS_FLV_FRAME_TOO_LARGE',
    ],
  ];
  const was = reader.bytes;
  for (const [what, frame, status, code] of cases) {
    const before = await connectionErrors(svc.httpUrl, code);
    const c = await raw(signedPath(stream));
    await waitFor(`${what}: 101`, () => c.data().toString('latin1').startsWith('HTTP/1.1 101'));
    c.socket.write(frame);
    await c.closed;
    assert.equal(closeCodeOf(c.data()), status, what);
    assert.equal(await connectionErrors(svc.httpUrl, code), before + 1, what);
  }
  // A ping is answered with a pong carrying its payload.
  const p = await raw(signedPath(stream));
  await waitFor('101', () => p.data().toString('latin1').startsWith('HTTP/1.1 101'));
  p.socket.write(clientFrame(0x9, Buffer.from('abc')));
  p.socket.write(clientFrame(0x8, Buffer.from([0x03, 0xe8])));
  await p.closed;
  assert.ok(p.data().includes(Buffer.from([0x8a, 3, 0x61, 0x62, 0x63])), 'pong "abc"');
  assert.equal(closeCodeOf(p.data()), 1000);
  await waitFor('the HTTP-FLV player keeps playing', () => reader.bytes > was + 10_000);
  assert.equal((await fetch(`${svc.httpUrl}/healthz`)).status, 200);
});

test('a WS-FLV client that never reads is dropped by the stall timeout; the HTTP-FLV player is unaffected', async () => {
  const c = await raw(signedPath(stream));
  await waitFor('101', () => c.data().toString('latin1').startsWith('HTTP/1.1 101'));
  c.socket.pause();
  await waitFor('ws players gauge 1', async () => (await metricValue(svc.httpUrl, 'openlive_ws_flv_players')) === 1);
  const was = reader.bytes;
  await waitFor(
    'the stalled player is dropped',
    async () => (await metricValue(svc.httpUrl, 'openlive_ws_flv_players')) === 0,
    60_000,
  );
  c.socket.destroy();
  await waitFor('the HTTP-FLV player keeps playing', () => reader.bytes > was + 10_000);
});
