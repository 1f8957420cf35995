/**
 * Imports werift's SRTP/SRTCP session keys once as node:crypto KeyObjects. werift passes its session keys
 * to `createCipheriv`/`createDecipheriv` as Buffers, so Node imports the key again for every packet; that
 * import was the largest single cost of a WHEP viewer in the CPU profile (docs/performance.md "WebRTC"). A
 * KeyObject is accepted wherever the Buffer was, so werift's own SRTP code (AES-GCM or AES-CM + HMAC) runs
 * unchanged on it. The shape is checked: a werift that stores its keys otherwise is left as it is (slower).
 */
import { createSecretKey, type KeyObject } from 'node:crypto';

interface CipherKeys {
  srtpSessionKey?: Buffer | KeyObject;
  srtcpSessionKey?: Buffer | KeyObject;
}
interface SessionLike {
  localContext?: { cipher?: CipherKeys };
  remoteContext?: { cipher?: CipherKeys };
}
/** The fields of werift's RTCDtlsTransport this reads. */
export interface DtlsWithSrtp {
  srtp?: unknown;
  srtcp?: unknown;
}

/** Swaps the session keys of a connected DTLS transport's SRTP and SRTCP sessions for KeyObjects; returns how many. */
export function importSrtpKeys(dtls: DtlsWithSrtp): number {
  let n = 0;
  for (const session of [dtls.srtp, dtls.srtcp] as (SessionLike | undefined)[]) {
    for (const ctx of [session?.localContext, session?.remoteContext]) {
      const c = ctx?.cipher;
      if (!c) continue;
      if (Buffer.isBuffer(c.srtpSessionKey)) {
        c.srtpSessionKey = createSecretKey(c.srtpSessionKey);
        n++;
      }
      if (Buffer.isBuffer(c.srtcpSessionKey)) {
        c.srtcpSessionKey = createSecretKey(c.srtcpSessionKey);
        n++;
      }
    }
  }
  return n;
}
