/**
 * Hostile input against the whole service while ffmpeg publishes and an HTTP-FLV player reads: each
 * kind of garbage closes only its own connection, with a logged reason and a stable code on /metrics;
 * the live stream keeps flowing and nothing leaks (connections and heap return to baseline).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ErrorCode } from '../../src/errors.ts';
import { ProtocolError } from '../../src/errors.ts';
import { encodeAmf0 } from '../../src/protocol/amf0/amf0-encoder.ts';
import { amf0Object } from '../../src/protocol/amf0/amf0-value.ts';
import { encodeChunks } from '../../src/protocol/rtmp/chunk-encoder.ts';
import { ServerSession } from '../../src/protocol/rtmp/server-session.ts';
import { startServiceWithLog, type TestService } from '../support/service.ts';
import { publish, type FfmpegProcess } from '../support/ffmpeg.ts';
import { FlvReader } from '../support/flv-reader.ts';
import { LogCapture, logLevel } from '../support/log-capture.ts';
import { connectionErrors } from '../support/metrics.ts';
import { RawSocket, basicHeader, type0Header } from '../support/raw-socket.ts';
import { waitFor } from '../support/wait.ts';

// Forcing a full GC makes the heap comparison meaningful without running node with --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const maxMessageSize = 1024 * 1024;
const handshakeTimeoutMs = 500;
const stream = 'steady';
const logs = new LogCapture('warn');
let svc: TestService;
let ffmpeg: FfmpegProcess;
let reader: FlvReader;
let baseline: number;

before(async () => {
  svc = await startServiceWithLog(logs.log, { rtmp: { maxMessageSize, handshakeTimeoutMs } });
  ffmpeg = publish(svc.urls(stream).push.rtmp);
  await waitFor('ffmpeg to go live', () => svc.service.hub.get(`live/${stream}`)?.live === true, 20_000);
  reader = await FlvReader.open(svc.urls(stream).play!.flv);
  await waitFor('the HTTP-FLV reader to get media', () => reader.bytes > 10_000, 15_000);
  baseline = svc.service.rtmp.connectionCount;
  assert.equal(baseline, 1, 'only ffmpeg is connected');
});

after(async () => {
  reader?.close();
  await ffmpeg?.stop();
  await svc?.close();
});

/** Bytes received by the live stream's publisher side and its HTTP-FLV reader, right now. */
function flow(): { bytesIn: number; readerBytes: number } {
  return { bytesIn: svc.service.hub.get(`live/${stream}`)?.stats().bytesIn ?? 0, readerBytes: reader.bytes };
}

/** Both counters move past what they were: the publisher still publishes, the player still plays. */
async function assertStillFlowing(was: { bytesIn: number; readerBytes: number }): Promise<void> {
  await waitFor(
    'the live stream to keep flowing',
    () => {
      const now = flow();
      return now.bytesIn > was.bytesIn && now.readerBytes > was.readerBytes;
    },
    10_000,
  );
  assert.equal(reader.ended, false, 'the HTTP-FLV reader is still connected');
  assert.equal(svc.service.hub.get(`live/${stream}`)?.live, true, 'the stream is still live');
}

/** The 'connection closed' warnings logged with this code. */
function closedLogs(code: ErrorCode): number {
  return logs.filter((e) => e.msg === 'connection closed' && e.code === code && e.level >= logLevel.warn).length;
}

/**
 * Runs one attack: the server must close that socket itself, count `code` once on /metrics, log the
 * reason, keep the live stream flowing and return to the baseline connection count.
 */
