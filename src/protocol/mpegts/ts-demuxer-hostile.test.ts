import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { errorCodes } from '../../errors.ts';
import { fixture } from '../../../test/fixtures/fixture.ts';
import * as media from '../../../test/fixtures/mpegts/flv-messages.ts';
import { pat, pes, pesPackets, pmt, psiPackets, section, tsPacket } from '../../../test/fixtures/mpegts/ts-builder.ts';
import { parseAvcDecoderConfig } from '../codec/avc-config.ts';
import { MediaType, type MediaMessage } from '../media.ts';
import { TsDemuxer, type TsDemuxerOptions } from './ts-demuxer.ts';

const FFMPEG_TS = fixture('mpegts/h264-aac-160x120.m2t');
const avc = parseAvcDecoderConfig(media.AVC_RECORD);
const idr = media.annexB([avc.sps[0]!, avc.pps[0]!, media.avcNal(5, 300)]);
const tables = Buffer.concat([
  psiPackets(0, pat(0x1000)),
  psiPackets(
    0x1000,
    pmt([
      { type: 0x1b, pid: 0x100 },
      { type: 0x0f, pid: 0x101 },
    ]),
  ),
]);

function run(bytes: Buffer, options: TsDemuxerOptions = {}): { out: MediaMessage[]; d: TsDemuxer } {
  const d = new TsDemuxer(options);
  const out = d.end(d.push(bytes));
  return { out, d };
}

const videoFrames = (out: readonly MediaMessage[]): MediaMessage[] =>
  out.filter((m) => m.type === MediaType.Video && !m.sequenceHeader);
const packets = (b: Buffer): Buffer[] =>
  Array.from({ length: b.length / 188 }, (_, i) => b.subarray(i * 188, i * 188 + 188));

/** Every track's timestamps only grow. */
function assertMonotonic(out: readonly MediaMessage[]): void {
  for (const type of [MediaType.Video, MediaType.Audio]) {
    let last = -1;
    for (const m of out) {
      if (m.type !== type) continue;
      if (m.timestamp < last) throw new Error(`type ${type}: ${m.timestamp} after ${last}`);
      last = m.timestamp;
    }
  }
}

test('garbage between packets: skipped and counted as TS_SYNC_LOST, the packets around it still read', () => {
  const pk = packets(FFMPEG_TS);
  const junk = Buffer.from('not a TS packet \x47 with a fake sync byte');
  const bytes = Buffer.concat([junk, ...pk.slice(0, 30), junk, ...pk.slice(30, 60), junk, junk, ...pk.slice(60)]);
  const { out, d } = run(bytes);
  assert.equal(d.stats.errors.TS_SYNC_LOST, 3);
  assert.equal(d.stats.skippedBytes, 4 * junk.length);
  assert.equal(d.stats.packets, pk.length);
  assert.equal(videoFrames(out).length, 25);
});

test('a PAT or PMT with a bad CRC or lying lengths is ignored and counted; the good table then works', () => {
  const broken = [
    psiPackets(0, section(0, 1, 0, Buffer.from([0, 1, 0xf0, 0x00]), true)), // bad CRC
    tsPacket(0, Buffer.concat([Buffer.from([0, 0, 0xbf, 0xff]), Buffer.alloc(180, 0)]), { pusi: true, cc: 1 }), // section_length 4095
    tsPacket(0, Buffer.concat([Buffer.from([200]), Buffer.alloc(183, 0)]), { pusi: true, cc: 2 }), // pointer_field past the packet
  ];
  const pmtLie = pmt([{ type: 0x1b, pid: 0x100 }]);
  pmtLie.writeUInt16BE(0xf000 | 900, 10); // program_info_length far past the section (CRC fixed below)
  const fixed = section(2, 1, 0, pmtLie.subarray(8, pmtLie.length - 4));
  const bytes = Buffer.concat([
    ...broken,
    psiPackets(0, pat(0x1000), 3),
    psiPackets(0x1000, fixed),
    psiPackets(0x1000, pmt([{ type: 0x1b, pid: 0x100 }]), 1),
    pesPackets(0x100, pes(0xe0, idr, 0)).bytes,
  ]);
  const { out, d } = run(bytes);
  assert.equal(d.stats.errors.TS_SECTION_INVALID, 4);
  assert.equal(videoFrames(out).length, 1);
});

