/**
 * The RTMP chunk layer, AMF0 and names under attack, against a real server process: tiny chunks,
 * partial messages on every chunk stream, the 1 MB / 100 000-parameter connect and 60 KB stream
 * names. Each attack is closed with its code (counted on /metrics) while /healthz answers within
 * 200 ms (polled every 50 ms), RSS stays bounded and a real ffmpeg publish keeps flowing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { Agent, get } from 'node:http';
import { encodeAmf0 } from '../../src/protocol/amf0/amf0-encoder.ts';
import { amf0Object } from '../../src/protocol/amf0/amf0-value.ts';
import { encodeChunks } from '../../src/protocol/rtmp/chunk-encoder.ts';
import { publish, type FfmpegProcess } from '../support/ffmpeg.ts';
import { FlvReader } from '../support/flv-reader.ts';
import { connectionErrors } from '../support/metrics.ts';
import { RawSocket, basicHeader, type0Header } from '../support/raw-socket.ts';
import { ScriptedRtmp } from '../support/scripted-rtmp.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { waitFor } from '../support/wait.ts';

const MiB = 1024 * 1024;

/** Polls /healthz every 50 ms and keeps the slowest answer of the current window. */
class HealthPoller {
  worst = 0;
  answers = 0;
  failures: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  private readonly url: string;
  constructor(url: string) {
    this.url = url;
  }

  start(): void {
    const tick = (): void => {
      // A request in flight when stop() came must not schedule the next one: the poller would run forever.
      if (this.stopped) return;
      const started = performance.now();
      const req = get(this.url, { agent: this.agent, timeout: 5000 }, (res) => {
        res.resume();
        res.on('end', () => {
          this.worst = Math.max(this.worst, performance.now() - started);
          if (res.statusCode === 200) this.answers++;
          else this.failures.push(`HTTP ${res.statusCode}`);
          this.timer = setTimeout(tick, 50);
        });
      });
      req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
      req.on('error', (err) => {
        this.failures.push(err.message);
        this.timer = setTimeout(tick, 50);
      });
    };
    tick();
  }

  /** Starts a new window. */
  reset(): void {
    this.worst = 0;
    this.answers = 0;
    this.failures = [];
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.agent.destroy();
  }
}

/** A server process with ffmpeg publishing live/demo, an HTTP-FLV reader on it and a /healthz poller. */
interface Bed {
  server: ServerProcess;
  ffmpeg: FfmpegProcess;
  reader: FlvReader;
  health: HealthPoller;
  httpUrl: string;
}

async function startBed(flags: string[]): Promise<Bed> {
  const server = await startServerProcess(flags);
  const httpUrl = `http://127.0.0.1:${server.httpPort}`;
  const ffmpeg = publish(server.pushUrl);
  let reader: FlvReader | undefined;
  await waitFor(
    'ffmpeg to go live and the HTTP-FLV reader to get media',
    async () => {
      reader ??= await FlvReader.open(`${httpUrl}/live/demo.flv`).catch(() => undefined);
      return reader !== undefined && reader.bytes > 10_000;
    },
    30_000,
  );
  const health = new HealthPoller(`${httpUrl}/healthz`);
  health.start();
  return { server, ffmpeg, reader: reader!, health, httpUrl };
}

async function stopBed(bed: Bed | undefined): Promise<void> {
  bed?.health.stop();
  bed?.reader.close();
  await bed?.ffmpeg.stop();
  await bed?.server.stop();
}

/**
 * Runs one attack window: `attack` must leave `code` counted `times` more on /metrics; meanwhile
 * /healthz answered every time within 200 ms, the publish kept flowing and RSS grew less than `rssBudget`.
 */
