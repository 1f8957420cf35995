import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OggOpusReader, opusPacketSamples, type TimedOpusPacket } from './ogg-opus-reader.ts';
import { lacing, writeOggPage } from './ogg-page-writer.ts';

function head(preSkip: number): Buffer {
  const h = Buffer.alloc(19);
  h.write('OpusHead', 0, 'latin1');
  h[8] = 1;
  h[9] = 2;
  h.writeUInt16LE(preSkip, 10);
  h.writeUInt32LE(48000, 12);
  return h;
}

test('TOC durations (RFC 6716 §3.1)', () => {
  assert.equal(opusPacketSamples(Buffer.of(0xfc, 0)), 960); // CELT FB 20 ms, code 0
  assert.equal(opusPacketSamples(Buffer.of(0xf8 | 1, 0)), 1920); // two 20 ms frames
  assert.equal(opusPacketSamples(Buffer.of(3 << 3, 0)), 2880); // SILK NB 60 ms (config 3)
  assert.equal(opusPacketSamples(Buffer.of((16 << 3) | 3, 4)), 4 * 120); // CELT 2.5 ms, 4 frames
  assert.equal(opusPacketSamples(Buffer.of((16 << 3) | 3)), 0); // code 3 without its count byte
  assert.equal(opusPacketSamples(Buffer.alloc(0)), 0);
});

test('packets timed from the page granule minus the pre-skip, several per page, header pages skipped', () => {
  const p = (fill: number) => Buffer.of(0xfc, fill); // 20 ms each
  const tags = Buffer.from('OpusTags\0\0\0\0\0\0\0\0', 'latin1');
  const pages = [
    writeOggPage({ segments: lacing([head(312)]), body: head(312), granule: 0n, serial: 5, sequence: 0, flags: 2 }),
    writeOggPage({ segments: lacing([tags]), body: tags, granule: 0n, serial: 5, sequence: 1 }),
    writeOggPage({ segments: lacing([p(1)]), body: p(1), granule: 960n, serial: 5, sequence: 2 }),
    writeOggPage({
      segments: lacing([p(2), p(3)]),
      body: Buffer.concat([p(2), p(3)]),
      granule: 2880n,
      serial: 5,
      sequence: 3,
    }),
  ];
  const r = new OggOpusReader();
  const out: TimedOpusPacket[] = [];
  for (const b of Buffer.concat(pages)) r.push(Buffer.of(b), out); // byte by byte
  assert.equal(r.channels, 2);
  assert.deepEqual(
    out.map((x) => [x.packet[1], x.startSample, x.samples]),
    [
      [1, -312, 960],
      [2, 648, 960],
      [3, 1608, 960],
    ],
  );
});

test('pages before an OpusHead, of another stream, or undecodable packets give nothing', () => {
  const r = new OggOpusReader();
  const out: TimedOpusPacket[] = [];
  const junk = Buffer.of(0xfc, 0);
  r.push(writeOggPage({ segments: lacing([junk]), body: junk, granule: 960n, serial: 1, sequence: 0 }), out);
  r.push(
    writeOggPage({ segments: lacing([head(0)]), body: head(0), granule: 0n, serial: 2, sequence: 0, flags: 2 }),
    out,
  );
  r.push(writeOggPage({ segments: [0], body: Buffer.alloc(0), granule: 0n, serial: 2, sequence: 1 }), out); // tags
  r.push(writeOggPage({ segments: lacing([junk]), body: junk, granule: 960n, serial: 3, sequence: 0 }), out);
  r.push(writeOggPage({ segments: [0], body: Buffer.alloc(0), granule: 960n, serial: 2, sequence: 2 }), out);
  assert.deepEqual(out, []);
});
