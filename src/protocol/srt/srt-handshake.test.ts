import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LiveError, ProtocolError } from '../../errors.ts';
import {
  decodeHandshake,
  decodeWordString,
  encodeHandshake,
  encodeWordString,
  HandshakeType,
  srtMagic,
  type Handshake,
} from './srt-handshake.ts';
import {
  acceptConclusion,
  listenerStep,
  negotiateLatency,
  rejectConclusion,
  synCookie,
} from './srt-listener-handshake.ts';
import { ControlType, decodePacket, encodeControl, type ControlPacket } from './srt-packet.ts';
import { RejectReason, rejectionOf, rejectionType } from './srt-reject.ts';

/**
 * A conclusion as libsrt 1.5 (srt-live-transmit, `streamid=live/cam&latency=200`) sends it: version 5,
 * extension flags HSREQ|CONFIG, HSREQ (1.5.1, flags 0xbf, 200/200 ms), SID "live/cam" with each word reversed.
 */
const libsrtConclusion = Buffer.from(
  '00000005' +
    '0000' +
    '0005' +
    '61dd3aff' +
    '000005dc' +
    '00002000' +
    'ffffffff' +
    '0bbedb7c' +
    '14eea99d' +
    '0100007f' +
    '00000000' +
    '00000000' +
    '00000000' +
    '0001' +
    '0003' +
    '00010501' +
    '000000bf' +
    '00c8' +
    '00c8' +
    '0005' +
    '0002' +
    '6576696c' +
    '6d61632f',
  'hex',
);

test('a libsrt conclusion decodes field by field, the SID un-reversed word by word', () => {
  const hs = decodeHandshake(libsrtConclusion);
  assert.equal(hs.version, 5);
  assert.equal(hs.extension, 5);
  assert.equal(hs.initialSeq, 0x61dd3aff);
  assert.equal(hs.mtu, 1500);
  assert.equal(hs.flowWindow, 8192);
  assert.equal(hs.type, HandshakeType.conclusion);
  assert.equal(hs.socketId, 0x0bbedb7c);
  assert.equal(hs.cookie, 0x14eea99d);
  assert.deepEqual(hs.hsreq, { version: 0x010501, flags: 0xbf, recvDelayMs: 200, sendDelayMs: 200 });
  assert.equal(hs.streamId, 'live/cam');
  assert.equal(hs.keyMaterial, false);
  // Encoding the decoded value gives the same bytes back.
  assert.equal(encodeHandshake(hs).toString('hex'), libsrtConclusion.toString('hex'));
});

test('SID byte order: zero-padded to words, each word little-endian ("#!::" travels as "::!#")', () => {
  assert.equal(encodeWordString('#!::').toString('latin1'), '::!#');
  assert.equal(encodeWordString('abcde').toString('hex'), '64636261' + '00000065');
  assert.equal(decodeWordString(encodeWordString('abcde')), 'abcde');
  fc.assert(
    fc.property(
      fc.string({ maxLength: 100 }).filter((s) => !s.endsWith('\0')),
      (s) => decodeWordString(encodeWordString(s)) === s,
    ),
  );
});

test('every prefix of a handshake either decodes or is SRT_HANDSHAKE_INVALID; lying lengths are refused', () => {
  for (let n = 0; n <= libsrtConclusion.length; n++) {
    try {
      decodeHandshake(libsrtConclusion.subarray(0, n));
    } catch (err) {
      assert.ok(err instanceof ProtocolError && err.code === 'SRT_HANDSHAKE_INVALID', `prefix ${n}: ${String(err)}`);
    }
  }
  const lying = Buffer.from(libsrtConclusion);
  lying.writeUInt16BE(0xffff, 48 + 16 + 2); // the SID claims 256 KiB
  assert.throws(
    () => decodeHandshake(lying),
    (e: LiveError) => e.code === 'SRT_HANDSHAKE_INVALID',
  );
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 48, maxLength: 200 }), (bytes) => {
      try {
        decodeHandshake(Buffer.from(bytes));
      } catch (err) {
        assert.ok(err instanceof ProtocolError);
      }
    }),
  );
});

const peer = '127.0.0.1|5000';
const secret = Buffer.alloc(32, 7);
const induction: Handshake = {
  version: 4,
  encryption: 0,
  extension: 2,
  initialSeq: 77,
  mtu: 1500,
  flowWindow: 8192,
  type: HandshakeType.induction,
  socketId: 1234,
  cookie: 0,
  peerIp: Buffer.alloc(16),
};

function control(hs: Handshake, timestamp = 0): ControlPacket {
  const p = decodePacket(encodeControl(ControlType.handshake, 0, timestamp, 0, encodeHandshake(hs)));
  assert.equal(p.kind, 'control');
  return p as ControlPacket;
}

