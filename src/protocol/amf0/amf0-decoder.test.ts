import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../errors.ts';
import { hex, hexFixture } from '../../../test/fixtures/fixture.ts';
import { decodeAmf0, decodeAmf0All } from './amf0-decoder.ts';
import { encodeAmf0 } from './amf0-encoder.ts';
import { Amf0EcmaArray, amf0Object, type Amf0Value } from './amf0-value.ts';

/** Asserts that `fn` throws a ProtocolError with `code`. */
function assertCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => err instanceof ProtocolError && err.code === code);
}

describe('decodeAmf0 byte table', () => {
  const table: [string, string, Amf0Value][] = [
    ['number', '00 3ff8000000000000', 1.5],
    ['negative zero', '00 8000000000000000', -0],
    ['boolean true (any non-zero byte)', '01 02', true],
    ['boolean false', '01 00', false],
    ['string', '02 0002 6869', 'hi'],
    ['empty string', '02 0000', ''],
    ['utf-8 string', '02 0003 e4b8ad', '中'],
    ['null', '05', null],
    ['undefined', '06', undefined],
    ['unsupported decodes as undefined', '0d', undefined],
    ['object', '03 0001 61 00 3ff0000000000000 0000 09', amf0Object({ a: 1 })],
    ['typed object drops its class name', '10 0003 466f6f 0001 78 05 0000 09', amf0Object({ x: null })],
    ['strict array', '0a 00000002 05 01 01', [null, true]],
    ['date ignores the time zone', '0b 426d1a94a2000000 ff88', new Date(1_000_000_000_000)],
    ['long string', '0c 00000003 616263', 'abc'],
    ['xml document as a string', '0f 00000004 3c612f3e', '<a/>'],
  ];
  for (const [name, bytes, expected] of table) {
    it(name, () => {
      const buf = hex(bytes);
      const { value, offset } = decodeAmf0(buf);
      assert.deepEqual(value, expected);
      assert.equal(offset, buf.length);
    });
  }

  it('keeps key order and lets an empty key be a property when no end marker follows', () => {
    const { value } = decodeAmf0(hex('03 0001 7a 05 0000 02 0000 0001 61 05 0000 09'));
    assert.ok(value instanceof Map);
    assert.deepEqual(
      [...value.entries()],
      [
        ['z', null],
        ['', ''],
        ['a', null],
      ],
    );
  });

  it('reads an ECMA array to its end marker whatever its count says (FFmpeg/Flash write wrong counts)', () => {
    const { value } = decodeAmf0(hex('08 00000000 0001 61 01 01 0001 62 01 00 0000 09'));
    assert.ok(value instanceof Amf0EcmaArray);
    assert.deepEqual(
      [...value.entries()],
      [
        ['a', true],
        ['b', false],
      ],
    );
  });

  it('decodes at an offset and returns the offset after the value', () => {
    const buf = hex('05 02 0001 41 06');
    assert.deepEqual(decodeAmf0(buf, 1), { value: 'A', offset: 5 });
  });

  it('treats __proto__ and constructor as plain keys', () => {
    const { value } = decodeAmf0(hex('03 0009 5f5f70726f746f5f5f 01 01 000b 636f6e7374727563746f72 05 0000 09'));
    assert.ok(value instanceof Map);
    assert.equal(value.get('__proto__'), true);
    assert.equal(value.get('constructor'), null);
    assert.equal(Object.getPrototypeOf(value), Map.prototype);
  });
});

