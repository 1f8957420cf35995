/**
 * RTT estimation as libsrt does it (core.cpp processCtrlAckAck): the first sample sets RTT and half of it
 * as RTTVar; later samples smooth with RTTVar = 3/4 RTTVar + 1/4 |RTT - sample|, RTT = 7/8 RTT + 1/8 sample.
 * Before any sample RTT is 100 ms and RTTVar 50 ms (libsrt INITIAL_RTT, INITIAL_RTTVAR).
 */

/** Smoothed round-trip time and its variance, in microseconds. */
export class RttEstimator {
  rttUs = 100_000;
  rttVarUs = 50_000;
  #sampled = false;

  /** Feeds one sample (µs): from an ACK/ACKACK pair, or the RTT a peer's ACK reports. */
  update(sampleUs: number): void {
    if (!(sampleUs >= 0)) return;
    if (!this.#sampled) {
      this.#sampled = true;
      this.rttUs = sampleUs;
      this.rttVarUs = sampleUs / 2;
      return;
    }
    this.rttVarUs = (3 * this.rttVarUs + Math.abs(this.rttUs - sampleUs)) / 4;
    this.rttUs = (7 * this.rttUs + sampleUs) / 8;
  }

  /** True once a sample arrived. */
  get sampled(): boolean {
    return this.#sampled;
  }
}
