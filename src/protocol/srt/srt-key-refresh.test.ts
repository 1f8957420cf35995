import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SrtConnection } from './srt-connection.ts';
import { SrtCrypto } from './srt-crypto.ts';
import { KeyFlag, wrapKeys } from './srt-key-material.ts';
import { ControlType, decodePacket, encodeControl, encodeData } from './srt-packet.ts';

const pass = '0123456789ab';
const salt = Buffer.alloc(16, 9);
const even = Buffer.alloc(32, 1);
const odd = Buffer.alloc(32, 2);

test('an encrypted connection: even-key packets, a UMSG_EXT KMREQ refresh answered with KMRSP, then odd-key packets', () => {
  const crypto = new SrtCrypto(pass);
  assert.equal(crypto.take(wrapKeys(pass, salt, { even })), 'ok');
  const sent: Buffer[] = [];
  const delivered: Buffer[] = [];
  const conn = new SrtConnection(
    {
      localId: 2,
      peerId: 1,
      initialSeq: 100,
      startUs: 0,
      peerStartUs: 0,
      recvLatencyUs: 20_000,
      sendLatencyUs: 20_000,
      windowPackets: 64,
      maxReceiveBytes: 1 << 20,
      maxSendPackets: 64,
      peerIdleTimeoutUs: 5_000_000,
      nowUs: 0,
      crypto,
    },
    { send: (d) => void sent.push(d), deliver: (p) => void delivered.push(Buffer.from(p)), closed: () => {} },
  );
  // The peer's side: its own crypto with the same keys.
  const peer = new SrtCrypto(pass);
  peer.take(wrapKeys(pass, salt, { even }));
  const payload = (i: number) => Buffer.alloc(188, i);
  const packet = (seq: number, key: number, c: SrtCrypto) =>
    encodeData({ seq, msgNo: seq, timestamp: 0, destId: 2, key }, c.encrypt(seq, payload(seq - 99)));
  conn.receive(packet(100, KeyFlag.even, peer), 1000);
  const both = wrapKeys(pass, salt, { even, odd });
  conn.receive(encodeControl(ControlType.userDefined, 0, 0, 2, both, 3), 2000);
  const kmrsp = sent.map(decodePacket).find((p) => p.kind === 'control' && p.type === ControlType.userDefined);
  assert.ok(kmrsp && kmrsp.kind === 'control');
  assert.equal(kmrsp.subtype, 4);
  assert.deepEqual(kmrsp.cif, both, 'the KMRSP echoes the KM');
  const peerOdd = new SrtCrypto(pass);
  peerOdd.take(wrapKeys(pass, salt, { odd }));
  conn.receive(packet(101, KeyFlag.odd, peerOdd), 3000);
  conn.receive(packet(102, KeyFlag.even, peer), 3500);
  conn.tick(100_000);
  assert.deepEqual(delivered, [payload(1), payload(2), payload(3)]);
  // Our own sends are encrypted with the agreed key and decrypt on the peer's side.
  conn.send(Buffer.from('hello'), 4000);
  const out = decodePacket(sent.at(-1)!);
  assert.ok(out.kind === 'data' && out.key !== 0);
  assert.equal(peer.decrypt(out.seq, out.key, out.payload)?.toString(), 'hello');
  // A refresh with another passphrase's keys is answered with the BADSECRET state word, keys unchanged.
  conn.receive(
    encodeControl(ControlType.userDefined, 0, 0, 2, wrapKeys('another-passphrase', salt, { odd: even }), 3),
    5000,
  );
  const bad = decodePacket(sent.at(-1)!);
  assert.ok(bad.kind === 'control' && bad.subtype === 4 && bad.cif.length === 4 && bad.cif.readUInt32BE(0) === 4);
});
