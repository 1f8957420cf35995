import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import type { ErrorCode } from '../../errors.ts';
import { testHub } from '../../hub/hub-test-kit.ts';
import type { Log } from '../../log.ts';
import { MediaType, mediaMessage } from '../../protocol/media.ts';
import { lacing, writeOggPage } from '../../protocol/ogg/ogg-page-writer.ts';
import { AacOpusTranscoders } from './aac-opus-transcoders.ts';
import { transcodeArgs } from './aac-opus-transcoder.ts';

/** A child process double: stdin collects what the transcoder writes, stdout is ours to fill. */
class FakeChild extends EventEmitter {
  /** A stalled stdin holds every write: ffmpeg reads nothing. */
  stalled = false;
  readonly stdin = new Writable({
    write: (chunk: Buffer, _enc, cb) => {
      this.written.push(chunk);
      if (!this.stalled) cb();
    },
  });
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly pid = 4242;
  exitCode: number | null = null;
  signalCode: string | null = null;
  readonly signals: string[] = [];
  /** Whether this fake ignores SIGTERM (a hung ffmpeg). */
  stubborn = false;
  readonly written: Buffer[] = [];

  kill(signal: string): boolean {
    this.signals.push(signal);
    if (signal === 'SIGKILL' || !this.stubborn) this.exit(null, signal);
    return true;
  }

  exit(code: number | null, signal: string | null = null): void {
    if (this.exitCode !== null || this.signalCode !== null) return;
    this.exitCode = code;
    this.signalCode = signal;
    this.emit('exit', code, signal);
  }
}

const ASC = Buffer.from([0xaf, 0, 0x12, 0x10]); // AAC-LC, 44.1 kHz, stereo
const aac = (ts: number) => mediaMessage(MediaType.Audio, ts, Buffer.from([0xaf, 1, 0x21, 0x10, 0x04]));

function kit(overrides: { maxTranscodes?: number; maxQueueBytes?: number } = {}) {
  const { hub, clock } = testHub();
  const children: FakeChild[] = [];
  const codes: ErrorCode[] = [];
  const lines: string[] = [];
  const log = {
    warn: (_o: object, m: string) => lines.push(m),
    error: (_o: object, m: string) => lines.push(m),
  } as unknown as Log;
  let spawnError: NodeJS.ErrnoException | undefined;
  const transcoders = new AacOpusTranscoders({
    enabled: true,
    maxTranscodes: overrides.maxTranscodes ?? 8,
    hub,
    ffmpegPath: 'ffmpeg',
    bitrateKbps: 64,
    maxQueueBytes: overrides.maxQueueBytes ?? 65536,
    maxStderrBytes: 64,
    killTimeoutMs: 2000,
    restartMinMs: 1000,
    restartMaxMs: 8000,
    spawn: (cmd, args) => {
      assert.equal(cmd, 'ffmpeg');
      assert.deepEqual(args, transcodeArgs(64));
      const c = new FakeChild();
      children.push(c);
      if (spawnError) {
        const err = spawnError;
        (c as { pid: number | undefined }).pid = undefined;
        queueMicrotask(() => c.emit('error', err));
      }
      return c as unknown as ChildProcessWithoutNullStreams;
    },
    timers: clock,
    now: clock.now,
    countError: (c) => codes.push(c),
    log,
  });
  const live = (key: string) => {
    const s = hub.claim(key, { id: `pub-${key}` });
    s.publish(ASC.length ? mediaMessage(MediaType.Audio, 0, ASC) : aac(0));
    return s;
  };
  const alive = () => children.filter((c) => c.exitCode === null && c.signalCode === null).length;
  return {
    hub,
    clock,
    children,
    codes,
    lines,
    transcoders,
    live,
    alive,
    failSpawn: (e: NodeJS.ErrnoException) => (spawnError = e),
  };
}

