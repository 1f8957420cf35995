import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hex } from '../../../test/fixtures/fixture.ts';
import { crc32, readPackets, readPmtBody, readSection } from '../../../test/support/ts-reader.ts';
import { crc32Mpeg2 } from './crc32-mpeg2.ts';
import { StreamType, writePat, writePmt } from './psi-tables.ts';

/** The first bytes of FFmpeg 5.1's PAT and PMT for H.264 on 0x100 and AAC on 0x101 (`-c copy -f mpegts`). */
const FFMPEG_PAT = hex('4740 0010 0000 b00d 0001 c100 0000 01f0 002a b104 b2');
const FFMPEG_PMT = hex('4750 0010 0002 b017 0001 c100 00e1 00f0 001b e100 f000 0fe1 01f0 002f 44b9 9b');

test('CRC-32/MPEG-2 of "123456789" is the catalogued check value 0x0376E6E7', () => {
  assert.equal(crc32Mpeg2(Buffer.from('123456789')), 0x0376e6e7);
  assert.equal(crc32Mpeg2(Buffer.from('x123456789y'), 1, 10), 0x0376e6e7);
  const random = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 151 + 7) & 0xff));
  assert.equal(crc32Mpeg2(random), crc32(random), 'table-driven and bit-by-bit CRCs agree');
});

test('the PAT is byte for byte the one FFmpeg writes, then 0xFF to the end of the packet', () => {
  const out = Buffer.alloc(188);
  writePat(out, 0, 0, 0x1000);
  assert.deepEqual(out.subarray(0, FFMPEG_PAT.length), FFMPEG_PAT);
  assert.ok(out.subarray(FFMPEG_PAT.length).every((b) => b === 0xff));
});

test('the PMT for H.264 + AAC is byte for byte the one FFmpeg writes', () => {
  const out = Buffer.alloc(188);
  const streams = [
    { streamType: StreamType.H264, pid: 0x100 },
    { streamType: StreamType.Aac, pid: 0x101 },
  ];
  writePmt(out, 0, 0, 0x1000, 0x100, streams, 0);
  assert.deepEqual(out.subarray(0, FFMPEG_PMT.length), FFMPEG_PMT);
  assert.ok(out.subarray(FFMPEG_PMT.length).every((b) => b === 0xff));
});

test('PMT fields: HEVC stream type, PCR PID, version and counter, CRC over the section', () => {
  const out = Buffer.alloc(2 * 188, 0xaa);
  writePmt(out, 188, 9, 0x1234, 0x101, [{ streamType: StreamType.Hevc, pid: 0x1ffe }], 21);
  assert.ok(
    out.subarray(0, 188).every((b) => b === 0xaa),
    'nothing written before `at`',
  );
  const [packet] = readPackets(out.subarray(188));
  assert.equal(packet!.pid, 0x1234);
  assert.equal(packet!.cc, 9);
  assert.equal(packet!.payloadUnitStart, true);
  assert.equal(packet!.adaptationControl, 1);
  const section = readSection(packet!.payload);
  assert.equal(section.tableId, 0x02);
  assert.equal(section.sectionSyntax, true);
  assert.equal(section.idExtension, 1, 'program_number');
  assert.equal(section.version, 21);
  assert.equal(section.currentNext, true);
  assert.equal(section.sectionLength, 9 + 4 + 5);
  assert.ok(section.crcOk);
  assert.deepEqual(readPmtBody(section.body), { pcrPid: 0x101, streams: [{ streamType: 0x24, pid: 0x1ffe }] });
  assert.ok(section.after.every((b) => b === 0xff));
});

test('a PMT without streams says no PID carries the PCR (0x1FFF)', () => {
  const out = Buffer.alloc(188);
  writePmt(out, 0, 0, 0x1000, undefined, [], 0);
  const section = readSection(readPackets(out)[0]!.payload);
  assert.ok(section.crcOk);
  assert.deepEqual(readPmtBody(section.body), { pcrPid: 0x1fff, streams: [] });
});
