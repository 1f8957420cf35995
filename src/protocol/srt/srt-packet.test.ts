import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ControlType, decodePacket, encodeControl, encodeData, peekDestId, Position } from './srt-packet.ts';
import {
  decodeAck,
  decodeDropRequest,
  decodeLossList,
  encodeAck,
  encodeDropRequest,
  encodeLossList,
} from './srt-control.ts';
import { msgNoInc, msgNoMax, seqAdd, seqCmp, seqDec, seqInc, seqMax, seqOff } from './srt-seq.ts';
import { LiveError } from '../../errors.ts';

test('a data packet header, byte by byte (draft-sharabayko-srt §3.1)', () => {
  const d = encodeData(
    {
      seq: 0x12345678,
      msgNo: 5,
      timestamp: 1000,
      destId: 0xabcdef01,
      position: Position.first,
      inOrder: true,
      key: 0,
      retransmitted: true,
    },
    Buffer.from('TS'),
  );
  // F=0 + seq; PP=10 O=1 KK=00 R=1 msgno=5; timestamp; dest id; payload
  assert.equal(d.toString('hex'), '12345678' + 'a4000005' + '000003e8' + 'abcdef01' + '5453');
  const p = decodePacket(d);
  assert.deepEqual(
    { ...p, payload: undefined },
    {
      kind: 'data',
      seq: 0x12345678,
      position: 2,
      inOrder: true,
      key: 0,
      retransmitted: true,
      msgNo: 5,
      timestamp: 1000,
      destId: 0xabcdef01,
      payload: undefined,
    },
  );
  assert.equal(p.kind === 'data' && p.payload.toString(), 'TS');
});

test('a control packet header: F=1, type, subtype, type-specific word', () => {
  const c = encodeControl(ControlType.ackack, 7, 99, 42);
  assert.equal(c.toString('hex'), '80060000' + '00000007' + '00000063' + '0000002a');
  assert.deepEqual(
    { ...decodePacket(c), cif: undefined },
    { kind: 'control', type: 6, subtype: 0, info: 7, timestamp: 99, destId: 42, cif: undefined },
  );
  assert.equal(peekDestId(c), 42);
  assert.equal(peekDestId(Buffer.alloc(15)), -1);
});

test('every datagram shorter than a header is SRT_PACKET_INVALID; longer random bytes always decode', () => {
  for (let n = 0; n < 16; n++)
    assert.throws(
      () => decodePacket(Buffer.alloc(n)),
      (e: LiveError) => e.code === 'SRT_PACKET_INVALID',
    );
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 64 }), (bytes) => void decodePacket(Buffer.from(bytes))),
  );
});

test('sequence numbers wrap at 2^31 and compare the near way round', () => {
  assert.equal(seqInc(seqMax), 0);
  assert.equal(seqDec(0), seqMax);
  assert.ok(seqCmp(0, seqMax) > 0, '0 comes after 2^31-1');
  assert.equal(seqOff(seqMax - 1, 2), 4);
  assert.equal(seqAdd(seqMax, 3), 2);
  assert.equal(seqAdd(1, -3), seqMax - 1);
  assert.equal(msgNoInc(msgNoMax), 1);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: seqMax }),
      fc.integer({ min: -(2 ** 29), max: 2 ** 29 }),
      (a, n) => seqOff(a, seqAdd(a, n)) === n,
    ),
  );
});

test('ACK: full (28 bytes) and light (4 bytes) forms', () => {
  const full = encodeAck({
    ackSeq: 10,
    rttUs: 20_000,
    rttVarUs: 5000,
    availableBuffer: 100,
    packetsPerSecond: 1,
    linkCapacity: 2,
    bytesPerSecond: 3,
  });
  assert.equal(full.length, 28);
  assert.deepEqual(decodeAck(full), {
    ackSeq: 10,
    rttUs: 20_000,
    rttVarUs: 5000,
    availableBuffer: 100,
    packetsPerSecond: 1,
    linkCapacity: 2,
    bytesPerSecond: 3,
  });
  assert.deepEqual(decodeAck(encodeAck({ ackSeq: 11 })), { ackSeq: 11 });
  assert.throws(
    () => decodeAck(Buffer.alloc(3)),
    (e: LiveError) => e.code === 'SRT_PACKET_INVALID',
  );
});

test('NAK loss lists: single numbers as one word, ranges as first|0x80000000 then last (§3.2.5)', () => {
  const cif = encodeLossList([
    { first: 5, last: 5 },
    { first: 8, last: 12 },
  ]);
  assert.equal(cif.toString('hex'), '00000005' + '80000008' + '0000000c');
  assert.deepEqual(decodeLossList(cif), [
    { first: 5, last: 5 },
    { first: 8, last: 12 },
  ]);
  // A range across the wrap is fine; a range start without its end or running backwards is not.
  assert.deepEqual(decodeLossList(encodeLossList([{ first: seqMax, last: 1 }])), [{ first: seqMax, last: 1 }]);
  assert.throws(
    () => decodeLossList(Buffer.from('80000008', 'hex')),
    (e: LiveError) => e.code === 'SRT_PACKET_INVALID',
  );
  assert.throws(
    () => decodeLossList(Buffer.from('8000000c00000008', 'hex')),
    (e: LiveError) => e.code === 'SRT_PACKET_INVALID',
  );
  // A NAK of a million single words is cut at maxRanges: bounded work.
  assert.equal(decodeLossList(Buffer.alloc(4 * 100_000), 1024).length, 1024);
});

test('message-drop request: first and last sequence numbers', () => {
  assert.deepEqual(decodeDropRequest(encodeDropRequest(3, 9)), { first: 3, last: 9 });
  assert.throws(
    () => decodeDropRequest(Buffer.alloc(7)),
    (e: LiveError) => e.code === 'SRT_PACKET_INVALID',
  );
});