test('started on the first viewer, one per stream, stopped after the last; frames go in as ADTS', () => {
  const k = kit();
  const stream = k.live('live/a');
  assert.equal(k.children.length, 0, 'no viewer, no ffmpeg');
  const v1 = k.transcoders.join('live/a', () => {})!;
  const v2 = k.transcoders.join('live/a', () => {})!;
  assert.equal(k.children.length, 1, 'one child for two viewers');
  stream.publish(aac(23));
  const w = Buffer.concat(k.children[0]!.written);
  assert.equal(w.length, 7 + 3);
  assert.deepEqual([...w.subarray(0, 2)], [0xff, 0xf1]);
  assert.equal(((w[3]! & 3) << 11) | (w[4]! << 3) | (w[5]! >> 5), 10, 'frame_length counts the header');
  v1.leave();
  v1.leave();
  assert.equal(k.alive(), 1, 'one viewer still watches');
  v2.leave();
  assert.deepEqual(k.children[0]!.signals, ['SIGTERM']);
  assert.equal(k.alive(), 0);
  assert.equal(k.transcoders.size, 0);
  assert.equal(k.transcoders.children, 0);
  assert.deepEqual(k.codes, []);
});

test('a child that ignores SIGTERM is killed after the timeout', () => {
  const k = kit();
  k.live('live/a');
  const v = k.transcoders.join('live/a', () => {})!;
  k.children[0]!.stubborn = true;
  v.leave();
  assert.equal(k.transcoders.children, 1, 'still exiting');
  k.clock.advance(1999);
  assert.deepEqual(k.children[0]!.signals, ['SIGTERM']);
  k.clock.advance(1);
  assert.deepEqual(k.children[0]!.signals, ['SIGTERM', 'SIGKILL']);
  assert.equal(k.transcoders.children, 0);
});

test('a crash is counted and restarted with a doubling backoff; viewers stay', () => {
  const k = kit();
  k.live('live/a');
  k.transcoders.join('live/a', () => {});
  k.children[0]!.stderr.write('Error while decoding stream\n');
  k.children[0]!.exit(1);
  assert.deepEqual(k.codes, ['WEBRTC_TRANSCODE_FAILED']);
  assert.equal(k.children.length, 1);
  k.clock.advance(999);
  assert.equal(k.children.length, 1, 'not before the backoff');
  k.clock.advance(1);
  assert.equal(k.children.length, 2, 'restarted after 1 s');
  k.children[1]!.exit(1);
  k.clock.advance(1999);
  assert.equal(k.children.length, 2);
  k.clock.advance(1);
  assert.equal(k.children.length, 3, 'then after 2 s');
  for (let i = 0; i < 5; i++) {
    k.children.at(-1)!.exit(1);
    k.clock.advance(8000);
  }
  assert.equal(k.children.length, 8, 'the backoff stops at restartMaxMs');
  assert.equal(k.codes.filter((c) => c === 'WEBRTC_TRANSCODE_FAILED').length, 7);
  assert.equal(k.transcoders.size, 1, 'the stream keeps its transcoder (and its viewers their video)');
});

test('maxTranscodes across streams: a viewer past it gets no audio, counted', () => {
  const k = kit({ maxTranscodes: 2 });
  for (const s of ['a', 'b', 'c']) k.live(`live/${s}`);
  assert.ok(k.transcoders.join('live/a', () => {}));
  const b = k.transcoders.join('live/b', () => {})!;
  assert.equal(
    k.transcoders.join('live/c', () => {}),
    undefined,
  );
  assert.ok(
    k.transcoders.join('live/a', () => {}),
    'a stream already transcoded takes more viewers',
  );
  assert.deepEqual(k.codes, ['WEBRTC_TRANSCODE_LIMIT']);
  b.leave();
  assert.ok(
    k.transcoders.join('live/c', () => {}),
    'a place freed',
  );
  assert.equal(k.alive(), 2);
});