async function underAttack(
  bed: Bed,
  code: string,
  times: number,
  rssBudget: number,
  attack: () => Promise<void>,
): Promise<void> {
  const counted = await connectionErrors(bed.httpUrl, code);
  const rss = bed.server.rss();
  const flowed = bed.reader.bytes;
  let peak = rss;
  const sampler = setInterval(() => (peak = Math.max(peak, bed.server.rss())), 20);
  bed.health.reset();
  try {
    await attack();
    await waitFor(
      `${times} more ${code} on /metrics`,
      async () => (await connectionErrors(bed.httpUrl, code)) >= counted + times,
      15_000,
    );
    // Some attacks are over in milliseconds: keep the window open for a few polls after them.
    await waitFor(
      'three /healthz answers in the window',
      () => bed.health.answers >= 3 || bed.health.failures.length > 0,
      10_000,
    );
  } finally {
    clearInterval(sampler);
  }
  assert.equal(await connectionErrors(bed.httpUrl, code), counted + times, `${code} counted once per attack`);
  assert.deepEqual(bed.health.failures, [], '/healthz always answered 200');
  assert.ok(bed.health.answers >= 1, '/healthz was polled during the attack');
  assert.ok(bed.health.worst < 200, `/healthz took up to ${bed.health.worst.toFixed(0)} ms`);
  const grown = peak - rss;
  assert.ok(grown < rssBudget, `RSS grew ${(grown / MiB).toFixed(0)} MiB (budget ${(rssBudget / MiB).toFixed(0)} MiB)`);
  await waitFor('the live stream to keep flowing', () => bed.reader.bytes > flowed, 10_000);
  assert.equal(bed.reader.ended, false, 'the HTTP-FLV player is still connected');
  assert.equal(bed.ffmpeg.child.exitCode, null, `ffmpeg still publishes: ${bed.ffmpeg.stderr()}`);
}

/** A handshaken raw connection. */
async function rawConnection(bed: Bed): Promise<RawSocket> {
  const raw = await RawSocket.open(bed.server.rtmpPort);
  await raw.handshake();
  return raw;
}

/** Set Chunk Size (RTMP 1.0 §5.4.1) on chunk stream 2. */
function setChunkSize(size: number): Buffer {
  const body = Buffer.alloc(4);
  body.writeUInt32BE(size);
  return encodeChunks({ csid: 2, typeId: 1, streamId: 0, timestamp: 0, payload: body }, 128);
}

/** A `length`-byte video message on chunk stream 6 in 1-byte chunks: fmt 0, then fmt 3 headers (0xc6). */
function oneByteChunks(length: number): Buffer {
  const body = Buffer.alloc(2 * length - 1, 0x27);
  for (let i = 1; i < body.length; i += 2) body[i] = 0xc6;
  return Buffer.concat([type0Header(6, 9, length, 1), body]);
}

/** A connect command (chunked at 4096 after a Set Chunk Size) whose tcUrl and app carry `params` parameters each. */
function queryBombConnect(params: number): Buffer {
  const query = Array.from({ length: params }, (_, i) => `p${i}=${i}`).join('&');
  const connect = encodeAmf0(
    'connect',
    1,
    amf0Object({ app: `live?${query}`, tcUrl: `rtmp://127.0.0.1/live?${query}`, objectEncoding: 0 }),
  );
  return Buffer.concat([
    setChunkSize(4096),
    encodeChunks({ csid: 3, typeId: 20, streamId: 0, timestamp: 0, payload: connect }, 4096),
  ]);
}

/** Writes `bytes` in 64 KiB pieces as the socket drains, until it is written or the server closed. */
async function drip(raw: RawSocket, bytes: Buffer): Promise<void> {
  for (let i = 0; i < bytes.length && !raw.socket.destroyed; i += 64 * 1024) {
    if (!raw.socket.write(bytes.subarray(i, i + 64 * 1024))) {
      await new Promise<void>((resolve) => {
        raw.socket.once('drain', resolve);
        raw.socket.once('close', resolve);
      });
    }
  }
}

async function expectServerClose(raw: RawSocket, what: string): Promise<void> {
  assert.ok(await raw.closedWithin(10_000), `the server closes ${what}`);
  assert.ok(raw.serverClosed, `the server, not the client, closed ${what}`);
}

