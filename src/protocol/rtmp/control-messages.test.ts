import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../errors.ts';
import {
  decodeControl,
  encodeAbort,
  encodeAcknowledgement,
  encodeSetBufferLength,
  encodeSetChunkSize,
  encodeSetPeerBandwidth,
  encodeUserControl,
  encodeWindowAckSize,
  MessageType,
  UserControlEvent,
  type ControlMessage,
} from './control-messages.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Payloads and their typed values, run both ways. */
const table: { typeId: number; bytes: string; value: ControlMessage; encode: () => Buffer }[] = [
  {
    typeId: 1,
    bytes: '00001000',
    value: { type: 'set-chunk-size', chunkSize: 4096 },
    encode: () => encodeSetChunkSize(4096),
  },
  { typeId: 2, bytes: '00000006', value: { type: 'abort', csid: 6 }, encode: () => encodeAbort(6) },
  {
    typeId: 3,
    bytes: 'ffffffff',
    value: { type: 'acknowledgement', sequenceNumber: 0xffffffff },
    encode: () => encodeAcknowledgement(2 ** 32 - 1),
  },
  {
    typeId: 5,
    bytes: '002625a0',
    value: { type: 'window-ack-size', size: 2_500_000 },
    encode: () => encodeWindowAckSize(2_500_000),
  },
  {
    typeId: 6,
    bytes: '002625a0 02',
    value: { type: 'set-peer-bandwidth', size: 2_500_000, limitType: 2 },
    encode: () => encodeSetPeerBandwidth(2_500_000, 2),
  },
  {
    typeId: 4,
    bytes: '0000 00000001',
    value: { type: 'user-control', event: 0, streamId: 1 },
    encode: () => encodeUserControl(UserControlEvent.StreamBegin, 1),
  },
  {
    typeId: 4,
    bytes: '0001 00000001',
    value: { type: 'user-control', event: 1, streamId: 1 },
    encode: () => encodeUserControl(UserControlEvent.StreamEof, 1),
  },
  {
    typeId: 4,
    bytes: '0002 00000002',
    value: { type: 'user-control', event: 2, streamId: 2 },
    encode: () => encodeUserControl(UserControlEvent.StreamDry, 2),
  },
  {
    typeId: 4,
    bytes: '0003 00000001 00000bb8',
    value: { type: 'user-control', event: 3, streamId: 1, bufferLength: 3000 },
    encode: () => encodeSetBufferLength(1, 3000),
  },
  {
    typeId: 4,
    bytes: '0004 00000001',
    value: { type: 'user-control', event: 4, streamId: 1 },
    encode: () => encodeUserControl(UserControlEvent.StreamIsRecorded, 1),
  },
  {
    typeId: 4,
    bytes: '0006 00000d0f',
    value: { type: 'ping-request', timestamp: 0xd0f },
    encode: () => encodeUserControl(UserControlEvent.PingRequest, 0xd0f),
  },
  {
    typeId: 4,
    bytes: '0007 00000d0f',
    value: { type: 'ping-response', timestamp: 0xd0f },
    encode: () => encodeUserControl(UserControlEvent.PingResponse, 0xd0f),
  },
];

describe('control message byte table', () => {
  for (const t of table) {
    it(`${t.value.type} ${t.bytes}`, () => {
      assert.deepEqual(decodeControl(t.typeId, hex(t.bytes)), t.value);
      assert.equal(t.encode().toString('hex'), hex(t.bytes).toString('hex'));
    });
  }

  it('reads a Set Peer Bandwidth without its limit byte as dynamic', () => {
    assert.deepEqual(decodeControl(MessageType.SetPeerBandwidth, hex('00001000')), {
      type: 'set-peer-bandwidth',
      size: 4096,
      limitType: 2,
    });
  });

  it('passes unknown User Control events through with their data', () => {
    const got = decodeControl(MessageType.UserControl, hex('001a 01'));
    assert.equal(got.type, 'user-control-unknown');
    assert.equal(got.type === 'user-control-unknown' && got.data.toString('hex'), '01');
  });

  it('refuses short payloads and invalid chunk sizes with stable codes', () => {
    assert.throws(() => decodeControl(1, hex('0000')), { code: 'RTMP_MESSAGE_INVALID' });
    assert.throws(() => decodeControl(4, hex('00')), { code: 'RTMP_MESSAGE_INVALID' });
    assert.throws(() => decodeControl(4, hex('0003 00000001')), { code: 'RTMP_MESSAGE_INVALID' });
    assert.throws(() => decodeControl(1, hex('00000000')), { code: 'RTMP_CHUNK_SIZE' });
    assert.throws(() => decodeControl(1, hex('80000000')), { code: 'RTMP_CHUNK_SIZE' });
    assert.throws(() => encodeSetChunkSize(0), { code: 'RTMP_CHUNK_SIZE' });
  });

  it('decodes any payload of types 1..6 to a value or a ProtocolError', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.uint8Array({ maxLength: 12 }), (typeId, bytes) => {
        try {
          decodeControl(typeId, Buffer.from(bytes));
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
        }
      }),
    );
  });
});
