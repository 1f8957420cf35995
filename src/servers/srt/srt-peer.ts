/**
 * One SRT caller on the listener: its handshake answer (kept, so a repeated conclusion gets the same one),
 * its connection once accepted, and its TS sink. I/O glue only; the protocol is protocol/srt.
 */
import { breakCodes } from '../../control/break-codes.ts';
import type { ErrorCode } from '../../errors.ts';
import { SrtConnection, type SrtConnectionOptions } from '../../protocol/srt/srt-connection.ts';
import type { TsPayloadSink } from './ts-payload-sink.ts';

/** What a peer needs from its server. */
export interface PeerHost {
  send(datagram: Buffer, address: string, port: number): void;
  ended(peer: SrtPeer, code: ErrorCode | undefined, reason: string): void;
}

/** One caller: `pending` while admission decides, then `live` (connection and sink) or `refused`. */
export class SrtPeer {
  readonly key: string;
  readonly address: string;
  readonly port: number;
  readonly localId: number;
  readonly openedAtUs: number;
  state: 'pending' | 'live' | 'refused' | 'closed' = 'pending';
  /** The conclusion answer, sent again when the caller repeats its conclusion (libsrt retries every 250 ms). */
  answer: Buffer | undefined;
  connection: SrtConnection | undefined;
  sink: TsPayloadSink | undefined;
  lastDataUs: number;
  /** Receiver overflow count already reported (SRT_RECEIVE_BUFFER_FULL counts the difference). */
  reportedOverflow = 0;
  /** A player (`m=request`): it sends us no data, so the data idle timeout does not apply. */
  playing = false;
  readonly #host: PeerHost;
  #breakCode: string | undefined;

  constructor(key: string, address: string, port: number, localId: number, nowUs: number, host: PeerHost) {
    this.key = key;
    this.address = address;
    this.port = port;
    this.localId = localId;
    this.openedAtUs = nowUs;
    this.lastDataUs = nowUs;
    this.#host = host;
  }

  /** Starts the connection with the sink that takes its payloads. */
  go(options: SrtConnectionOptions, sink: TsPayloadSink, answer: Buffer): void {
    this.sink = sink;
    this.answer = answer;
    this.state = 'live';
    this.connection = new SrtConnection(options, {
      send: (d) => this.#host.send(d, this.address, this.port),
      deliver: (payload) => this.sink?.write(payload),
      closed: (code, reason) => this.#ended(code, reason),
    });
    this.#host.send(answer, this.address, this.port);
  }

  /** Ends the peer: a live one sends a shutdown and its sink hears `breakCode`; idempotent. */
  close(nowUs: number, code: ErrorCode | undefined, reason: string, breakCode?: string): void {
    if (this.state === 'closed') return;
    this.#breakCode = breakCode;
    if (this.connection && !this.connection.closed) this.connection.close(nowUs, code, reason);
    else this.#ended(code, reason);
  }

  #ended(code: ErrorCode | undefined, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    const sink = this.sink;
    this.sink = undefined;
    sink?.end(this.#breakCode ?? breakCodeOf(code), reason);
    this.#host.ended(this, code, reason);
  }
}

/** The Tencent break code a connection's end is reported with. */
function breakCodeOf(code: ErrorCode | undefined): string {
  if (code === undefined) return breakCodes.clientStopped;
  if (code === 'SRT_PEER_IDLE_TIMEOUT') return breakCodes.networkError;
  if (code === 'SRT_IDLE_TIMEOUT') return breakCodes.noData;
  if (code === 'SRT_PACKET_INVALID' || code === 'SRT_ENCRYPTION_UNSUPPORTED') return breakCodes.protocolError;
  return breakCodes.internalError;
}