test('PES packets that lie: shorter than PES_packet_length, header length past the data, no start code', () => {
  const good = pes(0xe0, idr, 0);
  const short = Buffer.from(good);
  short.writeUInt16BE(good.length + 500, 4); // claims 500 more bytes than come before the next start
  const header = pes(0xe0, media.annexB([media.avcNal(1, 40)]), 0);
  header[8] = 250;
  const noPrefix = Buffer.concat([Buffer.from([0, 0, 2]), good.subarray(3)]);
  let cc = 0;
  const parts = [short, header, noPrefix, good].map((p) => {
    const r = pesPackets(0x100, p, cc);
    cc = r.cc;
    return r.bytes;
  });
  const { out, d } = run(Buffer.concat([tables, ...parts]));
  assert.equal(d.stats.errors.TS_PES_INVALID, 3);
  assert.equal(d.stats.pesDropped, 3);
  assert.equal(videoFrames(out).length, 1);
});

test('endless adaptation-only packets and bad adaptation lengths cost a packet each and count', () => {
  const af = tsPacket(0x100, Buffer.alloc(0), { adaptation: Buffer.from([0x00]) });
  const tooLong = Buffer.from(tsPacket(0x100, Buffer.alloc(10), { cc: 0 }));
  tooLong[4] = 200;
  const many = Buffer.concat(Array.from({ length: 20_000 }, () => af));
  const t0 = performance.now();
  const { out, d } = run(Buffer.concat([tables, many, tooLong, pesPackets(0x100, pes(0xe0, idr, 0), 0).bytes]));
  assert.ok(performance.now() - t0 < 2000);
  assert.equal(d.stats.errors.TS_PACKET_INVALID, 1);
  assert.equal(videoFrames(out).length, 1);
});

test('a PMT listing 200 streams takes the first video and audio; thousands of PMT versions keep memory flat', () => {
  const streams = Array.from({ length: 200 }, (_, i) => ({ type: i === 150 ? 0x1b : 0x42, pid: 0x200 + i }));
  const big = pmt(streams);
  assert.ok(big.length < 1024);
  const many: Buffer[] = [];
  for (let v = 0; v < 5000; v++)
    many.push(psiPackets(0x1000, pmt([{ type: v % 2 ? 0x1b : 0x24, pid: 0x100 + (v % 7) }], v & 31), v & 15));
  const heap0 = process.memoryUsage().heapUsed;
  const { d } = run(Buffer.concat([psiPackets(0, pat(0x1000)), ...many, psiPackets(0x1000, big, 5000 & 15)]));
  assert.ok(process.memoryUsage().heapUsed - heap0 < 64 * 1024 * 1024);
  assert.deepEqual(d.stats.errors, {});
  const { out } = run(
    Buffer.concat([
      psiPackets(0, pat(0x1000)),
      psiPackets(0x1000, big),
      pesPackets(0x200 + 150, pes(0xe0, idr, 0)).bytes,
    ]),
  );
  assert.equal(videoFrames(out).length, 1);
});

test('a PES over maxPesSize is dropped (TS_PES_TOO_LARGE) and the next one is read', () => {
  const huge = media.annexB([avc.sps[0]!, avc.pps[0]!, media.avcNal(5, 100_000)]);
  const first = pesPackets(0x100, pes(0xe0, huge, 0, undefined, true), 0);
  const second = pesPackets(0x100, pes(0xe0, idr, 3600, undefined, true), first.cc);
  const { out, d } = run(Buffer.concat([tables, first.bytes, second.bytes]), { maxPesSize: 64 * 1024 });
  assert.equal(d.stats.errors.TS_PES_TOO_LARGE, 1);
  assert.equal(d.stats.pesDropped, 1);
  assert.deepEqual(
    videoFrames(out).map((m) => m.timestamp),
    [0],
  );
});

