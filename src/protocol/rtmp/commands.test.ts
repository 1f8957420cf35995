import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import { amf0Object } from '../amf0/amf0-value.ts';
import {
  decodeCommand,
  decodeData,
  encodeCommand,
  encodeOnStatus,
  encodeResult,
  encodeSetDataFrame,
  splitStreamName,
} from './commands.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** The command payloads ffmpeg 5.1 sent publishing to rtmp://127.0.0.1:44811/live/x?k=v (test/fixtures/rtmp). */
const ffmpeg = {
  connect: hex(`020007636f6e6e656374 003ff0000000000000 03 0003617070 0200046c697665
    000474797065 02000a6e6f6e70726976617465
    0008666c617368566572 020024464d4c452f332e302028636f6d70617469626c653b204c61766635392e32372e31303029
    0005746355726c 02001b72746d703a2f2f3132372e302e302e313a34343831312f6c697665 000009`),
  releaseStream: hex('02000d72656c6561736553747265616d 004000000000000000 05 020005783f6b3d76'),
  fcPublish: hex('02000946435075626c697368 004008000000000000 05 020005783f6b3d76'),
  createStream: hex('02000c63726561746553747265616d 004010000000000000 05'),
  publish: hex('0200077075626c697368 004014000000000000 05 020005783f6b3d76 0200046c697665'),
};

describe('command messages, ffmpeg bytes both ways', () => {
  const connectObject = amf0Object({
    app: 'live',
    type: 'nonprivate',
    flashVer: 'FMLE/3.0 (compatible; Lavf59.27.100)',
    tcUrl: 'rtmp://127.0.0.1:44811/live',
  });
  const table = [
    { bytes: ffmpeg.connect, cmd: { name: 'connect', transactionId: 1, commandObject: connectObject, args: [] } },
    {
      bytes: ffmpeg.releaseStream,
      cmd: { name: 'releaseStream', transactionId: 2, commandObject: null, args: ['x?k=v'] },
    },
    { bytes: ffmpeg.fcPublish, cmd: { name: 'FCPublish', transactionId: 3, commandObject: null, args: ['x?k=v'] } },
    { bytes: ffmpeg.createStream, cmd: { name: 'createStream', transactionId: 4, commandObject: null, args: [] } },
    { bytes: ffmpeg.publish, cmd: { name: 'publish', transactionId: 5, commandObject: null, args: ['x?k=v', 'live'] } },
  ];
  for (const { bytes, cmd } of table) {
    it(cmd.name, () => {
      assert.deepEqual(decodeCommand(20, bytes), cmd);
      assert.deepEqual(encodeCommand(cmd.name, cmd.transactionId, cmd.commandObject, ...cmd.args), bytes);
    });
  }

  it('reads an AMF3 command (type 17) that starts with 0x00 as AMF0, as FMS does', () => {
    assert.deepEqual(decodeCommand(17, Buffer.concat([Buffer.of(0), ffmpeg.createStream])).name, 'createStream');
    assert.throws(() => decodeCommand(17, Buffer.of(0x0a, 0x0b)), { code: 'RTMP_COMMAND_INVALID' });
  });

  it('refuses commands without a name or with a non-numeric transaction id', () => {
    assert.throws(() => decodeCommand(20, hex('003ff0000000000000')), { code: 'RTMP_COMMAND_INVALID' });
    assert.throws(() => decodeCommand(20, hex('020001 61 020001 62')), { code: 'RTMP_COMMAND_INVALID' });
    assert.throws(() => decodeCommand(20, Buffer.alloc(0)), { code: 'RTMP_COMMAND_INVALID' });
  });

  it('reports AMF0 that lies about a length with the AMF0 code', () => {
    // "publish" then a string claiming 0x0100 bytes with 5 present.
    assert.throws(() => decodeCommand(20, hex('0200077075626c697368 004014000000000000 05 020100783f6b3d76')), {
      code: 'AMF0_TRUNCATED',
    });
    assert.throws(() => decodeCommand(20, hex('02ffff61')), { code: 'AMF0_TRUNCATED' });
  });
});

describe('replies and data messages', () => {
  it('encodes onStatus as onStatus, 0, null, {level, code, description}', () => {
    const bytes = encodeOnStatus('error', 'NetStream.Publish.BadName', '18/503 bad signature');
    assert.deepEqual(decodeCommand(20, bytes), {
      name: 'onStatus',
      transactionId: 0,
      commandObject: null,
      args: [amf0Object({ level: 'error', code: 'NetStream.Publish.BadName', description: '18/503 bad signature' })],
    });
    assert.equal(bytes.subarray(0, 11).toString('hex'), '0200086f6e537461747573');
  });

  it('encodes _result with its transaction id', () => {
    assert.deepEqual(encodeResult(4, null, 1), hex('020007 5f726573756c74 004010000000000000 05 003ff0000000000000'));
  });

  it('decodes a data message, keeping where the values start', () => {
    const body = encodeSetDataFrame(amf0Object({ width: 320 }));
    const data = decodeData(18, body);
    assert.equal(data.name, '@setDataFrame');
    assert.deepEqual(data.values, ['onMetaData', amf0Object({ width: 320 })]);
    assert.deepEqual(decodeData(18, body.subarray(data.valuesOffset)).name, 'onMetaData');
  });

  it('splits a stream name from its query', () => {
    const { name, query } = splitStreamName('x?txSecret=abc&txTime=5F5E0FFF');
    assert.equal(name, 'x');
    assert.equal(query.get('txSecret'), 'abc');
    assert.equal(query.get('txTime'), '5F5E0FFF');
    assert.equal(splitStreamName('plain').query.size, 0);
  });
});