describe('RTMP protocol attacks, default limits', () => {
  let bed: Bed;
  before(async () => (bed = await startBed([])));
  after(() => stopBed(bed));

  test('Set Chunk Size 1, then a 4 MB message in 1-byte chunks, on six connections: RTMP_CHUNK_SIZE_TOO_SMALL', async () => {
    const message = Buffer.concat([setChunkSize(1), oneByteChunks(4 * MiB)]);
    await underAttack(bed, 'RTMP_CHUNK_SIZE_TOO_SMALL', 6, 64 * MiB, async () => {
      const raws = await Promise.all(Array.from({ length: 6 }, () => rawConnection(bed)));
      await Promise.all(raws.map((raw) => drip(raw, message)));
      await Promise.all(raws.map((raw) => expectServerClose(raw, 'a 1-byte chunk size')));
    });
  });

  test('partial 1 MiB messages on every chunk stream of four connections: RTMP_PARTIAL_LIMIT at 17 MiB each', async () => {
    // Each of 63 chunk streams (csid 2 carries the Set Chunk Size) starts a 1 MiB video message and
    // sends all but its last 64 KiB chunk; the 18th header would pass 17 MiB.
    const parts: Buffer[] = [setChunkSize(65536)];
    for (let csid = 3; csid < 3 + 63; csid++) {
      parts.push(type0Header(csid, 9, MiB, 1), Buffer.alloc(65536, 0x27));
      for (let c = 1; c < 15; c++) parts.push(basicHeader(3, csid), Buffer.alloc(65536, 0x27));
    }
    const attack = Buffer.concat(parts);
    // Unbounded, four connections would hold 4 x 63 MB; the cap holds at most 4 x 17 MiB.
    await underAttack(bed, 'RTMP_PARTIAL_LIMIT', 4, 4 * 17 * MiB + 64 * MiB, async () => {
      const raws = await Promise.all(Array.from({ length: 4 }, () => rawConnection(bed)));
      await Promise.all(raws.map((raw) => drip(raw, attack)));
      await Promise.all(raws.map((raw) => expectServerClose(raw, 'partial messages past the cap')));
    });
  });

  test('the 1 MB connect with 100 000 parameters in tcUrl and app: RTMP_MESSAGE_TOO_LARGE from its header', async () => {
    const bomb = queryBombConnect(50_000);
    assert.ok(bomb.length > MiB);
    const started = performance.now();
    await underAttack(bed, 'RTMP_MESSAGE_TOO_LARGE', 1, 32 * MiB, async () => {
      const raw = await rawConnection(bed);
      await drip(raw, bomb);
      await expectServerClose(raw, 'the query bomb');
    });
    assert.ok(performance.now() - started < 10_000, 'refused in seconds, not the 70 s it took');
  });

  test('a 60 KB connect whose app query has 10 000 parameters: RTMP_QUERY_TOO_LONG', async () => {
    await underAttack(bed, 'RTMP_QUERY_TOO_LONG', 1, 32 * MiB, async () => {
      const raw = await rawConnection(bed);
      const query = Array.from({ length: 10_000 }, (_, i) => `${i % 100}=1`).join('&');
      raw.write(
        encodeChunks(
          {
            csid: 3,
            typeId: 20,
            streamId: 0,
            timestamp: 0,
            payload: encodeAmf0('connect', 1, amf0Object({ app: `live?${query}`, tcUrl: 'rtmp://127.0.0.1/live' })),
          },
          128,
        ),
      );
      await expectServerClose(raw, 'a 60 KB app query');
    });
  });

  test('a connect whose tcUrl has 1000 empty parameters: RTMP_QUERY_TOO_MANY_PARAMS', async () => {
    await underAttack(bed, 'RTMP_QUERY_TOO_MANY_PARAMS', 1, 32 * MiB, async () => {
      const raw = await rawConnection(bed);
      raw.write(
        encodeChunks(
          {
            csid: 3,
            typeId: 20,
            streamId: 0,
            timestamp: 0,
            payload: encodeAmf0(
              'connect',
              1,
              amf0Object({ app: 'live', tcUrl: `rtmp://127.0.0.1/live?${'&'.repeat(1000)}` }),
            ),
          },
          128,
        ),
      );
      await expectServerClose(raw, 'a 1000-parameter tcUrl');
    });
  });

  test('1000 publishes of 60 KB stream names, 25 at a time: each closed with RTMP_NAME_TOO_LONG', async () => {
    const name = `${'n'.repeat(60 * 1024)}?txSecret=x`;
    const url = `rtmp://127.0.0.1:${bed.server.rtmpPort}/live`;
    await underAttack(bed, 'RTMP_NAME_TOO_LONG', 1000, 64 * MiB, async () => {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < 1000) {
          next++;
          const c = await ScriptedRtmp.open(url);
          c.publish(await c.createStream(), name);
          assert.ok(await c.closedWithin(10_000), 'the publish of a 60 KB name ends the connection');
          assert.equal(
            c.events.some((e) => e.type === 'status' && e.code === 'NetStream.Publish.Start'),
            false,
            'never published',
          );
        }
      };
      await Promise.all(Array.from({ length: 25 }, worker));
    });
  });

  test('a 60 KB stream name is refused with an onStatus whose description starts with 18/308 and RTMP_NAME_TOO_LONG', async () => {
    const c = await ScriptedRtmp.open(`rtmp://127.0.0.1:${bed.server.rtmpPort}/live`);
    c.publish(await c.createStream(), 'n'.repeat(60 * 1024));
    const status = await c.status(1, 'NetStream.Publish.BadName', { orError: true });
    assert.match(String(status.description), /^18\/308: RTMP_NAME_TOO_LONG: /);
  });
});

