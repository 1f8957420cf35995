/** Byte targets of the RTMP layer: the handshake (both roles), the chunk decoder and a whole server session. */
import { ProtocolError } from '../../../src/errors.ts';
import { ChunkDecoder, type RtmpMessage } from '../../../src/protocol/rtmp/chunk-decoder.ts';
import {
  ClientHandshake,
  HandshakeSize,
  ServerHandshake,
  type HandshakeResult,
} from '../../../src/protocol/rtmp/handshake.ts';
import { ServerSession } from '../../../src/protocol/rtmp/server-session.ts';
import type { Rng } from '../rng.ts';
import { splitDeterministic } from '../rng.ts';
import { capture, chunkSeeds, simpleHandshake } from '../seeds.ts';
import { codedOutcome, isCodedError, OracleFailure, type BytesTarget, type Outcome } from '../target.ts';

const fixedRandom = (n: number): Buffer => Buffer.alloc(n, 0x5a);

function feed(receive: (b: Buffer) => HandshakeResult, pieces: Buffer[]): { out: number; done: boolean; rest: number } {
  let out = 0;
  let rest = 0;
  let done = false;
  for (const [i, piece] of pieces.entries()) {
    const r = receive(piece);
    for (const b of r.out) out += b.length;
    if (r.done) {
      // The session drops the handshake once done and hands everything after it to the chunk layer.
      done = true;
      rest = r.rest.length + pieces.slice(i + 1).reduce((n, p) => n + p.length, 0);
      break;
    }
  }
  return { out, done, rest };
}

/** ServerHandshake and ClientHandshake on hostile C0/C1/C2 (and S0/S1/S2), split anywhere. */
export const handshakeTarget: BytesTarget = {
  kind: 'bytes',
  name: 'handshake',
  inputs: 800_000,
  maxLen: 2 * HandshakeSize + 64,
  seeds() {
    const { c0c1, c2, chunks } = capture();
    const simple = Buffer.concat([Buffer.of(3), Buffer.alloc(HandshakeSize, 0xab), Buffer.alloc(HandshakeSize, 1)]);
    return [Buffer.concat([c0c1, c2, chunks.subarray(0, 40)]), simple, c0c1];
  },
  run(input) {
    let outcome: string;
    try {
      const server = new ServerHandshake({ random: fixedRandom });
      const r = feed((b) => server.receive(b), splitDeterministic(input));
      // Whatever arrived past C2 is handed on whole, and the answer is S0+S1+S2 exactly.
      if (r.done && r.rest !== input.length - 1 - 2 * HandshakeSize)
        throw new OracleFailure(`rest of ${r.rest} bytes after the handshake`);
      if (r.out !== 0 && r.out !== 1 + 2 * HandshakeSize)
        throw new OracleFailure(`server wrote ${r.out} handshake bytes`);
      outcome = `s:${r.done}:${server.digest}`;
    } catch (err) {
      if (!isCodedError(err)) throw err;
      outcome = codedOutcome(err);
    }
    try {
      const client = new ClientHandshake({ random: fixedRandom, digest: input.length % 2 === 0 });
      client.start();
      const r = feed((b) => client.receive(b), splitDeterministic(input, 3));
      outcome += `c:${r.done}`;
    } catch (err) {
      if (!isCodedError(err)) throw err;
      outcome += codedOutcome(err);
    }
    return outcome;
  },
};

function decodeAll(pieces: Buffer[]): { messages: RtmpMessage[]; error: string | undefined } {
  const decoder = new ChunkDecoder({ maxChunkStreams: 64, maxMessageSize: 1 << 20 });
  const messages: RtmpMessage[] = [];
  try {
    for (const piece of pieces) decoder.push(piece, messages);
  } catch (err) {
    if (!isCodedError(err)) throw err;
    return { messages, error: err.code };
  }
  return { messages, error: undefined };
}

function sameMessage(a: RtmpMessage, b: RtmpMessage): boolean {
  return (
    a.csid === b.csid &&
    a.typeId === b.typeId &&
    a.streamId === b.streamId &&
    a.timestamp === b.timestamp &&
    a.payload.equals(b.payload)
  );
}