async function expectClosedFor(
  code: ErrorCode,
  attack: () => Promise<RawSocket>,
  closeWithinMs = 5000,
): Promise<RawSocket> {
  const counted = await connectionErrors(svc.httpUrl, code);
  const logged = closedLogs(code);
  const was = flow();
  const raw = await attack();
  assert.equal(
    await raw.closedWithin(closeWithinMs),
    true,
    `the server closes the connection within ${closeWithinMs} ms`,
  );
  assert.equal(raw.serverClosed, true, 'closed by the server');
  assert.equal(await connectionErrors(svc.httpUrl, code), counted + 1, `/metrics counts one more ${code}`);
  await logs.waitFor(`connection closed with ${code}`, () => closedLogs(code) > logged);
  const line = logs.filter((e) => e.msg === 'connection closed' && e.code === code).at(-1)!;
  assert.equal(typeof line.reason, 'string');
  assert.notEqual(line.reason, '', 'the log line says why');
  await assertStillFlowing(was);
  await waitFor('connections back to baseline', () => svc.service.rtmp.connectionCount === baseline, 5000);
  return raw;
}

/** A raw connection to the RTMP port. */
function open(): Promise<RawSocket> {
  return RawSocket.open(svc.service.rtmpPort);
}

/** A raw connection that completed a plain handshake. */
async function handshaken(): Promise<RawSocket> {
  const raw = await open();
  await raw.handshake();
  return raw;
}

/** A command message (type 20) on chunk stream 3, chunked at the default 128 bytes. */
function commandChunks(payload: Buffer, csid = 3): Buffer {
  return encodeChunks({ csid, typeId: 20, streamId: 0, timestamp: 0, payload }, 128);
}

/** mulberry32: a small seeded PRNG, so "random" garbage is the same on every run. */
function seeded(seed: number): (n: number) => Buffer {
  let a = seed >>> 0;
  return (n) => {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
    }
    return out;
  };
}

/** What the sans-I/O server session throws on these bytes after a handshake: the code the server must count. */
function oracleCode(garbage: Buffer): ErrorCode | undefined {
  const session = new ServerSession({ maxMessageSize, random: seeded(1) });
  session.receive(Buffer.concat([Buffer.of(3), Buffer.alloc(1536 * 2)]));
  try {
    session.receive(garbage);
  } catch (err) {
    assert.ok(err instanceof ProtocolError, `decoders throw only ProtocolError, got ${String(err)}`);
    return err.code;
  }
  return undefined;
}

test('an HTTP request sent to the RTMP port: RTMP_HANDSHAKE_VERSION', async () => {
  await expectClosedFor('RTMP_HANDSHAKE_VERSION', async () => {
    const raw = await open();
    raw.write(`GET /live/${stream}.flv HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n`);
    return raw;
  });
});

