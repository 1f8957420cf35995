import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_OGG_PAGE, OggPageReader, type OggPage } from './ogg-page-reader.ts';
import { lacing, writeOggPage } from './ogg-page-writer.ts';

const packet = (n: number, fill: number) => Buffer.alloc(n, fill);

/** Three pages: a BOS header, two packets on one page, a 600-byte packet across two pages. */
function fixture(): { bytes: Buffer; packets: Buffer[] } {
  const head = packet(19, 1);
  const a = packet(100, 2);
  const b = packet(255, 3); // a multiple of 255 ends with a 0 lacing value
  const big = Buffer.concat([packet(510, 4), packet(90, 5)]);
  const pages = [
    writeOggPage({ segments: lacing([head]), body: head, granule: 0n, serial: 7, sequence: 0, flags: 2 }),
    writeOggPage({ segments: lacing([a, b]), body: Buffer.concat([a, b]), granule: 960n, serial: 7, sequence: 1 }),
    // The first 510 bytes (two 255 segments, no end) on one page, the rest continued on the next.
    writeOggPage({ segments: [255, 255], body: big.subarray(0, 510), granule: -1n, serial: 7, sequence: 2 }),
    writeOggPage({ segments: [90], body: big.subarray(510), granule: 1920n, serial: 7, sequence: 3, flags: 1 | 4 }),
  ];
  return { bytes: Buffer.concat(pages), packets: [head, a, b, big] };
}

function readAll(chunks: Buffer[], max = 65536): { pages: OggPage[]; reader: OggPageReader } {
  const reader = new OggPageReader({ maxPacketBytes: max });
  const pages: OggPage[] = [];
  for (const c of chunks) reader.push(c, pages);
  return { pages, reader };
}

test('pages and packets, a packet continued across pages, granules and flags', () => {
  const { bytes, packets } = fixture();
  const { pages, reader } = readAll([bytes]);
  assert.equal(pages.length, 4);
  assert.deepEqual(
    pages.flatMap((p) => p.packets),
    packets,
  );
  assert.deepEqual(
    pages.map((p) => p.granule),
    [0n, 960n, -1n, 1920n],
  );
  assert.equal(pages[0]!.bos, true);
  assert.equal(pages[3]!.eos, true);
  assert.deepEqual(reader.stats, { pages: 4, crcErrors: 0, skippedBytes: 0, lostPackets: 0 });
  assert.equal(reader.pendingBytes, 0);
});

test('any split of the bytes gives the same packets (fast-check)', () => {
  const { bytes, packets } = fixture();
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 20 }), (cuts) => {
      const at = [0, ...cuts.sort((x, y) => x - y), bytes.length];
      const chunks = at.slice(1).map((end, i) => bytes.subarray(at[i]!, end));
      const { pages, reader } = readAll(chunks);
      assert.deepEqual(
        pages.flatMap((p) => p.packets),
        packets,
      );
      assert.equal(reader.stats.skippedBytes, 0);
    }),
  );
});

test('a CRC error loses that page only; the next page is read', () => {
  const { bytes } = fixture();
  const bad = Buffer.from(bytes);
  bad[27 + 1 + 5] = bad[27 + 1 + 5]! ^ 0xff; // a byte of the OpusHead-like packet on page 0
  const { pages, reader } = readAll([bad]);
  assert.equal(reader.stats.crcErrors, 1);
  assert.deepEqual(
    pages.map((p) => p.sequence),
    [1, 2, 3],
  );
});

test('a lying segment table (claims more than the page holds) costs that page, not the stream', () => {
  const a = packet(40, 9);
  const liar = writeOggPage({ segments: [40], body: a, granule: 1n, serial: 1, sequence: 0 });
  liar[27] = 250; // the table now claims 250 bytes: the CRC covers other bytes and fails
  const good = writeOggPage({ segments: [40], body: a, granule: 2n, serial: 1, sequence: 1 });
  const filler = writeOggPage({ segments: [255, 0], body: packet(255, 1), granule: 3n, serial: 1, sequence: 2 });
  const { pages, reader } = readAll([liar, good, filler, filler]);
  assert.ok(reader.stats.crcErrors >= 1);
  assert.ok(
    pages.some((p) => p.granule === 2n),
    'the honest page after the liar is read',
  );
});

test('garbage between pages is skipped and counted; a non-zero version is not a page', () => {
  const { bytes, packets } = fixture();
  const v1 = Buffer.from(bytes.subarray(0, 47));
  v1[4] = 1;
  const mixed = Buffer.concat([Buffer.from('junkOggjunk'), v1, bytes]);
  const { pages, reader } = readAll([mixed]);
  assert.deepEqual(
    pages.flatMap((p) => p.packets),
    packets,
  );
  assert.ok(reader.stats.skippedBytes >= 11 + 47);
});

test('a continuation after a lost page, and a packet past maxPacketBytes, are dropped and counted', () => {
  const start = writeOggPage({ segments: [255], body: packet(255, 1), granule: -1n, serial: 1, sequence: 0 });
  // Sequence 2, not 1: the middle page is lost, so the continued packet cannot be finished.
  const end = writeOggPage({ segments: [10, 5], body: packet(15, 2), granule: 9n, serial: 1, sequence: 2, flags: 1 });
  const { pages, reader } = readAll([start, end]);
  assert.deepEqual(
    pages[1]!.packets.map((p) => p.length),
    [5],
  );
  assert.ok(reader.stats.lostPackets >= 1);

  const big = writeOggPage({ segments: [255, 255, 10, 3], body: packet(523, 3), granule: 5n, serial: 1, sequence: 0 });
  const r2 = readAll([big], 300);
  assert.deepEqual(
    r2.pages[0]!.packets.map((p) => p.length),
    [3],
  );
  assert.equal(r2.reader.stats.lostPackets, 1);
});

test('random bytes never throw and never hold more than a page (fast-check)', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 5000 }), { maxLength: 30 }), (chunks) => {
      const reader = new OggPageReader({ maxPacketBytes: 65536 });
      const pages: OggPage[] = [];
      for (const c of chunks) {
        // Sprinkle capture patterns so the header paths run too.
        const b = Buffer.from(c);
        if (b.length > 30) b.write('OggS\0', 3, 'latin1');
        reader.push(b, pages);
        assert.ok(reader.pendingBytes < MAX_OGG_PAGE);
      }
    }),
  );
});