describe('decodeAmf0 real payloads', () => {
  it('decodes the connect command ffmpeg 5.1 sent and re-encodes it byte for byte', () => {
    const buf = hexFixture('amf0/ffmpeg-connect.hex');
    const values = decodeAmf0All(buf);
    assert.deepEqual(values, [
      'connect',
      1,
      amf0Object({
        app: 'live',
        type: 'nonprivate',
        flashVer: 'FMLE/3.0 (compatible; Lavf59.27.100)',
        tcUrl: 'rtmp://127.0.0.1:19350/live',
      }),
    ]);
    assert.deepEqual(encodeAmf0(...values), buf);
  });

  it('decodes the onMetaData ffmpeg wrote into an FLV file and re-encodes it byte for byte', () => {
    const buf = hexFixture('amf0/ffmpeg-onmetadata.hex');
    const [name, meta, ...rest] = decodeAmf0All(buf);
    assert.equal(name, 'onMetaData');
    assert.deepEqual(rest, []);
    assert.ok(meta instanceof Amf0EcmaArray);
    assert.equal(meta.size, 13);
    assert.equal(meta.get('width'), 320);
    assert.equal(meta.get('height'), 240);
    assert.equal(meta.get('framerate'), 25);
    assert.equal(meta.get('videocodecid'), 7);
    assert.equal(meta.get('audiocodecid'), 10);
    assert.equal(meta.get('audiosamplerate'), 44100);
    assert.equal(meta.get('stereo'), false);
    assert.equal(meta.get('encoder'), 'Lavf59.27.100');
    assert.deepEqual(encodeAmf0(name, meta), buf);
  });
});

describe('decodeAmf0 errors', () => {
  it('rejects references, AMF3 switches, movie clips, record sets and unknown markers with AMF0_MARKER', () => {
    for (const bytes of ['07 0000', '11 06', '04', '0e', '12', 'ff', '09']) {
      assertCode(() => decodeAmf0(hex(bytes)), 'AMF0_MARKER');
    }
  });

  it('rejects nesting past 64 levels with AMF0_DEPTH, and accepts 64', () => {
    const nested = (depth: number): Buffer => hex('0a00000001'.repeat(depth) + '05');
    assert.ok(Array.isArray(decodeAmf0(nested(64)).value));
    assertCode(() => decodeAmf0(nested(65)), 'AMF0_DEPTH');
    const objects = hex('03 0001 61'.repeat(65) + '05' + '000009'.repeat(65));
    assertCode(() => decodeAmf0(objects), 'AMF0_DEPTH');
  });

  it('rejects lengths and counts past the end of the buffer with AMF0_TRUNCATED', () => {
    for (const bytes of ['02 0005 6162', '0c ffffffff 61', '0a ffffffff 05', '00 3ff0', '0b 00', '', '03 0001']) {
      assertCode(() => decodeAmf0(hex(bytes)), 'AMF0_TRUNCATED');
    }
    assertCode(() => decodeAmf0(hex('05'), 2), 'AMF0_TRUNCATED');
  });

  it('reports AMF0_TRUNCATED for every cut of the ffmpeg connect command that is not a value boundary', () => {
    const buf = hexFixture('amf0/ffmpeg-connect.hex');
    const boundaries = new Map([
      [10, 1], // after 'connect'
      [19, 2], // after the transaction id
    ]);
    for (let cut = 1; cut < buf.length; cut++) {
      const prefix = buf.subarray(0, cut);
      const complete = boundaries.get(cut);
      if (complete !== undefined) assert.equal(decodeAmf0All(prefix).length, complete);
      else assertCode(() => decodeAmf0All(prefix), 'AMF0_TRUNCATED');
    }
  });

  it('returns a value or throws ProtocolError for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeAmf0All(Buffer.from(bytes));
        } catch (err) {
          assert.ok(err instanceof ProtocolError, String(err));
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('returns a value or throws ProtocolError for mutations of a real payload', () => {
    const base = hexFixture('amf0/ffmpeg-onmetadata.hex');
    fc.assert(
      fc.property(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const buf = Buffer.from(base);
        buf[at] = byte;
        try {
          decodeAmf0All(buf);
        } catch (err) {
          assert.ok(err instanceof ProtocolError, String(err));
        }
      }),
      { numRuns: 3000 },
    );
  });
});
