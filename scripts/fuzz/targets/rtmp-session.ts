/**
 * The RTMP command state machine (ServerSession) under fast-check model-based commands: a client
 * sends valid and invalid commands in any order, and the server glue decides connect, publish and
 * play at any later moment, as rtmp-connection.ts does after an await. The rules checked:
 * `receive()` throws only coded errors (the connection then closes), a decision for an event the
 * session emitted never throws, and everything the session writes is a valid chunk stream.
 */
import { ProtocolError } from '../../../src/errors.ts';
import fc from 'fast-check';
import { amf0Object, type Amf0Value } from '../../../src/protocol/amf0/amf0-value.ts';
import { ChunkDecoder } from '../../../src/protocol/rtmp/chunk-decoder.ts';
import { encodeChunks } from '../../../src/protocol/rtmp/chunk-encoder.ts';
import { decodeCommand, encodeCommand, encodeSetDataFrame } from '../../../src/protocol/rtmp/commands.ts';
import { ServerSession, type ServerSessionEvent } from '../../../src/protocol/rtmp/server-session.ts';
import { simpleHandshake } from '../seeds.ts';
import { isCodedError, OracleFailure, type CheckTarget } from '../target.ts';

/** One step: something the client sends, or a decision of the server. Plain data, so it is saved as JSON. */
export type Op =
  | { op: 'connect'; app: string; tcUrl: string; txn: number; object: boolean }
  | { op: 'createStream'; txn: number }
  | { op: 'publish' | 'play'; stream: number; name: string }
  | { op: 'closeStream' | 'deleteStream'; stream: number }
  | { op: 'call'; name: string; stream: number; txn: number; arg: string }
  | { op: 'media'; stream: number; type: 8 | 9 | 18 | 22; size: number; ts: number }
  | { op: 'control'; type: number; value: number; event: number }
  | { op: 'chunkSize'; size: number }
  | { op: 'garbage'; hex: string }
  | { op: 'decide'; pick: number; accept: boolean }
  | { op: 'ping'; ts: number };

/** What the harness knows: the decisions the server still owes, the client's chunk size, whether it is over. */
interface Model {
  owed: { type: 'connect' | 'publish' | 'play'; streamId: number }[];
  over: boolean;
}

/** The session, the client's output chunk size and a decoder checking the server's output. */
interface Real {
  session: ServerSession;
  chunkSize: number;
  out: ChunkDecoder;
  answered: boolean;
}

function commandBody(name: string, txn: number, obj: Amf0Value, ...args: Amf0Value[]): Buffer {
  return encodeCommand(name, txn, obj, ...args);
}

function bytesOf(op: Op, chunkSize: number): Buffer {
  const msg = (csid: number, typeId: number, streamId: number, payload: Buffer, timestamp = 0) =>
    encodeChunks({ csid, typeId, streamId, timestamp, payload }, chunkSize);
  switch (op.op) {
    case 'connect': {
      const obj = op.object
        ? amf0Object({ app: op.app, tcUrl: op.tcUrl, flashVer: 'FMLE/3.0', objectEncoding: 0 })
        : null;
      return msg(3, 20, 0, commandBody('connect', op.txn, obj));
    }
    case 'createStream':
      return msg(3, 20, 0, commandBody('createStream', op.txn, null));
    case 'publish':
      return msg(8, 20, op.stream, commandBody('publish', 0, null, op.name, 'live'));
    case 'play':
      return msg(8, 20, op.stream, commandBody('play', 0, null, op.name, -2));
    case 'closeStream':
      return msg(8, 20, op.stream, commandBody('closeStream', 0, null));
    case 'deleteStream':
      return msg(3, 20, 0, commandBody('deleteStream', 0, null, op.stream));
    case 'call':
      return msg(3, 20, op.stream, commandBody(op.name, op.txn, null, op.arg));
    case 'media': {
      const payload =
        op.type === 18
          ? encodeSetDataFrame(amf0Object({ width: 640, height: 360 }))
          : Buffer.alloc(op.size, op.type === 9 ? 0x17 : 0xaf);
      return msg(op.type === 8 ? 6 : 7, op.type, op.stream, payload, op.ts);
    }
    case 'control': {
      const p = Buffer.alloc(op.type === 4 ? 6 : op.type === 6 ? 5 : 4);
      if (op.type === 4) {
        p.writeUInt16BE(op.event, 0);
        p.writeUInt32BE(op.value >>> 0, 2);
      } else p.writeUInt32BE(op.value >>> 0, 0);
      return msg(2, op.type, 0, p);
    }
    case 'chunkSize': {
      const p = Buffer.alloc(4);
      p.writeUInt32BE(op.size >>> 0, 0);
      return msg(2, 1, 0, p);
    }
    case 'garbage':
      return Buffer.from(op.hex, 'hex');
    default:
      return Buffer.alloc(0);
  }
}