describe('RTMP protocol attacks, limits raised by configuration', () => {
  let bed: Bed;
  before(
    async () =>
      (bed = await startBed([
        '--rtmp.minChunkSize',
        '1',
        '--rtmp.maxCommandSize',
        String(2 * MiB),
        '--rtmp.maxChunkStreams',
        '8',
      ])),
  );
  after(() => stopBed(bed));

  // No /healthz bound here: 1-byte chunks cost ~50 ns each, and libuv reads up to 2 MB per socket per loop
  // turn, so six such peers hold the loop for hundreds of ms. That is why rtmp.minChunkSize is 128.
  test('with rtmp.minChunkSize 1, six 4 MB messages in 1-byte chunks cost about their size, not ~550 MB each', async () => {
    const message = Buffer.concat([setChunkSize(1), oneByteChunks(4 * MiB)]);
    const rss = bed.server.rss();
    let peak = rss;
    const sampler = setInterval(() => (peak = Math.max(peak, bed.server.rss())), 20);
    const raws = await Promise.all(Array.from({ length: 6 }, () => rawConnection(bed)));
    await Promise.all(raws.map((raw) => drip(raw, message)));
    // A PingRequest after the message (in 1-byte chunks too): its PingResponse proves the server
    // parsed all 4 M chunks before it.
    const ping = encodeChunks(
      { csid: 2, typeId: 4, streamId: 0, timestamp: 0, payload: Buffer.from('000600000b0b', 'hex') },
      1,
    );
    for (const raw of raws) raw.write(ping);
    const pong = Buffer.from('000700000b0b', 'hex');
    await Promise.all(raws.map((raw) => raw.until('the PingResponse', (b) => b.includes(pong), 30_000)));
    clearInterval(sampler);
    for (const raw of raws) assert.equal(raw.socket.destroyed, false, 'the connection is still open');
    const grown = peak - rss;
    assert.ok(grown < 6 * 4 * MiB + 96 * MiB, `RSS grew ${(grown / MiB).toFixed(0)} MiB for 24 MiB of messages`);
    for (const raw of raws) raw.destroy();
  });

  test('the 1 MB / 100 000-parameter connect past the chunk layer: RTMP_QUERY_TOO_LONG (the app is checked first) before any parsing', async () => {
    const started = performance.now();
    await underAttack(bed, 'RTMP_QUERY_TOO_LONG', 1, 48 * MiB, async () => {
      const raw = await rawConnection(bed);
      await drip(raw, queryBombConnect(50_000));
      await expectServerClose(raw, 'the query bomb');
    });
    assert.ok(performance.now() - started < 10_000, 'refused in seconds, not the 70 s it took');
  });

  test('a connect with a 5000-character tcUrl: RTMP_TCURL_TOO_LONG', async () => {
    await underAttack(bed, 'RTMP_TCURL_TOO_LONG', 1, 32 * MiB, async () => {
      const raw = await rawConnection(bed);
      const connect = encodeAmf0(
        'connect',
        1,
        amf0Object({ app: 'live', tcUrl: `rtmp://127.0.0.1/live/${'x'.repeat(5000)}` }),
      );
      raw.write(encodeChunks({ csid: 3, typeId: 20, streamId: 0, timestamp: 0, payload: connect }, 128));
      await expectServerClose(raw, 'a 5000-character tcUrl');
    });
  });

  test('rtmp.maxChunkStreams 8: a ninth chunk stream is RTMP_CHUNK_STREAM_LIMIT', async () => {
    await underAttack(bed, 'RTMP_CHUNK_STREAM_LIMIT', 1, 32 * MiB, async () => {
      const raw = await rawConnection(bed);
      // csid 2 is the ninth: the ffmpeg-free raw connection has used none before.
      const chunks = Array.from({ length: 9 }, (_, i) =>
        Buffer.concat([type0Header(3 + i, 9, 1000, 1), Buffer.alloc(128)]),
      );
      raw.write(Buffer.concat(chunks));
      await expectServerClose(raw, 'nine chunk streams');
    });
  });
});
