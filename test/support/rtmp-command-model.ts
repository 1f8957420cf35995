/**
 * A model of an RTMP client and of the connection that drives a ServerSession (issue 9): random command
 * sequences, read boundaries and decision times for fast-check's `fc.commands`. The unit test
 * (src/protocol/rtmp/server-session-order.test.ts) and the fuzz runs share it.
 */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { errorCodes, ProtocolError, type LiveError } from '../../src/errors.ts';
import { countingRandom } from './rtmp-session-pair.ts';
import { amf0Object, type Amf0Value } from '../../src/protocol/amf0/amf0-value.ts';
import { ChunkDecoder } from '../../src/protocol/rtmp/chunk-decoder.ts';
import { encodeChunks } from '../../src/protocol/rtmp/chunk-encoder.ts';
import { decodeCommand, encodeCommand } from '../../src/protocol/rtmp/commands.ts';
import { decodeControl, isControlType } from '../../src/protocol/rtmp/control-messages.ts';
import { HandshakeSize } from '../../src/protocol/rtmp/handshake.ts';
import { ServerSession, type ServerSessionEvent } from '../../src/protocol/rtmp/server-session.ts';

/** An event the connection must decide. */
export type Decision = Extract<ServerSessionEvent, { type: 'connect' | 'publish' | 'play' | 'refused' }>;

/** The client side: turns commands into bytes at the chunk size it announced. */
export class Wire {
  /** Bytes not delivered yet: C0 C1 C2 (a plain handshake), then the chunks of every command. */
  #parts: Buffer[] = [Buffer.of(3), Buffer.alloc(2 * HandshakeSize)];
  #length = 1 + 2 * HandshakeSize;
  chunkSize = 128;
  #tx = 1;
  #put(csid: number, typeId: number, streamId: number, payload: Buffer): void {
    const chunks = encodeChunks({ csid, typeId, streamId, timestamp: 0, payload }, this.chunkSize);
    this.#parts.push(chunks);
    this.#length += chunks.length;
  }
  /** Bytes not delivered yet. */
  get length(): number {
    return this.#length;
  }
  command(name: string, streamId: number, obj: Amf0Value, ...args: Amf0Value[]): void {
    this.#put(3, 20, streamId, encodeCommand(name, this.#tx++, obj, ...args));
  }
  control(typeId: number, hex: string): void {
    this.#put(2, typeId, 0, Buffer.from(hex, 'hex'));
    if (typeId === 1) this.chunkSize = Buffer.from(hex, 'hex').readUInt32BE(0);
  }
  raw(csid: number, typeId: number, streamId: number, payload: Buffer): void {
    this.#put(csid, typeId, streamId, payload);
  }
  take(n: number): Buffer {
    const all = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts);
    const out = all.subarray(0, n);
    this.#parts = [all.subarray(out.length)];
    this.#length -= out.length;
    return out;
  }
}

/** What the server wrote, as statuses and results (`onStatus NetStream.Play.Start`, `_result`). */
export class Peer {
  #decoder = new ChunkDecoder({ maxMessageSize: 1 << 24 });
  seen: string[] = [];
  /** S0 S1 S2 come first and are not chunks. */
  #handshakeLeft = 1 + 2 * HandshakeSize;
  read(session: ServerSession): void {
    let bytes = Buffer.concat(session.drain());
    const skip = Math.min(this.#handshakeLeft, bytes.length);
    this.#handshakeLeft -= skip;
    bytes = bytes.subarray(skip);
    for (const msg of this.#decoder.push(bytes)) {
      if (isControlType(msg.typeId)) {
        const ctl = decodeControl(msg.typeId, msg.payload);
        if (ctl.type === 'set-chunk-size') this.#decoder.setChunkSize(ctl.chunkSize);
      } else if (msg.typeId === 20) {
        const c = decodeCommand(20, msg.payload);
        const code = c.args[0] instanceof Map ? c.args[0].get('code') : '';
        this.seen.push(`${c.name}@${msg.streamId} ${String(code)}`.trim());
      }
    }
  }
}

/** Drives a ServerSession the way RtmpConnection does; decisions may come late, in any order of reads. */
export class Driver {
  readonly session = new ServerSession({ random: countingRandom(0), maxQueuedMessages: 1000, maxQueuedBytes: 1 << 22 });
  readonly wire = new Wire();
  readonly peer = new Peer();
  readonly decisions: Decision[] = [];
  readonly waiting = new Set<number>();
  failed: LiveError | undefined;

  /** Runs one session call the way the connection does: any throw must be a LiveError with a stable code; it ends the connection. */
  guard(call: () => ServerSessionEvent[]): void {
    if (this.failed) return;
    try {
      this.handle(call());
    } catch (err) {
      // Only the peer's bytes may fail a call (ProtocolError, a stable code); a decision itself never throws.
      assert.ok(err instanceof ProtocolError, `threw something other than a ProtocolError: ${String(err)}`);
      assert.ok(err.code in errorCodes, `unknown code ${err.code}`);
      this.failed = err;
    }
    this.peer.read(this.session);
  }

