import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readPackets, readPes, type TsPacket } from '../../../test/support/ts-reader.ts';
import { EsPieces } from './es-pieces.ts';
import { pesPacketCount, StreamId, writePes, type PesHeader } from './pes-writer.ts';

const PID = 0x100;
const ptsOnly: PesHeader = { streamId: StreamId.Audio, pts: 9000, dts: 9000, pcr: undefined, randomAccess: false };
const withPcr: PesHeader = { streamId: StreamId.Video, pts: 12600, dts: 9000, pcr: 9000, randomAccess: true };

function esOf(data: Buffer): EsPieces {
  const es = new EsPieces();
  es.add(data);
  return es;
}

/** Writes one PES of `length` payload bytes and reads it back. */
function write(h: PesHeader, length: number, cc = 0): { packets: TsPacket[]; data: Buffer; nextCc: number } {
  const data = Buffer.from(Array.from({ length }, (_, i) => (i * 37 + 11) & 0xff));
  const out = Buffer.alloc(pesPacketCount(h, length) * 188, 0xaa); // 0xAA shows any byte left unwritten
  const nextCc = writePes(out, 0, PID, cc, h, esOf(data));
  return { packets: readPackets(out), data, nextCc };
}

/** Stuffing bytes in a packet: the adaptation field minus its flags and PCR, plus the length byte when that is all there is. */
function stuffing(p: TsPacket): number {
  if (p.adaptation === undefined) return 0;
  return p.adaptation.length === 0 ? 1 : p.adaptation.stuffing.length;
}

test('a PES that exactly fills one packet has no adaptation field', () => {
  const { packets } = write(ptsOnly, 184 - 14);
  assert.equal(packets.length, 1);
  assert.equal(packets[0]!.adaptationControl, 1);
  assert.equal(packets[0]!.adaptation, undefined);
});

test('one byte short: a 1-byte adaptation field (length 0, no flags) is the stuffing', () => {
  const { packets } = write(ptsOnly, 184 - 14 - 1);
  assert.equal(packets.length, 1);
  assert.equal(packets[0]!.adaptationControl, 3);
  assert.equal(packets[0]!.adaptation!.length, 0);
  assert.equal(packets[0]!.payload.length, 183);
});

test('two bytes short: length 1 and a zero flags byte, no 0xFF', () => {
  const { packets } = write(ptsOnly, 184 - 14 - 2);
  assert.equal(packets[0]!.adaptation!.length, 1);
  assert.equal(packets[0]!.adaptation!.randomAccess, false);
  assert.equal(packets[0]!.adaptation!.pcr, undefined);
  assert.equal(packets[0]!.adaptation!.stuffing.length, 0);
});

test('one byte over: a second packet carries that byte after 182 bytes of stuffing', () => {
  const { packets } = write(ptsOnly, 184 - 14 + 1);
  assert.equal(packets.length, 2);
  assert.equal(packets[0]!.adaptation, undefined);
  assert.equal(packets[1]!.payloadUnitStart, false);
  assert.equal(packets[1]!.adaptation!.length, 182);
  assert.ok(packets[1]!.adaptation!.stuffing.every((b) => b === 0xff));
  assert.equal(packets[1]!.payload.length, 1);
});

test('the first packet carries PCR and random_access_indicator; a PES filling it exactly adds no stuffing', () => {
  const { packets } = write(withPcr, 184 - 8 - 19);
  assert.equal(packets.length, 1);
  const af = packets[0]!.adaptation!;
  assert.equal(af.length, 7);
  assert.equal(af.randomAccess, true);
  assert.equal(af.pcr, 9000);
  assert.equal(af.pcrReserved, 0x3f);
  assert.equal(af.pcrExtension, 0);
  assert.equal(af.stuffing.length, 0);
  // One byte less: the same adaptation field grows by one 0xFF.
  const shorter = write(withPcr, 184 - 8 - 19 - 1).packets[0]!.adaptation!;
  assert.equal(shorter.length, 8);
  assert.deepEqual([...shorter.stuffing], [0xff]);
});

