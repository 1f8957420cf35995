/**
 * The SRTP packet index estimate of RFC 3711 §3.3.1 (Appendix A): the rollover counter of a packet is
 * guessed from the highest sequence number s_l seen so far, within 2^15 either side of it, so a gap or a
 * reordering of up to 32767 packets across the wrap still authenticates (as libsrtp does).
 */

/** The rollover counter of `seq` given the counter `roc` and sequence number `sl` of the last packet accepted. */
export function estimateRoc(roc: number, sl: number, seq: number): number {
  if (sl < 0x8000) return seq - sl > 0x8000 && roc > 0 ? roc - 1 : roc;
  return sl - 0x8000 > seq ? (roc + 1) >>> 0 : roc;
}

/** werift's per-SSRC SRTP state (`Context.updateRolloverCount` reads and writes it). */
export interface SrtpSsrcState {
  rolloverCounter: number;
  lastSequenceNumber: number;
  rolloverHasProcessed?: boolean;
}

/**
 * Sets `s` to the index of `seq` as RFC 3711 estimates it. werift decrypts with the counter this leaves and
 * keeps the state only when the packet authenticates, so the state is always the last packet accepted
 * (an older one moves it back, within 2^15 of the newest, which the next estimate allows for).
 */
export function updateRolloverCount(seq: number, s: SrtpSsrcState): void {
  if (s.rolloverHasProcessed) s.rolloverCounter = estimateRoc(s.rolloverCounter, s.lastSequenceNumber, seq);
  s.rolloverHasProcessed = true;
  s.lastSequenceNumber = seq;
}