test('C0 version 6 (RTMPE): RTMP_HANDSHAKE_VERSION, with the reason in the log', async () => {
  await expectClosedFor('RTMP_HANDSHAKE_VERSION', async () => {
    const raw = await open();
    raw.write(Buffer.concat([Buffer.of(6), Buffer.alloc(1536)]));
    return raw;
  });
  const line = logs.filter((e) => e.code === 'RTMP_HANDSHAKE_VERSION').at(-1)!;
  assert.match(String(line.reason), /version 6 \(RTMPE/);
});

test('a client that connects and says nothing: RTMP_HANDSHAKE_TIMEOUT, not before the timeout', async () => {
  const started = Date.now();
  await expectClosedFor('RTMP_HANDSHAKE_TIMEOUT', open);
  assert.ok(Date.now() - started >= handshakeTimeoutMs, 'closed by the timeout, not at once');
});

test('a handshake cut off inside C1: RTMP_HANDSHAKE_TIMEOUT', async () => {
  await expectClosedFor('RTMP_HANDSHAKE_TIMEOUT', async () => {
    const raw = await open();
    raw.write(Buffer.concat([Buffer.of(3), Buffer.alloc(700)]));
    return raw;
  });
});

test('a handshake cut off inside C2: RTMP_HANDSHAKE_TIMEOUT', async () => {
  await expectClosedFor('RTMP_HANDSHAKE_TIMEOUT', async () => {
    const raw = await open();
    raw.write(Buffer.concat([Buffer.of(3), Buffer.alloc(1536)]));
    await raw.read(1 + 2 * 1536);
    raw.write(Buffer.alloc(1000));
    return raw;
  });
});

test('seeded random bytes after a good handshake: the code the protocol core gives for the same bytes', async () => {
  const cases: Array<{ seed: number; code: ErrorCode }> = [];
  for (let seed = 1; cases.length < 4 && seed < 100; seed++) {
    const code = oracleCode(seeded(seed)(4096));
    if (code) cases.push({ seed, code });
  }
  assert.equal(cases.length, 4, 'the core rejects most 4 KiB of random bytes');
  assert.ok(new Set(cases.map((c) => c.code)).size >= 2, `more than one kind of rejection: ${JSON.stringify(cases)}`);
  for (const { seed, code } of cases) {
    await expectClosedFor(code, async () => {
      const raw = await handshaken();
      raw.write(seeded(seed)(4096));
      return raw;
    });
  }
});

test('a message longer than rtmp.maxMessageSize: RTMP_MESSAGE_TOO_LARGE', async () => {
  await expectClosedFor('RTMP_MESSAGE_TOO_LARGE', async () => {
    const raw = await handshaken();
    raw.write(Buffer.concat([type0Header(3, 20, maxMessageSize + 1), Buffer.alloc(128)]));
    return raw;
  });
});

test('65 distinct chunk streams with 3-byte basic headers: RTMP_CHUNK_STREAM_LIMIT', async () => {
  await expectClosedFor('RTMP_CHUNK_STREAM_LIMIT', async () => {
    const raw = await handshaken();
    // Each starts a 1000-byte video message and sends only its first 128-byte chunk, so all stay open.
    const chunks: Buffer[] = [];
    for (let csid = 65599; csid > 65599 - 65; csid--) chunks.push(type0Header(csid, 9, 1000, 1), Buffer.alloc(128));
    raw.write(Buffer.concat(chunks));
    return raw;
  });
});

test('a chunk stream id at the top of the 3-byte range is legal: connect on csid 65599 is answered', async () => {
  const errorsBefore = [...svc.service.counters.errors.values()].reduce((a, b) => a + b, 0);
  const raw = await handshaken();
  const connect = encodeAmf0('connect', 1, amf0Object({ app: 'live', tcUrl: `${svc.rtmpUrl}/live` }));
  assert.deepEqual(basicHeader(0, 65599), Buffer.of(1, 0xff, 0xff));
  raw.write(commandChunks(connect, 65599));
  // Window Ack Size, Set Peer Bandwidth and Set Chunk Size come first; the _result follows.
  await raw.until('Connect.Success', (bytes) => bytes.includes('NetConnection.Connect.Success'));
  assert.equal(raw.serverClosed, false);
  raw.destroy();
  await waitFor('connections back to baseline', () => svc.service.rtmp.connectionCount === baseline, 5000);
  const errorsAfter = [...svc.service.counters.errors.values()].reduce((a, b) => a + b, 0);
  assert.equal(errorsAfter, errorsBefore, 'a client that hangs up is not an error');
});

test('a fmt 3 chunk on a chunk stream that never had a header: RTMP_CHUNK_HEADER', async () => {
  await expectClosedFor('RTMP_CHUNK_HEADER', async () => {
    const raw = await handshaken();
    raw.write(Buffer.concat([basicHeader(3, 3), Buffer.alloc(64, 0x41)]));
    return raw;
  });
});

test('Set Chunk Size 0: RTMP_CHUNK_SIZE', async () => {
  await expectClosedFor('RTMP_CHUNK_SIZE', async () => {
    const raw = await handshaken();
    raw.write(Buffer.concat([type0Header(2, 1, 4), Buffer.alloc(4)]));
    return raw;
  });
});

/** connect whose `app` string says it is 0xFFFF bytes long inside a 40-odd-byte message. */
function lyingConnect(): Buffer {
  const name = encodeAmf0('connect', 1);
  const app = Buffer.concat([
    Buffer.of(0x03, 0x00, 0x03),
    Buffer.from('app'),
    Buffer.of(0x02, 0xff, 0xff),
    Buffer.from('live'),
  ]);
  return Buffer.concat([name, app, Buffer.of(0x00, 0x00, 0x09)]);
}

test('a connect whose AMF0 string length lies: AMF0_TRUNCATED', async () => {
  await expectClosedFor('AMF0_TRUNCATED', async () => {
    const raw = await handshaken();
    raw.write(commandChunks(lyingConnect()));
    return raw;
  });
});

test('a connect whose command name length lies: AMF0_TRUNCATED', async () => {
  await expectClosedFor('AMF0_TRUNCATED', async () => {
    const raw = await handshaken();
    raw.write(commandChunks(Buffer.concat([Buffer.of(0x02, 0x7f, 0xff), Buffer.from('connect')])));
    return raw;
  });
});

test('a command nested 5000 objects deep: AMF0_DEPTH', async () => {
  await expectClosedFor('AMF0_DEPTH', async () => {
    const raw = await handshaken();
    // { a: { a: { a: ... } } }: each level is key "a" (00 01 61) and an object marker (03).
    const nested = Buffer.alloc(5000 * 4);
    for (let i = 0; i < 5000; i++) nested.set([0x00, 0x01, 0x61, 0x03], i * 4);
    raw.write(commandChunks(Buffer.concat([encodeAmf0('connect', 1), Buffer.of(0x03), nested])));
    return raw;
  });
});

/** One garbage connection of kind `i % 8`, to completion; resolves when the socket has closed. */
async function garbageConnection(i: number): Promise<void> {
  const raw = await open();
  switch (i % 8) {
    case 0:
      raw.write('GET / HTTP/1.1\r\n\r\n');
      break;
    case 1:
      raw.write(Buffer.concat([Buffer.of(6), Buffer.alloc(1536)]));
      break;
    case 2:
      // Hang up in the middle of C1: no error, but nothing must stay behind either.
      raw.write(Buffer.concat([Buffer.of(3), Buffer.alloc(500)]));
      raw.destroy();
      break;
    case 3:
      await raw.handshake();
      raw.write(Buffer.concat([basicHeader(3, 3), Buffer.alloc(16)]));
      break;
    case 4:
      await raw.handshake();
      raw.write(Buffer.concat([type0Header(2, 1, 4), Buffer.alloc(4)]));
      break;
    case 5:
      await raw.handshake();
      raw.write(commandChunks(lyingConnect()));
      break;
    case 6:
      await raw.handshake();
      raw.write(Buffer.concat([type0Header(3, 20, maxMessageSize + 1), Buffer.alloc(128)]));
      break;
    default:
      await raw.handshake();
      raw.write(seeded(i)(4096));
      // Random bytes the core would merely wait on are cut short by us.
      if (!oracleCode(seeded(i)(4096))) raw.destroy();
  }
  if (!(await raw.closedWithin(5000))) throw new Error(`garbage connection ${i} (kind ${i % 8}) was not closed`);
}

/** Heap in use after a full collection. */
function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

test('300 garbage connections leave no connection behind and the heap bounded', async () => {
  const run = async (count: number, from: number): Promise<void> => {
    const parallel = 10;
    for (let i = 0; i < count; i += parallel) {
      const batch = Array.from({ length: Math.min(parallel, count - i) }, (_, k) => garbageConnection(from + i + k));
      await Promise.all(batch);
    }
    await waitFor('connections back to baseline', () => svc.service.rtmp.connectionCount === baseline, 10_000);
  };
  await run(40, 1000); // warm up: JIT, pools and socket structures settle
  const was = flow();
  const heapBefore = heapAfterGc();
  const started = Date.now();
  await run(300, 2000);
  const heapAfter = heapAfterGc();
  const growth = heapAfter - heapBefore;
  assert.equal(svc.service.rtmp.connectionCount, baseline);
  assert.ok(growth < 20 * 1024 * 1024, `heap grew by ${(growth / 1048576).toFixed(1)} MiB over 300 connections`);
  await assertStillFlowing(was);
  assert.ok(Date.now() - started < 60_000, '300 garbage connections take well under a minute');
});