test('a child still exiting holds its place under maxTranscodes until it is gone', () => {
  const k = kit({ maxTranscodes: 1 });
  k.live('live/a');
  k.live('live/b');
  const a = k.transcoders.join('live/a', () => {})!;
  k.children[0]!.stubborn = true;
  a.leave();
  assert.equal(
    k.transcoders.join('live/b', () => {}),
    undefined,
    'the SIGTERMed ffmpeg still runs',
  );
  k.clock.advance(2000); // SIGKILL
  assert.ok(k.transcoders.join('live/b', () => {}));
});

test('stdin backpressure drops frames and counts them, never queues past maxQueueBytes', () => {
  const k = kit({ maxQueueBytes: 100 });
  const s = k.live('live/a');
  k.transcoders.join('live/a', () => {});
  const c = k.children[0]!;
  c.stalled = true;
  for (let i = 0; i < 200; i++) s.publish(aac(i * 23));
  const t = k.transcoders.get('live/a')!;
  assert.ok(c.stdin.writableLength <= 100 + 10, `queued ${c.stdin.writableLength}`);
  assert.ok(t.stats.framesDropped > 150);
  assert.equal(k.codes.filter((x) => x === 'WEBRTC_TRANSCODE_BEHIND').length, t.stats.framesDropped);
});

test('Ogg Opus from the child reaches every viewer with RTP time on the stream timeline', () => {
  const k = kit();
  const s = k.live('live/a');
  const got: [number, number][] = [];
  k.transcoders.join('live/a', (p, ts) => got.push([p[1]!, ts]));
  k.transcoders.join('live/a', () => {});
  for (let i = 0; i < 10; i++) s.publish(aac(5000 + Math.round((i * 1024) / 44.1)));
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head[9] = 2;
  const tags = Buffer.from('OpusTags', 'latin1');
  const pk = (n: number) => Buffer.of(0xfc, n);
  const pages = [
    writeOggPage({ segments: lacing([head]), body: head, granule: 0n, serial: 1, sequence: 0, flags: 2 }),
    writeOggPage({ segments: lacing([tags]), body: tags, granule: 0n, serial: 1, sequence: 1 }),
    writeOggPage({ segments: lacing([pk(1)]), body: pk(1), granule: 960n, serial: 1, sequence: 2 }),
    writeOggPage({ segments: lacing([pk(2)]), body: pk(2), granule: 1920n, serial: 1, sequence: 3 }),
  ];
  k.children[0]!.stdout.write(Buffer.concat(pages));
  assert.deepEqual(got, [
    [1, 5000 * 48],
    [2, 5000 * 48 + 960],
  ]);
});

test('no ffmpeg on PATH: logged once, counted, and later viewers get no transcoder', async () => {
  const k = kit();
  k.live('live/a');
  k.failSpawn(Object.assign(new Error('spawn ffmpeg ENOENT'), { code: 'ENOENT' }));
  k.transcoders.join('live/a', () => {});
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(k.codes, ['WEBRTC_TRANSCODE_FAILED']);
  assert.equal(k.transcoders.size, 0);
  assert.equal(
    k.transcoders.join('live/a', () => {}),
    undefined,
  );
  assert.equal(k.lines.filter((l) => l.includes('ffmpeg cannot be started')).length, 1);
  k.clock.advance(60_000);
  assert.equal(k.children.length, 1, 'never retried');
});

test('the publisher leaving stops the child; a new publish starts one for the viewers still there', () => {
  const k = kit();
  const s = k.live('live/a');
  k.transcoders.join('live/a', () => {});
  k.hub.release(s, 'pub-live/a', { grace: false });
  assert.equal(k.alive(), 0);
  k.live('live/a');
  assert.equal(k.alive(), 1);
  k.transcoders.close();
  assert.equal(k.alive(), 0);
  assert.equal(
    k.transcoders.join('live/a', () => {}),
    undefined,
  );
});
