/** Seed inputs built from test/fixtures: captures, files and the byte builders the unit tests use. */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { encodeAmf0 } from '../../src/protocol/amf0/amf0-encoder.ts';
import { amf0Object } from '../../src/protocol/amf0/amf0-value.ts';
import { encodeChunks } from '../../src/protocol/rtmp/chunk-encoder.ts';
import { encodeCommand } from '../../src/protocol/rtmp/commands.ts';
import { fixture, hexFixture } from '../../test/fixtures/fixture.ts';

let captured: { c0c1: Buffer; c2: Buffer; chunks: Buffer } | undefined;

/** The ffmpeg publish capture: C0+C1, C2 and the chunk stream after the handshake (read once). */
export function capture(): { c0c1: Buffer; c2: Buffer; chunks: Buffer } {
  captured ??= {
    c0c1: hexFixture('rtmp/ffmpeg-publish.c0c1.hex'),
    c2: hexFixture('rtmp/ffmpeg-publish.c2.hex'),
    chunks: hexFixture('rtmp/ffmpeg-publish.chunks.hex'),
  };
  return captured;
}

/**
 * C0+C1+C2 of the simple handshake (C1 version 0, RTMP 1.0 §5.2.3): the session targets start with it,
 * since the digest one costs four HMACs per input and has a target of its own.
 */
export const simpleHandshake: Buffer = Buffer.concat([Buffer.of(3), Buffer.alloc(1536), Buffer.alloc(1536)]);

/** Small chunk streams: commands, control messages, extended timestamps, several chunk sizes. */
export function chunkSeeds(): Buffer[] {
  const connect = encodeCommand(
    'connect',
    1,
    amf0Object({ app: 'live', tcUrl: 'rtmp://h/live?a=1', flashVer: 'FMLE/3.0' }),
  );
  const setChunk = Buffer.alloc(4);
  setChunk.writeUInt32BE(4096);
  const big = Buffer.alloc(700, 0x17);
  const { chunks } = capture();
  return [
    encodeChunks({ csid: 3, typeId: 20, streamId: 0, timestamp: 0, payload: connect }, 128),
    Buffer.concat([
      encodeChunks({ csid: 2, typeId: 1, streamId: 0, timestamp: 0, payload: setChunk }, 128),
      encodeChunks({ csid: 6, typeId: 9, streamId: 1, timestamp: 0x1000000, payload: big }, 4096),
    ]),
    encodeChunks({ csid: 400, typeId: 8, streamId: 1, timestamp: 0xffffff, payload: big }, 128),
    encodeChunks(
      { csid: 70, typeId: 18, streamId: 1, timestamp: 40, payload: encodeAmf0('onMetaData', amf0Object({ width: 1 })) },
      128,
    ),
    chunks.subarray(0, 1024),
    chunks.subarray(0, 4096),
  ];
}

/** AMF0 bodies: ffmpeg's connect and onMetaData, plus every marker once. */
export function amf0Seeds(): Buffer[] {
  return [
    hexFixture('amf0/ffmpeg-connect.hex'),
    hexFixture('amf0/ffmpeg-onmetadata.hex'),
    encodeAmf0(
      1.5,
      true,
      'str',
      null,
      undefined,
      amf0Object({ a: 1, b: amf0Object({ c: 'd' }) }),
      [1, 'x'],
      new Date(0),
    ),
    encodeAmf0('x'.repeat(70_000)).subarray(0, 600),
  ];
}

/** The FLV files, cut to their first few KB (the mutator grows them back where it pays). */
export function flvSeeds(): Buffer[] {
  return ['aac-48000-stereo.flv', 'h264-aac-320x240.flv', 'h264-mp3-176x144.flv'].map((f) =>
    fixture(`flv/${f}`).subarray(0, 4096),
  );
}

/** Codec configuration records (avcC, hvcC) of real encoders. */
export function codecRecords(ext: string): Buffer[] {
  const dir = new URL('../../test/fixtures/codec/', import.meta.url);
  return readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .map((f) => readFileSync(new URL(f, dir)));
}

/** Inputs committed under test/fixtures/fuzz/<target>/corpus (a grown corpus of earlier runs). */
export function committedCorpus(target: string): Buffer[] {
  const dir = new URL(`../../test/fixtures/fuzz/${target}/corpus/`, import.meta.url);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .map((f) => readFileSync(new URL(f, dir)));
}
