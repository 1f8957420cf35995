/**
 * Where an accepted SRT publish's payload goes: the MPEG-TS bytes, in order, as TSBPD releases them (each
 * SRT payload is a whole number of 188-byte TS packets from ffmpeg, OBS and srt-live-transmit, but a sink
 * must not rely on it). The integrator wires it to the TS demuxer and the ingest (PublishSession).
 */
import type { AdmissionRequest } from '../../control/admission-request.ts';

/** Receives one publish's TS bytes. */
export interface TsPayloadSink {
  /** One SRT payload (the buffer is the sink's to keep). */
  write(chunk: Buffer): void;
  /** The publish ended (the encoder stopped, timed out, failed or was dropped): called exactly once. */
  end(breakCode: string, reason: string): void;
}

/** What a sink factory learns about an accepted publish. */
export interface SrtPublish<S> {
  /** The admission's claim (the hub Stream); the sink owns it and gives it back on `end`. */
  readonly claim: S;
  readonly domain: string;
  readonly request: AdmissionRequest;
  readonly publisherId: string;
  /** The raw stream id the caller sent. */
  readonly streamId: string;
  readonly serverIp: string;
  /** Closes the SRT connection from outside (operator drop, forbid, a newer publisher); `end` follows. */
  readonly disconnect: (reason: string) => void;
}

/** Opens a sink for each accepted publish; a throw refuses the publish after all (SRT_REJX_ISE). */
export type TsSinkFactory<S> = (publish: SrtPublish<S>) => TsPayloadSink;
