import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { RtpHeader, SrtpSession, SrtcpSession } from 'werift';
import { importSrtpKeys } from './srtp-keys.ts';

// werift's profile numbers (rtp/src/srtp/const.ts): AES-CM + HMAC-SHA1-80 and AEAD AES-128-GCM.
const profiles = [
  { name: 'AES_CM_128_HMAC_SHA1_80', profile: 1, salt: 14 },
  { name: 'AEAD_AES_128_GCM', profile: 7, salt: 12 },
];

for (const p of profiles) {
  test(`${p.name}: with imported keys werift's SRTP encrypts the same bytes and the peer decrypts them`, () => {
    const keys = {
      localMasterKey: randomBytes(16),
      localMasterSalt: randomBytes(p.salt),
      remoteMasterKey: randomBytes(16),
      remoteMasterSalt: randomBytes(p.salt),
    };
    const mirrored = {
      localMasterKey: keys.remoteMasterKey,
      localMasterSalt: keys.remoteMasterSalt,
      remoteMasterKey: keys.localMasterKey,
      remoteMasterSalt: keys.localMasterSalt,
    };
    const plain = {
      srtp: new SrtpSession({ keys, profile: p.profile as 1 }),
      srtcp: new SrtcpSession({ keys, profile: p.profile as 1 }),
    };
    const fast = {
      srtp: new SrtpSession({ keys, profile: p.profile as 1 }),
      srtcp: new SrtcpSession({ keys, profile: p.profile as 1 }),
    };
    const peer = new SrtpSession({ keys: mirrored, profile: p.profile as 1 });
    assert.equal(importSrtpKeys(fast), 8);
    assert.equal(importSrtpKeys(fast), 0, 'a second call finds nothing left to import');
    for (let seq = 65530; seq < 65540; seq++) {
      const payload = randomBytes(1100);
      const h = () =>
        new RtpHeader({
          ssrc: 1234,
          payloadType: 96,
          sequenceNumber: seq & 0xffff,
          timestamp: seq * 3000,
          marker: seq % 3 === 0,
        });
      const a = plain.srtp.encrypt(payload, h());
      const b = fast.srtp.encrypt(payload, h());
      assert.deepEqual(b, a);
      const back = peer.decrypt(b);
      assert.deepEqual(back.subarray(12), payload);
    }
    // The fast session decrypts what the peer sends too (WHIP ingest, RTCP from viewers).
    const peerOut = new SrtpSession({ keys: mirrored, profile: p.profile as 1 });
    const payload = randomBytes(500);
    const enc = peerOut.encrypt(
      payload,
      new RtpHeader({ ssrc: 99, payloadType: 111, sequenceNumber: 7, timestamp: 960 }),
    );
    assert.deepEqual(fast.srtp.decrypt(enc).subarray(12), payload);
  });
}