/** Feeds what the server wrote to a client-side decoder: it must be a valid chunk stream of decodable commands. */
function checkOutput(real: Real): void {
  let bytes = Buffer.concat(real.session.drain());
  if (!real.answered) {
    if (bytes.length < 1 + 2 * 1536) throw new OracleFailure(`handshake answer of ${bytes.length} bytes`);
    bytes = bytes.subarray(1 + 2 * 1536);
    real.answered = true;
  }
  try {
    for (const m of real.out.push(bytes)) if (m.typeId === 20) decodeCommand(20, m.payload);
  } catch (err) {
    throw new OracleFailure(`the server wrote an invalid chunk stream or command: ${(err as Error).message}`);
  }
}

function collect(model: Model, events: ServerSessionEvent[]): void {
  for (const e of events) {
    if (e.type === 'connect') model.owed.push({ type: 'connect', streamId: 0 });
    else if (e.type === 'publish' || e.type === 'play') model.owed.push({ type: e.type, streamId: e.streamId });
  }
}

function decide(model: Model, real: Real, pick: number, accept: boolean): void {
  if (model.owed.length === 0) return;
  const [d] = model.owed.splice(pick % model.owed.length, 1);
  const s = real.session;
  try {
    // Each decision returns the events of the messages held behind it (pipelining): they owe decisions too.
    if (d!.type === 'connect') {
      if (accept) collect(model, s.acceptConnect());
      else {
        s.rejectConnect('18/403 refused');
        model.over = true;
      }
    } else if (d!.type === 'publish') {
      collect(
        model,
        accept
          ? s.acceptPublish(d!.streamId)
          : s.rejectPublish(d!.streamId, 'NetStream.Publish.BadName', '18/503 refused'),
      );
    } else {
      collect(
        model,
        accept
          ? s.acceptPlay(d!.streamId)
          : s.rejectPlay(d!.streamId, 'NetStream.Play.StreamNotFound', 'STREAM_NOT_FOUND not live'),
      );
    }
  } catch (err) {
    // A held message replayed by the decision may be the peer's bad bytes: coded, the connection closes.
    if (err instanceof ProtocolError) {
      model.over = true;
      return;
    }
    // rtmp-connection.ts makes these calls after an await: any other throw there is a fault of ours.
    const code = (err as { code?: string }).code;
    throw new OracleFailure(
      `${accept ? 'accept' : 'reject'} of ${d!.type} on stream ${d!.streamId} threw ${code ?? String(err)}`,
      { cause: err },
    );
  }
}

/** A fast-check model command wrapping one plain op. */
class SessionCommand implements fc.Command<Model, Real> {
  readonly op: Op;
  constructor(op: Op) {
    this.op = op;
  }
  check(model: Readonly<Model>): boolean {
    return !model.over;
  }
  run(model: Model, real: Real): void {
    const op = this.op;
    if (op.op === 'decide') decide(model, real, op.pick, op.accept);
    else if (op.op === 'ping') real.session.ping(op.ts);
    else {
      const bytes = bytesOf(op, real.chunkSize);
      if (op.op === 'chunkSize' && op.size >= 1 && op.size <= 0x7fffffff) real.chunkSize = op.size;
      try {
        collect(model, real.session.receive(bytes));
      } catch (err) {
        if (!isCodedError(err)) throw err;
        // rtmp-connection.ts closes the connection with the code: nothing more happens on it.
        model.over = true;
        return;
      }
    }
    checkOutput(real);
  }
  toString(): string {
    return JSON.stringify(this.op);
  }
}