test('PES header: start code, stream id, length, flags, PTS then DTS with their prefixes and markers', () => {
  const { packets, data } = write(withPcr, 1000);
  const [pes] = readPes(packets, PID);
  assert.equal(pes!.streamId, 0xe0);
  assert.equal(pes!.packetLength, 3 + 10 + 1000);
  assert.equal(pes!.flags1, 0x84, "'10' marker and data_alignment_indicator");
  assert.equal(pes!.ptsDtsFlags, 3);
  assert.equal(pes!.headerDataLength, 10);
  assert.deepEqual(pes!.pts, { prefix: 3, value: 12600, markersOk: true });
  assert.deepEqual(pes!.dts, { prefix: 1, value: 9000, markersOk: true });
  assert.deepEqual(pes!.data, data);
});

test('PTS alone when DTS equals it; times beyond 2^33 and below 0 are carried modulo 2^33', () => {
  const late: PesHeader = { ...ptsOnly, pts: 2 ** 33 + 500, dts: 2 ** 33 + 500 };
  const [pes] = readPes(write(late, 10).packets, PID);
  assert.equal(pes!.ptsDtsFlags, 2);
  assert.equal(pes!.headerDataLength, 5);
  assert.deepEqual(pes!.pts, { prefix: 2, value: 500, markersOk: true });
  assert.equal(pes!.dts, undefined);
  const early: PesHeader = { ...withPcr, pts: -3000, dts: -6000, pcr: -6000 };
  const { packets } = write(early, 10);
  const [e] = readPes(packets, PID);
  assert.equal(e!.pts!.value, 2 ** 33 - 3000);
  assert.equal(e!.dts!.value, 2 ** 33 - 6000);
  assert.equal(packets[0]!.adaptation!.pcr, 2 ** 33 - 6000);
});

test('a video PES longer than 65535 bytes says PES_packet_length 0 (unbounded)', () => {
  const { packets, data } = write(withPcr, 70_000);
  const [pes] = readPes(packets, PID);
  assert.equal(pes!.packetLength, 0);
  assert.deepEqual(pes!.data, data);
});

test('any payload size and header: the computed packet count, CC in sequence, stuffing only at the end', () => {
  const headers = fc.record({
    pcr: fc.option(fc.integer({ min: 0, max: 2 ** 33 - 1 }), { nil: undefined }),
    randomAccess: fc.boolean(),
    cts: fc.constantFrom(0, 3600),
  });
  fc.assert(
    fc.property(headers, fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 0, max: 15 }), (hh, length, cc) => {
      const h: PesHeader = {
        streamId: StreamId.Video,
        pts: 90_000 + hh.cts,
        dts: 90_000,
        pcr: hh.pcr,
        randomAccess: hh.randomAccess,
      };
      const { packets, data, nextCc } = write(h, length, cc);
      const headerSize = hh.cts ? 19 : 14;
      const firstAf = hh.pcr !== undefined ? 8 : hh.randomAccess ? 2 : 0;
      // Independent count: fill the first packet, then whole packets.
      let count = 1;
      for (let left = headerSize + length - (184 - firstAf); left > 0; left -= 184) count++;
      assert.equal(packets.length, count);
      packets.forEach((p, i) => {
        assert.equal(p.pid, PID);
        assert.equal(p.cc, (cc + i) % 16);
        assert.equal(p.payloadUnitStart, i === 0);
        assert.equal(p.scrambling, 0);
        if (i < packets.length - 1) assert.equal(stuffing(p), 0, `packet ${i} of ${packets.length} is stuffed`);
        if (p.adaptation && p.adaptation.length > 0) assert.ok(p.adaptation.stuffing.every((b) => b === 0xff));
      });
      assert.equal(nextCc, (cc + packets.length) % 16);
      const first = packets[0]!.adaptation;
      assert.equal(first?.pcr, hh.pcr);
      assert.equal(first?.randomAccess ?? false, hh.randomAccess);
      assert.deepEqual(readPes(packets, PID)[0]!.data, data);
    }),
  );
});