test('a lost packet is a TS_CONTINUITY error that drops its PES; a duplicate packet is read once; a discontinuity is no error', () => {
  const big = media.annexB([avc.sps[0]!, avc.pps[0]!, media.avcNal(5, 1000)]);
  const a = pesPackets(0x100, pes(0xe0, big, 0, undefined, true), 0);
  const b = pesPackets(0x100, pes(0xe0, big, 3600, undefined, true), a.cc);
  const c = pesPackets(0x100, pes(0xe0, big, 7200, undefined, true), b.cc);
  const aPk = packets(a.bytes);
  const bPk = packets(b.bytes);
  const disc = tsPacket(0x100, Buffer.alloc(0), { adaptation: Buffer.from([0x80]), cc: 9 });
  const cPk = packets(c.bytes).map((p) => Buffer.from(p));
  // After the discontinuity the counter starts anywhere.
  cPk.forEach((p, i) => (p[3] = (p[3]! & 0xf0) | ((3 + i) & 0x0f)));
  const bytes = Buffer.concat([
    tables,
    ...aPk.slice(0, 2),
    aPk[1]!,
    ...aPk.slice(2),
    ...bPk.slice(0, 2),
    ...bPk.slice(3),
    disc,
    ...cPk,
  ]);
  const { out, d } = run(bytes);
  assert.equal(d.stats.ccErrors, 1);
  assert.equal(d.stats.errors.TS_CONTINUITY, 1);
  assert.equal(d.stats.discontinuities, 1);
  assert.deepEqual(
    videoFrames(out).map((m) => [m.timestamp, m.payload.length]),
    [
      [0, 5 + 4 + 1000],
      [80, 5 + 4 + 1000],
    ],
  );
});

test('transport_error_indicator drops the packet and its PES', () => {
  const a = pesPackets(0x100, pes(0xe0, idr, 0, undefined, true), 0);
  const pk = packets(a.bytes).map((p) => Buffer.from(p));
  pk[1]![1] = pk[1]![1]! | 0x80;
  const b = pesPackets(0x100, pes(0xe0, idr, 3600, undefined, true), a.cc);
  const { out, d } = run(Buffer.concat([tables, ...pk, b.bytes]));
  assert.equal(d.stats.errors.TS_PACKET_INVALID, 1);
  assert.equal(d.stats.pesDropped, 1);
  // The second frame is the first one out, so it starts the timeline.
  assert.deepEqual(
    videoFrames(out).map((m) => m.timestamp),
    [0],
  );
  assert.equal(d.stats.frames, 1);
});

test('a time jump of an hour is rebased: times stay continuous and the jump is counted', () => {
  let cc = 0;
  const parts = [0, 3600, 7200, 3600 * 90_000, 3600 * 90_000 + 3600].map((t) => {
    const r = pesPackets(0x100, pes(0xe0, idr, t, undefined, true), cc);
    cc = r.cc;
    return r.bytes;
  });
  const { out, d } = run(Buffer.concat([tables, ...parts]));
  assert.equal(d.stats.timestampJumps, 1);
  assert.deepEqual(
    videoFrames(out).map((m) => m.timestamp),
    [0, 40, 80, 80, 120],
  );
});

const codes = new Set(Object.keys(errorCodes).filter((c) => c.startsWith('TS_') || c === 'CODEC_CONFIG_INVALID'));

test('property: arbitrary bytes never throw, count only TS codes, and times only grow', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 4000 }), fc.integer({ min: 1, max: 400 }), (bytes, piece) => {
      const d = new TsDemuxer();
      const out: MediaMessage[] = [];
      const b = Buffer.concat([tables, Buffer.from(bytes)]);
      for (let at = 0; at < b.length; at += piece) d.push(b.subarray(at, at + piece), out);
      d.end(out);
      assertMonotonic(out);
      for (const c of Object.keys(d.stats.errors)) assert.ok(codes.has(c), c);
    }),
    { numRuns: 300 },
  );
});

test('property: a real stream with random bytes changed never throws and its times only grow', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(FFMPEG_TS.length - 1), fc.nat(255)), { maxLength: 40 }),
      fc.integer({ min: 1, max: 2000 }),
      (edits, piece) => {
        const b = Buffer.from(FFMPEG_TS);
        for (const [at, v] of edits) b[at] = v;
        const d = new TsDemuxer();
        const out: MediaMessage[] = [];
        for (let at = 0; at < b.length; at += piece) d.push(b.subarray(at, at + piece), out);
        d.end(out);
        assertMonotonic(out);
        for (const c of Object.keys(d.stats.errors)) assert.ok(codes.has(c), c);
      },
    ),
    { numRuns: 150 },
  );
});
