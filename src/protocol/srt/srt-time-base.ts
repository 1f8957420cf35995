/**
 * The TSBPD time base (draft-sharabayko-srt §4.5): the local time of the peer's timestamp 0, set at the
 * handshake, with 32-bit timestamp wrap unfolded (about every 71.6 minutes) and clock drift corrected the
 * way libsrt's DriftTracer does: average `arrival - (base + timestamp)` over 1000 ACKACKs and move the base
 * when the average passes 5 ms, so a long stream neither stalls nor bursts.
 */

const wrap = 0x1_0000_0000;
const half = 0x8000_0000;
/** libsrt tsbpd_time.cpp: TSBPD_DRIFT_MAX_SAMPLES and TSBPD_DRIFT_MAX_VALUE. */
const driftSamples = 1000;
const driftMaxUs = 5000;

/** Maps a peer's 32-bit µs timestamps to local µs. */
export class TimeBase {
  #baseUs: number;
  /** The highest unfolded timestamp so far; -1 before the first. */
  #ref = -1;
  #driftSum = 0;
  #driftCount = 0;
  /** Total correction applied so far (µs), for the stats. */
  driftUs = 0;

  /** `baseUs`: the local time at which the peer's clock read 0. */
  constructor(baseUs: number) {
    this.#baseUs = baseUs;
  }

  /** The peer timestamp unfolded past wraps, near the last one seen (reordering across a wrap stays right). */
  unwrap(ts: number): number {
    if (this.#ref < 0) return (this.#ref = ts);
    let t = Math.floor(this.#ref / wrap) * wrap + ts;
    if (t - this.#ref > half) t -= wrap;
    else if (this.#ref - t > half) t += wrap;
    if (t > this.#ref) this.#ref = t;
    return t;
  }

  /** The local time at which the peer's timestamp `ts` happened. */
  localTime(ts: number): number {
    return this.#baseUs + this.unwrap(ts);
  }

  /** Feeds one drift sample: an ACKACK with peer timestamp `ts` arrived at `nowUs`, `rttDeltaUs` = half the RTT change. */
  sample(ts: number, nowUs: number, rttDeltaUs = 0): void {
    this.#driftSum += nowUs - (this.#baseUs + this.unwrap(ts)) - rttDeltaUs;
    if (++this.#driftCount < driftSamples) return;
    const avg = this.#driftSum / this.#driftCount;
    this.#driftSum = 0;
    this.#driftCount = 0;
    if (Math.abs(avg) <= driftMaxUs) return;
    this.#baseUs += avg;
    this.driftUs += avg;
  }
}
