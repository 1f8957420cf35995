/**
 * werift guesses an SRTP packet's rollover counter only within 100 packets of the wrap: a receiver that
 * misses more than 100 packets across it (a loss burst, a starved process) decrypts every later packet
 * with the old counter, fails authentication and never recovers, and a resend from before the wrap moves a
 * sender's guess for good. This puts RFC 3711's estimate (protocol/rtp/srtp-index.ts) in its place, for
 * every SRTP session of the process: WHIP ingest and werift's own sends. The shape is checked: a werift
 * without `updateRolloverCount` is left as it is.
 */
import type * as Werift from 'werift';
import { updateRolloverCount, type SrtpSsrcState } from '../../protocol/rtp/srtp-index.ts';

interface ContextLike {
  updateRolloverCount?: (seq: number, s: SrtpSsrcState) => void;
}

const patched = new WeakSet<object>();

/**
 * Replaces werift's rollover guess with RFC 3711's for every SRTP context of this werift build (its
 * CommonJS and ES module builds have a class each; the ES one is not exported, so it is found through a
 * session); false if werift has no such method to replace. Idempotent.
 */
export function installSrtpIndexEstimate(w: Pick<typeof Werift, 'SrtpSession'>): boolean {
  // Called with every new peer: the probe session (a key derivation) only once per werift build.
  if (patched.has(w.SrtpSession)) return true;
  const probe = new w.SrtpSession({
    keys: {
      localMasterKey: Buffer.alloc(16),
      localMasterSalt: Buffer.alloc(14),
      remoteMasterKey: Buffer.alloc(16),
      remoteMasterSalt: Buffer.alloc(14),
    },
    profile: 1,
  }) as unknown as { localContext?: object };
  const proto = probe.localContext && (Object.getPrototypeOf(probe.localContext) as ContextLike);
  if (!proto || typeof proto.updateRolloverCount !== 'function') return false;
  if (patched.has(proto)) return true;
  proto.updateRolloverCount = updateRolloverCount;
  patched.add(proto);
  patched.add(w.SrtpSession);
  return true;
}
