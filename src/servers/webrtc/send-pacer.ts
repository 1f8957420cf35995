/**
 * Shares out the server's sending among WHEP viewers. UDP never pushes back, so without this the viewers
 * that came first took every event-loop turn and the rest got nothing when the process could not keep up
 * (docs/performance.md "WebRTC"). Each viewer queues its frames; the pacer sends one frame per viewer per
 * round, round-robin, and yields to I/O (RTCP, STUN, the publisher's socket) after `budgetMs` of work. A
 * viewer that still falls behind shows it as `bufferedBytes`, and the hub skips it to the next keyframe.
 */

/** A viewer with frames to send. */
export interface Paced {
  /** Sends its next frame; true while more are pending. */
  sendNext(): boolean;
}

/** Timing hooks (tests inject their own). */
export interface PacerOptions {
  readonly budgetMs: number;
  readonly now: () => number;
  readonly defer: (run: () => void) => void;
}

/** Round-robin over the viewers with pending frames. */
export class SendPacer {
  readonly #o: PacerOptions;
  #ready: Paced[] = [];
  readonly #queued = new Set<Paced>();
  #scheduled = false;

  constructor(o: Partial<PacerOptions> = {}) {
    this.#o = {
      budgetMs: o.budgetMs ?? 8,
      now: o.now ?? (() => performance.now()),
      defer: o.defer ?? ((run) => void setImmediate(run)),
    };
  }

  /** Viewers waiting for their turn. */
  get pending(): number {
    return this.#queued.size;
  }

  /** `p` has frames: it gets a turn in the next round (once, however often it wakes). */
  wake(p: Paced): void {
    if (this.#queued.has(p)) return;
    this.#queued.add(p);
    this.#ready.push(p);
    this.#schedule();
  }

  /** Forgets `p` (its session ended). */
  remove(p: Paced): void {
    if (!this.#queued.delete(p)) return;
    this.#ready = this.#ready.filter((x) => x !== p);
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#o.defer(() => this.run());
  }

  /** Sends rounds until nothing is pending or the budget is spent (then continues on a later turn). */
  run(): void {
    this.#scheduled = false;
    const start = this.#o.now();
    while (this.#ready.length > 0) {
      const round = this.#ready;
      this.#ready = [];
      let i = 0;
      for (; i < round.length; i++) {
        const p = round[i]!;
        let more: boolean;
        try {
          more = this.#queued.has(p) && p.sendNext();
        } catch {
          more = false; // the viewer's own error; it must not stop the others
        }
        if (more) this.#ready.push(p);
        else this.#queued.delete(p);
        if (this.#o.now() - start >= this.#o.budgetMs) {
          i++;
          break;
        }
      }
      if (i < round.length) {
        // Those not served this round go first next time, so the order stays fair.
        this.#ready = [...round.slice(i), ...this.#ready];
        break;
      }
    }
    if (this.#ready.length > 0) this.#schedule();
  }
}
