/**
 * The RTMP session under attack, against a real server process (issue 9): the closeStream-during-play-wait
 * crash, a pipelining player, a peer that floods pings and never reads, and 2000 idle sockets from one
 * address while others publish and play. Each asserts what an operator would check: the process lives,
 * /healthz answers, the hostile connection is closed with its code (counted in /metrics), others go on.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { amf0Object } from '../../src/protocol/amf0/amf0-value.ts';
import { ChunkDecoder } from '../../src/protocol/rtmp/chunk-decoder.ts';
import { encodeChunks } from '../../src/protocol/rtmp/chunk-encoder.ts';
import { decodeCommand, encodeCommand } from '../../src/protocol/rtmp/commands.ts';
import { HandshakeSize } from '../../src/protocol/rtmp/handshake.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { publish, type FfmpegProcess } from '../support/ffmpeg.ts';
import { connectionErrors, metricValue } from '../support/metrics.ts';
import { waitFor } from '../support/wait.ts';

const servers: ServerProcess[] = [];
const ffmpegs: FfmpegProcess[] = [];
const sockets: Socket[] = [];

after(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(ffmpegs.map((f) => f.stop()));
  await Promise.all(servers.map((s) => s.stop()));
});

async function server(flags: string[] = []): Promise<ServerProcess> {
  const s = await startServerProcess(flags);
  servers.push(s);
  return s;
}

/** /healthz answers 200, and quickly: the event loop is not held by the attack. */
async function healthy(s: ServerProcess, withinMs = 200): Promise<void> {
  assert.equal(s.child.exitCode, null, `the server exited:\n${s.output()}`);
  const started = performance.now();
  const res = await fetch(`http://127.0.0.1:${s.httpPort}/healthz`);
  const took = performance.now() - started;
  assert.equal(res.status, 200);
  assert.ok(took < withinMs, `/healthz took ${Math.round(took)} ms`);
}

const http = (s: ServerProcess) => `http://127.0.0.1:${s.httpPort}`;

/** One AMF0 command message on chunk stream 3, as chunks of 128 bytes. */
function command(name: string, tx: number, streamId: number, ...args: Parameters<typeof encodeCommand>[3][]): Buffer {
  const payload = encodeCommand(name, tx, null, ...args);
  return encodeChunks({ csid: 3, typeId: 20, streamId, timestamp: 0, payload }, 128);
}

function connectCommand(port: number, app = 'live'): Buffer {
  const obj = amf0Object({
    app,
    tcUrl: `rtmp://127.0.0.1:${port}/${app}`,
    flashVer: 'LNX 9,0,124,2',
    objectEncoding: 0,
  });
  return encodeChunks(
    { csid: 3, typeId: 20, streamId: 0, timestamp: 0, payload: encodeCommand('connect', 1, obj) },
    128,
  );
}

/** A raw RTMP client from `localAddress`: it decodes what the server sends into statuses and media counts. */
class RawClient {
  readonly socket: Socket;
  readonly statuses: string[] = [];
  videoMessages = 0;
  closed = false;
  #decoder = new ChunkDecoder({ maxMessageSize: 1 << 24 });
  #handshake = Buffer.alloc(0);
  #handshakeDone: () => void = () => {};

