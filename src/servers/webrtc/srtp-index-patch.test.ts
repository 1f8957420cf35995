import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as werift from 'werift';
import { RtpHeader, SrtpSession } from 'werift';
import { parseRtpPacket } from '../../protocol/rtp/rtp-packet.ts';
import { srtpKeyPair } from './srtp-test-kit.ts';
import { installSrtpIndexEstimate } from './srtp-index-patch.ts';

const { keys, viewerKeys } = srtpKeyPair();

/** Packet `seq` at rollover counter `roc`, protected as its sender (which knows the index) does. */
function packet(sender: SrtpSession, seq: number, roc: number): Buffer {
  const h = new RtpHeader({ ssrc: 0x4242, payloadType: 96, sequenceNumber: seq, timestamp: seq * 10 });
  const cipher = (sender as unknown as { localContext: { cipher: { encryptRtp(...a: unknown[]): Buffer } } })
    .localContext.cipher;
  return cipher.encryptRtp(h, Buffer.from(`packet ${roc}:${seq}`), roc);
}

test('a receiver that missed 600 packets across the sequence wrap decrypts the ones after it (RFC 3711 estimate)', () => {
  assert.equal(installSrtpIndexEstimate(werift), true);
  assert.equal(installSrtpIndexEstimate(werift), true, 'idempotent');
  for (const profile of [1, 7] as const) {
    const sender = new SrtpSession({ keys, profile });
    const receiver = new SrtpSession({ keys: viewerKeys, profile });
    const got = (d: Buffer) => parseRtpPacket(receiver.decrypt(d)).payload.toString();
    assert.equal(got(packet(sender, 65300, 0)), 'packet 0:65300');
    // werift's own guess keeps counter 0 here (65300 is more than 100 from the wrap): authentication fails.
    assert.equal(got(packet(sender, 400, 1)), 'packet 1:400');
    assert.equal(got(packet(sender, 65301, 0)), 'packet 0:65301', 'a late one from before the wrap');
    assert.equal(got(packet(sender, 401, 1)), 'packet 1:401');
    assert.throws(() => receiver.decrypt(packet(sender, 402, 2)), 'a wrong counter still fails');
    assert.equal(got(packet(sender, 403, 1)), 'packet 1:403', 'and leaves the state as it was');
  }
});
