import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../errors.ts';
import { ffmpegPublishCapture } from '../../../test/support/rtmp-fixtures.ts';
import { ClientHandshake, HandshakeSize, ServerHandshake, type HandshakeResult } from './handshake.ts';
import { clientKey, clientKeyFull, findDigest, serverKey, serverKeyFull, verifyLastBytes } from './handshake-digest.ts';

/** A deterministic random source: bytes counting up from a seed. */
function counter(seed: number): (n: number) => Buffer {
  let next = seed;
  return (n) => Buffer.from(Array.from({ length: n }, () => next++ & 0xff));
}

function feed(hs: { receive(b: Buffer): HandshakeResult }, bytes: Buffer, step: number): HandshakeResult {
  const total: HandshakeResult = { out: [], done: false, rest: Buffer.alloc(0), warnings: [] };
  for (let i = 0; i < bytes.length; i += step) {
    const r = hs.receive(bytes.subarray(i, i + step));
    total.out.push(...r.out);
    total.warnings.push(...r.warnings);
    if (r.done) {
      total.done = true;
      total.rest = Buffer.concat([r.rest, bytes.subarray(i + step)]);
      break;
    }
  }
  return total;
}

function simpleC0C1(): Buffer {
  const c1 = Buffer.alloc(HandshakeSize, 0xab);
  c1.writeUInt32BE(1234, 0);
  c1.writeUInt32BE(0, 4); // zero version: the simple handshake (RTMP 1.0 §5.2.3)
  return Buffer.concat([Buffer.of(3), c1]);
}

describe('ServerHandshake', () => {
  it('answers a simple C1 with S0, an S1 of its own and S2 echoing C1, then takes C2 and returns the rest', () => {
    const hs = new ServerHandshake({ random: counter(1), epoch: 0x01020304 });
    const c0c1 = simpleC0C1();
    const r1 = hs.receive(c0c1);
    assert.equal(r1.done, false);
    const out = Buffer.concat(r1.out);
    assert.equal(out.length, 1 + 2 * HandshakeSize);
    assert.equal(out[0], 3);
    assert.equal(out.readUInt32BE(1), 0x01020304, 'S1 time is the injected epoch');
    assert.equal(out.readUInt32BE(5), 0, 'S1 zero field');
    assert.deepEqual(out.subarray(1 + HandshakeSize), c0c1.subarray(1), 'S2 echoes C1');
    assert.equal(hs.digest, false);
    const c2AndChunks = Buffer.concat([Buffer.alloc(HandshakeSize), Buffer.from('chunks')]);
    const r2 = hs.receive(c2AndChunks);
    assert.equal(r2.done, true);
    assert.deepEqual(r2.out, []);
    assert.equal(r2.rest.toString(), 'chunks');
  });

  it('gives the same answer fed one byte at a time', () => {
    const bytes = Buffer.concat([simpleC0C1(), Buffer.alloc(HandshakeSize, 1), Buffer.of(9, 8)]);
    const whole = feed(new ServerHandshake({ random: counter(5) }), bytes, bytes.length);
    const bytewise = feed(new ServerHandshake({ random: counter(5) }), bytes, 1);
    assert.deepEqual(Buffer.concat(bytewise.out), Buffer.concat(whole.out));
    assert.equal(bytewise.done, true);
    assert.deepEqual(bytewise.rest, Buffer.of(9, 8));
  });

  it('gives the same answer split at every offset, for ffmpeg’s digest C0 C1 C2', () => {
    const { c0c1, c2 } = ffmpegPublishCapture();
    const bytes = Buffer.concat([c0c1, c2, Buffer.of(1, 2, 3)]);
    const expected = Buffer.concat(feed(new ServerHandshake({ random: counter(5) }), bytes, bytes.length).out);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const hs = new ServerHandshake({ random: counter(5) });
      const a = hs.receive(bytes.subarray(0, cut));
      const b = a.done ? undefined : hs.receive(bytes.subarray(cut));
      const rest = b?.rest ?? Buffer.concat([a.rest, bytes.subarray(cut)]);
      if (!Buffer.concat([...a.out, ...(b?.out ?? [])]).equals(expected) || !rest.equals(Buffer.of(1, 2, 3))) {
        assert.fail(`split at ${cut} changed the handshake`);
      }
    }
  });

  it('answers a C1 with a version but no valid digest (garbage inside the handshake) with the simple handshake', () => {
    const c1 = counter(200)(HandshakeSize);
    c1.writeUInt32BE(0x0a0b0c0d, 4);
    const hs = new ServerHandshake({ random: counter(1) });
    const out = Buffer.concat(hs.receive(Buffer.concat([Buffer.of(3), c1])).out);
    assert.equal(hs.digest, false);
    assert.equal(out.readUInt32BE(5), 0);
    assert.deepEqual(out.subarray(1 + HandshakeSize), c1);
  });

  it('detects the digest C1 ffmpeg sent and answers with a digested S1 and an S2 keyed from the C1 digest', () => {
    const { c0c1 } = ffmpegPublishCapture();
    const hs = new ServerHandshake({ random: counter(7) });
    const out = Buffer.concat(hs.receive(c0c1).out);
    assert.equal(hs.digest, true);
    const s1 = out.subarray(1, 1 + HandshakeSize);
    const s2 = out.subarray(1 + HandshakeSize);
    assert.ok(s1[4]! >= 3, 'ffmpeg verifies S1 only when the version byte is >= 3');
    const serverDigest = findDigest(s1, serverKey);
    assert.ok(serverDigest, 'S1 carries a digest under the FMS key');
    assert.equal(serverDigest.schema, 1, 'same schema as ffmpeg used');
    const clientDigest = findDigest(c0c1.subarray(1), clientKey);
    assert.ok(clientDigest);
    assert.ok(verifyLastBytes(s2, serverKeyFull, clientDigest.digest), 'S2 is signed from the C1 digest');
  });

  it('rejects an RTMPE C0 (version 6) and HTTP garbage with RTMP_HANDSHAKE_VERSION before reading C1', () => {
    for (const first of [Buffer.of(6), Buffer.from('GET / HTTP/1.1\r\n')]) {
      const hs = new ServerHandshake();
      assert.throws(
        () => hs.receive(first),
        (err: unknown) => err instanceof ProtocolError && err.code === 'RTMP_HANDSHAKE_VERSION',
      );
    }
    assert.throws(() => new ServerHandshake().receive(Buffer.of(6)), /RTMPE/);
  });
});