  constructor(port: number, localAddress = '127.0.0.1') {
    this.socket = connect({ host: '127.0.0.1', port, localAddress });
    sockets.push(this.socket);
    this.socket.on('error', () => {});
    this.socket.on('close', () => (this.closed = true));
    this.socket.on('data', (d: Buffer) => this.#onData(d));
  }

  /** C0+C1, waits for S0 S1 S2, then writes C2 followed by `after` in the same write. */
  async handshake(after: Buffer = Buffer.alloc(0)): Promise<void> {
    await once(this.socket, 'connect');
    const done = new Promise<void>((resolve) => (this.#handshakeDone = resolve));
    this.socket.write(Buffer.concat([Buffer.of(3), Buffer.alloc(HandshakeSize)]));
    await done;
    this.socket.write(Buffer.concat([this.#handshake.subarray(1, 1 + HandshakeSize), after]));
  }

  #onData(d: Buffer): void {
    const need = 1 + 2 * HandshakeSize;
    if (this.#handshake.length < need) {
      this.#handshake = Buffer.concat([this.#handshake, d]);
      if (this.#handshake.length < need) return;
      d = this.#handshake.subarray(need);
      this.#handshakeDone();
    }
    for (const msg of this.#decoder.push(d)) {
      if (msg.typeId === 9) this.videoMessages++;
      if (msg.typeId !== 20) continue;
      const c = decodeCommand(20, msg.payload);
      const info = c.args[0];
      this.statuses.push(info instanceof Map ? `${c.name} ${String(info.get('code'))}` : c.name);
    }
  }
}

test('closeStream (or deleteStream) during the play wait: the process lives and the connection is closed with its code', async () => {
  const s = await server(['--http.playWaitMs', '1000', '--rtmp.connectTimeoutMs', '3000']);
  for (const stop of [command('closeStream', 0, 1), command('deleteStream', 4, 0, 1)]) {
    // Step by step, as the reproduction (and main before the fix, which died here) does.
    const c = new RawClient(s.rtmpPort);
    await c.handshake(connectCommand(s.rtmpPort));
    await waitFor('the connect result', () => c.statuses.length === 1, 5000);
    c.socket.write(command('createStream', 2, 0));
    await waitFor('the createStream result', () => c.statuses.includes('_result'), 5000);
    c.socket.write(command('play', 3, 1, 'nobody', -1000));
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The play waits for a publisher now; the client stops it during the wait.
    c.socket.write(stop);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // past http.playWaitMs
    await healthy(s);
    assert.ok(!c.statuses.some((x) => x.includes('StreamNotFound')), 'nothing is said about the stopped stream');
    await waitFor('the idle connection to be closed', () => c.closed, 10_000);
  }
  await healthy(s);
  assert.equal(await connectionErrors(http(s), 'RTMP_CONNECT_TIMEOUT'), 2);
  assert.equal(await connectionErrors(http(s), 'INTERNAL'), 0);
});

test('a pipelining player (connect, createStream and play in one write) gets its stream', async () => {
  const s = await server();
  const ffmpeg = publish(s.pushUrl);
  ffmpegs.push(ffmpeg);
  await waitFor('the publisher', async () => (await metricValue(http(s), 'openlive_publishers')) === 1, 20_000);
  const c = new RawClient(s.rtmpPort);
  await c.handshake(
    Buffer.concat([connectCommand(s.rtmpPort), command('createStream', 2, 0), command('play', 3, 1, 'demo', -1000)]),
  );
  await waitFor('video', () => c.videoMessages >= 25, 15_000);
  assert.deepEqual(c.statuses.slice(0, 4), [
    '_result NetConnection.Connect.Success',
    '_result',
    'onStatus NetStream.Play.Reset',
    'onStatus NetStream.Play.Start',
  ]);
  assert.equal(await connectionErrors(http(s), 'RTMP_STATE'), 0);
  await ffmpeg.stop();
});

test('a peer that floods pings and never reads is closed with RTMP_OUTPUT_LIMIT; the server stays small', async () => {
  const s = await server();
  const rssBefore = s.rss();
  const c = new RawClient(s.rtmpPort);
  await c.handshake(connectCommand(s.rtmpPort));
  await waitFor('the connect result', () => c.statuses.length >= 1, 5000);
  c.socket.pause(); // never read again
  // A PingRequest (User Control 6) with a full header, then the same message again and again in fmt 3 chunks.
  const first = encodeChunks(
    { csid: 2, typeId: 4, streamId: 0, timestamp: 0, payload: Buffer.from('000600000001', 'hex') },
    128,
  );
  const again = Buffer.concat([Buffer.of(0xc2), Buffer.from('000600000001', 'hex')]);
  const block = Buffer.concat(Array.from({ length: 10_000 }, () => again));
  c.socket.write(first);
  let sent = 0;
  while (!c.closed && sent < 200 * 1024 * 1024) {
    if (!c.socket.write(block)) await Promise.race([once(c.socket, 'drain'), once(c.socket, 'close')]);
    sent += block.length;
    if (sent % (5 * block.length) === 0) await healthy(s, 1000);
  }
  await waitFor(
    'the flood to be refused',
    async () => (await connectionErrors(http(s), 'RTMP_OUTPUT_LIMIT')) === 1,
    10_000,
  );
  await waitFor('the socket to close', () => c.closed, 10_000);
  await healthy(s);
  const grown = s.rss() - rssBefore;
  assert.ok(
    grown < 64 * 1024 * 1024,
    `RSS grew by ${Math.round(grown / 1048576)} MiB after ${Math.round(sent / 1048576)} MiB of pings`,
  );
});

test('2000 idle sockets from 127.0.0.2 are capped per address while 127.0.0.1 publishes and 127.0.0.3 plays', async () => {
  const s = await server(); // the default rtmp.maxConnectionsPerIp, 100
  const ffmpeg = publish(s.pushUrl);
  ffmpegs.push(ffmpeg);
  await waitFor('the publisher', async () => (await metricValue(http(s), 'openlive_publishers')) === 1, 20_000);
  const idle: Socket[] = [];
  const closedByServer = { n: 0 };
  // In batches of 200, so the listen backlog (511) does not drop SYNs and leave the test waiting on retries.
  for (let batch = 0; batch < 10; batch++) {
    await Promise.all(
      Array.from({ length: 200 }, async () => {
        const sock = connect({ host: '127.0.0.1', port: s.rtmpPort, localAddress: '127.0.0.2' });
        sockets.push(sock);
        idle.push(sock);
        sock.on('error', () => {});
        sock.on('close', () => closedByServer.n++);
        await Promise.race([once(sock, 'connect'), once(sock, 'close')]);
      }),
    );
  }
  await waitFor('the refused sockets to be closed', () => closedByServer.n >= 1900, 30_000);
  await healthy(s);
  assert.equal(await connectionErrors(http(s), 'RTMP_CONNECTION_LIMIT_PER_IP'), 1900);
  assert.equal(await metricValue(http(s), 'openlive_rtmp_connections'), 100 + 1, '100 idle sockets and the publisher');
  const bytesBefore = await metricValue(http(s), 'openlive_bytes_in_total');
  const player = new RawClient(s.rtmpPort, '127.0.0.3');
  await player.handshake(
    Buffer.concat([connectCommand(s.rtmpPort), command('createStream', 2, 0), command('play', 3, 1, 'demo', -1000)]),
  );
  await waitFor('video at the player from 127.0.0.3', () => player.videoMessages >= 25, 15_000);
  assert.ok(
    (await metricValue(http(s), 'openlive_bytes_in_total')) > bytesBefore,
    'the publish from 127.0.0.1 keeps flowing',
  );
  assert.equal(await metricValue(http(s), 'openlive_publishers'), 1);
  await healthy(s);
  for (const sock of idle) sock.destroy();
  await ffmpeg.stop();
});
