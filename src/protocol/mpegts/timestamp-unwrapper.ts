/**
 * FLV and RTMP timestamps are 32-bit milliseconds (FLV 10.1 §E.4.1, RTMP 1.0 §5.3.1.1) that wrap after
 * about 49.7 days; the TS muxer needs one continuous timeline, so each timestamp becomes the previous
 * unwrapped value plus the signed 32-bit step to it.
 */

/** Turns wrapping 32-bit millisecond timestamps into one continuous millisecond timeline. */
export class TimestampUnwrapper {
  private last: number | undefined;
  private unwrapped = 0;

  /**
   * The continuous value for `timestamp`. A step of up to 2^31 ms either way is taken as it comes, so
   * audio that arrives slightly behind video and a counter passing 2^32 both stay in place.
   */
  unwrap(timestamp: number): number {
    const raw = timestamp >>> 0;
    if (this.last === undefined) this.unwrapped = raw;
    else this.unwrapped += (raw - this.last) | 0;
    this.last = raw;
    return this.unwrapped;
  }
}