const name = fc.constantFrom('live', 'cam', 'x?k=v', '', 'a/b', '..', 'cam?txSecret=1&txTime=2');
const stream = fc.constantFrom(1, 1, 1, 2, 0, 3);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('connect' as const),
      app: fc.constantFrom('live', 'live?a=1', '', 'a/'),
      tcUrl: fc.constantFrom('rtmp://h/live', 'rtmp://h/live?x=1&x=1', 'bad'),
      txn: fc.constantFrom(1, 0, 2),
      object: fc.constantFrom(true, true, true, false),
    }),
  },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('createStream' as const), txn: fc.constantFrom(2, 0, 4) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('publish' as const, 'play' as const), stream, name }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('closeStream' as const, 'deleteStream' as const), stream }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('call' as const),
      name: fc.constantFrom(
        'releaseStream',
        'FCPublish',
        'FCUnpublish',
        'getStreamLength',
        '_checkbw',
        'receiveVideo',
        'pause',
        'nosuch',
        '_result',
      ),
      stream,
      txn: fc.constantFrom(0, 3, 5),
      arg: name,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('media' as const),
      stream,
      type: fc.constantFrom(8 as const, 9 as const, 18 as const, 22 as const),
      size: fc.constantFrom(0, 1, 5, 300),
      ts: fc.constantFrom(0, 40, 0xffffff, 0x1000000),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('control' as const),
      type: fc.constantFrom(2, 3, 4, 5, 6),
      value: fc.constantFrom(0, 1, 128, 2_500_000, 0xffffffff),
      event: fc.constantFrom(0, 1, 3, 6, 7, 99),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('chunkSize' as const),
      size: fc.constantFrom(1, 127, 128, 4096, 65536, 0, 0x80000000),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('garbage' as const),
      hex: fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a).toString('hex')),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constant('decide' as const), pick: fc.nat({ max: 7 }), accept: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('ping' as const), ts: fc.nat() }) },
);

/** Runs a sequence of ops against a fresh session after a simple handshake. */
export function runOps(ops: readonly Op[]): void {
  const real: Real = {
    session: new ServerSession({ random: (n) => Buffer.alloc(n, 7) }),
    chunkSize: 128,
    out: new ChunkDecoder(),
    answered: false,
  };
  const model: Model = { owed: [], over: false };
  real.session.receive(simpleHandshake);
  checkOutput(real);
  fc.modelRun(
    () => ({ model, real }),
    ops.map((op) => new SessionCommand(op)),
  );
}

/** Valid openings (none, connected, connected with one or two streams): random ops then reach deeper states. */
const prologues: Op[][] = [
  [],
  [
    { op: 'connect', app: 'live', tcUrl: 'rtmp://h/live', txn: 1, object: true },
    { op: 'decide', pick: 0, accept: true },
  ],
];
prologues.push([...prologues[1]!, { op: 'createStream', txn: 2 }]);
prologues.push([...prologues[2]!, { op: 'createStream', txn: 3 }]);

/** An opening and random ops after it. */
type Script = [number, Op[]];

const expand = ([p, ops]: Script): Op[] => [...prologues[p]!, ...ops];

/** The model-based target. */
export const rtmpSessionTarget: CheckTarget<Script> = {
  kind: 'check',
  name: 'rtmp-session',
  inputs: 1_000_000,
  arbitrary: fc.tuple(fc.nat({ max: prologues.length - 1 }), fc.array(opArb, { maxLength: 24 })),
  run: (script) => runOps(expand(script)),
  toJson: expand,
  fromJson: (json) => [0, json as Op[]],
};