  handle(events: ServerSessionEvent[]): void {
    for (const e of events) {
      if (e.type === 'connect' || e.type === 'publish' || e.type === 'play' || e.type === 'refused')
        this.decisions.push(e);
      // A stop-play does not cancel the wait here: the connection's timer may fire after it anyway
      // (the issue 9 crash), and the session must take that late decision as a no-op.
    }
  }

  deliver(n: number): void {
    const bytes = this.wire.take(n);
    if (bytes.length > 0) this.guard(() => this.session.receive(bytes));
  }

  decide(accept: boolean): void {
    const d = this.decisions.shift();
    if (d === undefined) return;
    const s = this.session;
    if (d.type === 'refused') {
      // The session refused it by its own limits: the connection rejects it, whatever it would decide.
      const reject =
        d.action === 'publish'
          ? () => s.rejectPublish(d.streamId, 'NetStream.Publish.BadName', d.error.code)
          : () => s.rejectPlay(d.streamId, 'NetStream.Play.Failed', d.error.code);
      this.guard(reject);
    } else if (d.type === 'connect') this.guard(() => (accept ? s.acceptConnect() : s.rejectConnect('18/404 refused')));
    else if (d.type === 'publish') {
      this.guard(() =>
        accept
          ? s.acceptPublish(d.streamId)
          : s.rejectPublish(d.streamId, 'NetStream.Publish.BadName', '18/503 refused'),
      );
    } else if (accept) {
      this.waiting.add(d.streamId);
      this.guard(() => s.holdPlay(d.streamId));
    } else this.guard(() => s.rejectPlay(d.streamId, 'NetStream.Play.Failed', 'refused'));
  }

  /** The publisher comes (Play.Start to every waiting player) or the play wait ends (StreamNotFound). */
  endWaits(live: boolean): void {
    for (const id of [...this.waiting]) {
      this.waiting.delete(id);
      this.guard(() =>
        live ? this.session.acceptPlay(id) : this.session.rejectPlay(id, 'NetStream.Play.StreamNotFound', 'not live'),
      );
    }
  }

  /** A late or stray call, as a racing timer or the hub would make it: a no-op unless it is the awaited decision. */
  stray(call: number, id: number): void {
    const s = this.session;
    const calls = [
      () => s.acceptPlay(id),
      () => s.rejectPlay(id, 'NetStream.Play.StreamNotFound', 'late'),
      () => s.holdPlay(id),
      () => s.acceptPublish(id),
      () => s.rejectPublish(id, 'NetStream.Publish.BadName', 'late'),
      () => (s.unpublishNotify(id), s.publishNotify(id), s.ping(1), []),
    ];
    this.guard(calls[call % calls.length]!);
  }

  /** A decision the session waits for is always one the driver was told of: nothing is lost. */
  checkNothingLost(): void {
    if (this.failed || this.session.state === 'closed') return;
    const pending = this.session.pendingDecision;
    if (pending === undefined) return;
    const known = this.decisions.some((d) =>
      pending.kind === 'connect'
        ? d.type === 'connect'
        : (d.type === pending.kind || (d.type === 'refused' && d.action === pending.kind)) &&
          d.streamId === pending.streamId,
    );
    assert.ok(known, `the session waits for ${JSON.stringify(pending)}, which no event announced`);
  }