describe('ClientHandshake', () => {
  for (const digest of [true, false]) {
    it(`completes against ServerHandshake (${digest ? 'digest' : 'simple'}), split at arbitrary offsets`, () => {
      const client = new ClientHandshake({ digest, random: counter(11), epoch: 42 });
      const server = new ServerHandshake({ random: counter(99) });
      const c0c1 = client.start();
      assert.equal(c0c1.length, 1 + HandshakeSize);
      assert.equal(c0c1.readUInt32BE(1), 42);
      const s = feed(server, c0c1, 97);
      assert.equal(server.digest, digest);
      const c = feed(client, Buffer.concat([...s.out, Buffer.from('after')]), 500);
      assert.equal(c.done, true);
      assert.deepEqual(c.warnings, []);
      assert.equal(c.rest.toString(), 'after');
      const c2 = Buffer.concat(c.out);
      assert.equal(c2.length, HandshakeSize);
      const done = server.receive(c2);
      assert.equal(done.done, true);
      if (digest) {
        const s1 = Buffer.concat(s.out).subarray(1, 1 + HandshakeSize);
        const sd = findDigest(s1, serverKey);
        assert.ok(sd && verifyLastBytes(c2, clientKeyFull, sd.digest), 'C2 is signed from the S1 digest');
      } else {
        assert.deepEqual(c2, Buffer.concat(s.out).subarray(1, 1 + HandshakeSize), 'C2 echoes S1');
      }
    });
  }

  it('warns (and still completes) when a digest C1 meets a simple-only server', () => {
    const client = new ClientHandshake({ random: counter(3) });
    const c1 = client.start().subarray(1);
    const s1 = Buffer.alloc(HandshakeSize, 0x11);
    s1.writeUInt32BE(0, 4);
    const r = client.receive(Buffer.concat([Buffer.of(3), s1, c1]));
    assert.equal(r.done, true);
    assert.match(r.warnings.join(), /no server digest/);
    assert.deepEqual(Buffer.concat(r.out), s1, 'falls back to echoing S1');
  });

  it('warns when S2 does not carry the expected signature', () => {
    const client = new ClientHandshake({ random: counter(3) });
    const server = new ServerHandshake({ random: counter(4) });
    const answer = Buffer.concat(server.receive(client.start()).out);
    answer[answer.length - 1]! ^= 0xff;
    const r = client.receive(answer);
    assert.equal(r.done, true);
    assert.match(r.warnings.join(), /S2 digest/);
  });

  it('rejects a server speaking another version', () => {
    const client = new ClientHandshake();
    assert.throws(() => client.receive(Buffer.of(8)), { code: 'RTMP_HANDSHAKE_VERSION' });
  });
});