test('listener: an induction is answered with version 5, the SRT magic and the SYN cookie, to the caller id', () => {
  const step = listenerStep(control(induction), peer, secret, 90_000_000, 5);
  assert.equal(step.kind, 'reply');
  const reply = decodePacket(step.kind === 'reply' ? step.datagram : Buffer.alloc(0)) as ControlPacket;
  assert.equal(reply.destId, 1234);
  const hs = decodeHandshake(reply.cif);
  assert.deepEqual(
    [hs.version, hs.extension, hs.type, hs.initialSeq, hs.cookie],
    [5, srtMagic, HandshakeType.induction, 77, synCookie(secret, peer, 90_000_000)],
  );
});

test("listener: a conclusion needs this minute's (or the last minute's) cookie for this address", () => {
  const now = 600_000_000;
  const conclusion = (cookie: number, extra: Partial<Handshake> = {}): Handshake => ({
    ...induction,
    version: 5,
    extension: 5,
    type: HandshakeType.conclusion,
    cookie,
    hsreq: { version: 0x010501, flags: 0xbf, recvDelayMs: 200, sendDelayMs: 300 },
    streamId: 'live/cam',
    ...extra,
  });
  assert.equal(
    listenerStep(control(conclusion(synCookie(secret, peer, now))), peer, secret, now, 0).kind,
    'conclusion',
  );
  assert.equal(
    listenerStep(control(conclusion(synCookie(secret, peer, now - 60_000_000))), peer, secret, now, 0).kind,
    'conclusion',
  );
  const stale = listenerStep(control(conclusion(synCookie(secret, peer, now - 120_000_000))), peer, secret, now, 0);
  assert.deepEqual([stale.kind, stale.kind === 'reject' && stale.reason], ['reject', RejectReason.rdvCookie]);
  const other = listenerStep(control(conclusion(synCookie(secret, '10.0.0.1|5000', now))), peer, secret, now, 0);
  assert.equal(other.kind, 'reject');
  // A caller with a passphrase (encryption field = key length / 8) hears SRT_REJ_UNSECURE, as from libsrt.
  const crypt = listenerStep(
    control(conclusion(synCookie(secret, peer, now), { encryption: 2, extension: 7 })),
    peer,
    secret,
    now,
    0,
  );
  assert.deepEqual([crypt.kind, crypt.kind === 'reject' && crypt.reason], ['reject', RejectReason.unsecure]);
  const v4 = listenerStep(
    control(conclusion(synCookie(secret, peer, now), { version: 4, hsreq: undefined })),
    peer,
    secret,
    now,
    0,
  );
  assert.deepEqual([v4.kind, v4.kind === 'reject' && v4.reason], ['reject', RejectReason.version]);
});

test("listener: the answer carries our socket id, the caller's sequence number and the larger latencies", () => {
  const req = {
    ...induction,
    version: 5,
    type: HandshakeType.conclusion,
    cookie: 9,
    hsreq: { version: 0x010501, flags: 0xbf, recvDelayMs: 200, sendDelayMs: 300 },
  };
  const lat = negotiateLatency(req.hsreq, { recvLatencyMs: 120, sendLatencyMs: 120 });
  assert.deepEqual(lat, { recvMs: 300, sendMs: 200 });
  assert.deepEqual(negotiateLatency(req.hsreq, { recvLatencyMs: 500, sendLatencyMs: 120 }), {
    recvMs: 500,
    sendMs: 200,
  });
  const answer = decodePacket(
    acceptConclusion(req, { localId: 999, recvMs: lat.recvMs, sendMs: lat.sendMs, mtu: 1500, flowWindow: 4096 }, 0),
  ) as ControlPacket;
  const hs = decodeHandshake(answer.cif);
  assert.equal(answer.destId, 1234);
  assert.deepEqual(
    [hs.type, hs.socketId, hs.initialSeq, hs.flowWindow, hs.hsrsp?.recvDelayMs, hs.hsrsp?.sendDelayMs],
    [HandshakeType.conclusion, 999, 77, 4096, 300, 200],
  );
  const refused = decodeHandshake(
    (decodePacket(rejectConclusion(req, RejectReason.unauthorized, 0)) as ControlPacket).cif,
  );
  assert.equal(refused.type, 2401, 'SRT_REJX_UNAUTHORIZED (1401) travels as 1000 + 1401');
  assert.equal(rejectionOf(refused.type), RejectReason.unauthorized);
  assert.equal(rejectionType(RejectReason.unsecure), 1011);
  assert.equal(rejectionOf(HandshakeType.conclusion), undefined);
});
