/** The options, events and states of the sans-I/O RTMP ServerSession (server-session.ts). */
import type { Buffer } from 'node:buffer';
import type { LiveError } from '../../errors.ts';
import type { Amf0Object, Amf0Value } from '../amf0/amf0-value.ts';
import type { MediaMessage } from '../media.ts';
import type { NameLimits } from './bounded-query.ts';

/** Options of a ServerSession. */
export interface ServerSessionOptions {
  /** Outgoing chunk size announced after connect, default 4096. */
  chunkSize?: number;
  /** Window Ack Size we announce, and the window we acknowledge until the peer sets one; default 2_500_000. */
  windowAckSize?: number;
  maxMessageSize?: number;
  maxChunkStreams?: number;
  /** The chunk layer's other limits (ChunkDecoderOptions; docs/security.md "RTMP"). */
  maxCommandSize?: number;
  maxControlSize?: number;
  maxPartialBytes?: number;
  minChunkSize?: number;
  /** Limits on tcUrl, app, stream names and their queries, for the command layer (bounded-query.ts). */
  names?: NameLimits;
  random?: (n: number) => Buffer;
  epoch?: number;
  /** Messages held while a connect/publish/play decision is pending (default 64; RTMP_COMMAND_QUEUE_LIMIT past it). */
  maxQueuedMessages?: number;
  /** Payload bytes held while a decision is pending (default 1 MiB). */
  maxQueuedBytes?: number;
}

/** What the server learns from the peer. */
export type ServerSessionEvent =
  | { type: 'handshake-done' }
  | { type: 'connect'; app: string; tcUrl: string; query: URLSearchParams; objectEncoding: number; command: Amf0Object }
  | { type: 'publish'; streamId: number; name: string; query: URLSearchParams; rawName: string; publishType: string }
  | { type: 'play'; streamId: number; name: string; query: URLSearchParams; rawName: string; start: number }
  | { type: 'metadata'; streamId: number; message: MediaMessage; metadata: Amf0Value }
  | { type: 'media'; streamId: number; message: MediaMessage }
  | { type: 'unpublish'; streamId: number; reason: string }
  | { type: 'stop-play'; streamId: number; reason: string }
  /** A publish or play refused by the session's own limits (a name or query too long); reject it with this error. */
  | { type: 'refused'; streamId: number; action: 'publish' | 'play'; name: string; error: LiveError }
  | { type: 'pong'; timestamp: number }
  /** The peer's Set Chunk Size (RTMP 1.0 §5.4.1), already applied to the decoder; reported for push-error checks. */
  | { type: 'chunk-size'; size: number }
  | { type: 'ignored'; what: string };

/** The connection state. */
export type ServerSessionState = 'handshake' | 'connecting' | 'connected' | 'closed';