/** A forged chunk header (fmt, csid of 1..3 bytes, message header with interesting lengths) spliced in. */
function forgeChunkHeader(input: Buffer, rng: Rng): Buffer {
  const fmt = rng.below(4);
  const csid = rng.pick([2, 3, 4, 5, 6, 7, 63, 64, 319, 320, 65599, rng.below(65600)]);
  const basic =
    csid < 64
      ? Buffer.of((fmt << 6) | csid)
      : csid < 320
        ? Buffer.of(fmt << 6, csid - 64)
        : Buffer.of((fmt << 6) | 1, (csid - 64) & 0xff, (csid - 64) >> 8);
  const header = Buffer.alloc([11, 7, 3, 0][fmt]!);
  if (header.length >= 3) header.writeUIntBE(rng.pick([0, 1, 40, 0xffffff, rng.below(0x1000000)]), 0, 3);
  if (header.length >= 7) {
    header.writeUIntBE(rng.pick([0, 1, 4, 127, 128, 129, 4096, 0xffffff, rng.below(2000)]), 3, 3);
    header[6] = rng.pick([1, 2, 3, 4, 5, 6, 8, 9, 15, 17, 18, 20, 22, rng.below(256)]);
  }
  if (header.length >= 11) header.writeUInt32LE(rng.pick([0, 1, 0xffffffff]), 7);
  const ext = header.length >= 3 && header.readUIntBE(0, 3) === 0xffffff ? rng.bytes(4) : Buffer.alloc(0);
  const body = rng.bytes(rng.below(140));
  const at = rng.below(input.length + 1);
  return Buffer.concat([input.subarray(0, at), basic, header, ext, body, input.subarray(at)]).subarray(0, 16384);
}

/** The chunk decoder: hostile chunk streams, and the same messages whatever the read boundaries. */
export const chunkTarget: BytesTarget = {
  kind: 'bytes',
  name: 'chunk',
  inputs: 2_000_000,
  maxLen: 16384,
  seeds: chunkSeeds,
  extra: forgeChunkHeader,
  run(input): Outcome {
    const whole = decodeAll([input]);
    const split = decodeAll(splitDeterministic(input, 12));
    if (whole.error !== split.error)
      throw new OracleFailure(`whole read ends in ${whole.error}, split reads in ${split.error}`);
    if (
      whole.messages.length !== split.messages.length ||
      whole.messages.some((m, i) => !sameMessage(m, split.messages[i]!))
    ) {
      throw new OracleFailure('split reads decode other messages than one read');
    }
    // Which kinds of message came out (control, commands, data, media, other), not which exact types.
    const kinds = new Set(
      whole.messages.map((m) =>
        m.typeId <= 6
          ? 'c'
          : m.typeId === 20 || m.typeId === 17
            ? 'k'
            : m.typeId === 18 || m.typeId === 15
              ? 'd'
              : m.typeId === 8 || m.typeId === 9
                ? 'm'
                : 'o',
      ),
    );
    return `${whole.error ?? 'ok'}:${[...kinds].sort().join('')}:${Math.min(whole.messages.length, 4)}`;
  },
};

/** The ffmpeg publish after the handshake, cut into a few windows that each start at a command. */
function sessionSeeds(): Buffer[] {
  const { chunks } = capture();
  return [chunks.subarray(0, 2048), chunks.subarray(0, 8192), ...chunkSeeds().slice(0, 4)];
}

/**
 * A whole ServerSession after a real handshake, fed mutated chunk streams (the ffmpeg publish and
 * built ones) in several reads, the server accepting every connect, publish and play at once. Only
 * coded errors from `receive()`; the decisions never throw; the output decodes as chunks.
 */
export const sessionBytesTarget: BytesTarget = {
  kind: 'bytes',
  name: 'session-bytes',
  inputs: 1_000_000,
  maxLen: 16384,
  seeds: sessionSeeds,
  extra: forgeChunkHeader,
  run(input): Outcome {
    const session = new ServerSession({ random: fixedRandom, maxMessageSize: 1 << 20 });
    session.receive(simpleHandshake);
    const client = new ChunkDecoder();
    client.push(Buffer.concat(session.drain()).subarray(1 + 2 * HandshakeSize));
    const seen = new Set<string>();
    try {
      for (const piece of splitDeterministic(input, 6)) {
        // A decision returns the events of the messages held behind it (pipelining): they are handled in turn.
        const events = session.receive(piece);
        for (let i = 0; i < events.length; i++) {
          const e = events[i]!;
          seen.add(e.type);
          try {
            if (e.type === 'connect') events.push(...session.acceptConnect());
            else if (e.type === 'publish') events.push(...session.acceptPublish(e.streamId));
            else if (e.type === 'play') events.push(...session.acceptPlay(e.streamId));
          } catch (err) {
            // Replaying held messages may meet the peer's bad bytes: a ProtocolError with a code, like receive().
            if (err instanceof ProtocolError) throw err;
            throw new OracleFailure(
              `accepting ${e.type} at once threw ${(err as { code?: string }).code ?? String(err)}`,
              { cause: err },
            );
          }
        }
        try {
          client.push(Buffer.concat(session.drain()));
        } catch (err) {
          throw new OracleFailure(`the server wrote an invalid chunk stream: ${(err as Error).message}`, {
            cause: err,
          });
        }
      }
    } catch (err) {
      if (!isCodedError(err)) throw err;
      return `${codedOutcome(err)}:${[...seen].sort().join(',')}`;
    }
    return `ok:${[...seen].sort().join(',')}`;
  },
};