  /** Delivers everything, decides everything (accepting), and checks that the session is not stuck. */
  finish(): void {
    this.deliver(this.wire.length);
    while (this.decisions.length > 0 && !this.failed) this.decide(true);
    this.endWaits(true);
    if (this.failed || this.session.state === 'closed') return;
    assert.equal(this.session.pendingDecision, undefined, 'every decision was made');
    assert.equal(this.session.queuedMessages, 0, 'nothing is held once every decision was made');
  }
}

/** What the model tracks of the client: how many connects it sent (a second one ends most runs early). */
export interface RtmpModel {
  connects: number;
}

/** A fresh model and driver for `fc.modelRun`. */
export function rtmpSetup(): { model: RtmpModel; real: Driver } {
  return { model: { connects: 0 }, real: new Driver() };
}

/** One step of a model run. */
export type Cmd = fc.Command<RtmpModel, Driver>;

/** One model command: a client action, a read of some bytes, or a decision. */
export function cmd(
  name: string,
  run: (d: Driver, m: RtmpModel) => void,
  check: (m: RtmpModel) => boolean = () => true,
): Cmd {
  return {
    check,
    run: (m, d) => {
      run(d, m);
      d.checkNothingLost();
    },
    toString: () => name,
  };
}

const connectObject = amf0Object({ app: 'live', tcUrl: 'rtmp://h/live' });

// Mostly the stream createStream makes first, sometimes one it did not make.
const streamId = fc.oneof(
  { arbitrary: fc.constant(1), weight: 4 },
  { arbitrary: fc.integer({ min: 0, max: 3 }), weight: 1 },
);
// The long one is over rtmp.maxNameLength's default (1024): the session refuses it by its own limit.
const name = fc.constantFrom('cam', 'cam?k=v', '', 'a/b', 'n'.repeat(2000));
/** Valid commands often, invalid ones (which end the connection) rarely, so runs get deep. */
const weighted: Array<{ arbitrary: fc.Arbitrary<Cmd>; weight: number }> = [
  {
    weight: 15,
    arbitrary: fc.constant(
      cmd(
        'connect',
        (d, m) => (m.connects++, d.wire.command('connect', 0, connectObject)),
        (m) => m.connects === 0,
      ),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constant(cmd('connect again', (d, m) => (m.connects++, d.wire.command('connect', 0, connectObject)))),
  },
  { weight: 1, arbitrary: fc.constant(cmd('connect(no object)', (d) => d.wire.command('connect', 0, null))) },
  { weight: 15, arbitrary: fc.constant(cmd('createStream', (d) => d.wire.command('createStream', 0, null))) },
  {
    weight: 10,
    arbitrary: fc
      .tuple(streamId, name)
      .map(([id, n]) => cmd(`publish@${id} ${n}`, (d) => d.wire.command('publish', id, null, n, 'live'))),
  },
  {
    weight: 15,
    arbitrary: fc
      .tuple(streamId, name)
      .map(([id, n]) => cmd(`play@${id} ${n}`, (d) => d.wire.command('play', id, null, n, -1000))),
  },
  {
    weight: 1,
    arbitrary: streamId.map((id) => cmd(`publish@${id} (no name)`, (d) => d.wire.command('publish', id, null))),
  },
  {
    weight: 10,
    arbitrary: streamId.map((id) => cmd(`closeStream@${id}`, (d) => d.wire.command('closeStream', id, null))),
  },
  {
    weight: 8,
    arbitrary: streamId.map((id) => cmd(`deleteStream ${id}`, (d) => d.wire.command('deleteStream', 0, null, id))),
  },
  {
    weight: 8,
    arbitrary: fc
      .constantFrom(
        'releaseStream',
        'FCPublish',
        'FCUnpublish',
        'getStreamLength',
        '_checkbw',
        'launchMissiles',
        'pause',
      )
      .map((n) => cmd(n, (d) => d.wire.command(n, 0, null, 'cam'))),
  },
  {
    weight: 8,
    arbitrary: streamId.map((id) => cmd(`video@${id}`, (d) => d.wire.raw(6, 9, id, Buffer.of(0x17, 1, 0, 0, 0)))),
  },
  {
    weight: 4,
    arbitrary: streamId.map((id) =>
      cmd(`metadata@${id}`, (d) =>
        d.wire.raw(5, 18, id, encodeCommand('@setDataFrame', 'onMetaData' as never, amf0Object({ width: 2 }))),
      ),
    ),
  },
  { weight: 4, arbitrary: fc.constant(cmd('ping', (d) => d.wire.control(4, '000600000001'))) },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom(128, 4096)
      .map((n) => cmd(`setChunkSize ${n}`, (d) => d.wire.control(1, n.toString(16).padStart(8, '0')))),
  },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ minLength: 1, maxLength: 12 })
      .map((b) => cmd('garbage command', (d) => d.wire.raw(3, 20, 0, Buffer.from(b)))),
  },
  { weight: 20, arbitrary: fc.integer({ min: 1, max: 400 }).map((n) => cmd(`read ${n}`, (d) => d.deliver(n))) },
  // Everything sent so far in one read (the handshake alone is 3073 bytes: small reads rarely get past it).
  { weight: 15, arbitrary: fc.constant(cmd('read all', (d) => d.deliver(d.wire.length))) },
  { weight: 20, arbitrary: fc.constant(cmd('accept', (d) => d.decide(true))) },
  { weight: 3, arbitrary: fc.constant(cmd('reject', (d) => d.decide(false))) },
  {
    weight: 10,
    arbitrary: fc.boolean().map((live) => cmd(live ? 'publisher arrives' : 'play wait ends', (d) => d.endWaits(live))),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.nat(5), fc.integer({ min: 0, max: 3 }))
      .map(([c, id]) => cmd(`stray call ${c} on ${id}`, (d) => d.stray(c, id))),
  },
];
/** The command arbitraries for `fc.commands(rtmpCommands, ...)`. */
export const rtmpCommands = [fc.oneof(...weighted)];
