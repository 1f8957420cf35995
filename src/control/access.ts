/**
 * The access hook: every publish and play asks one function before anything is sent back to the
 * peer. The decision carries a stable error code and a sentence for the encoder's log.
 */
import type { ErrorCode } from '../errors.ts';

/** What a publisher asked for, as the RTMP server saw it. */
export interface PublishRequest {
  readonly app: string;
  readonly stream: string;
  /** Query of the publish name merged over the connect tcUrl/app query (txSecret, txTime, ...). */
  readonly query: URLSearchParams;
  readonly tcUrl: string;
  readonly clientIp: string;
}

/** What a player asked for. */
export interface PlayRequest {
  readonly protocol: 'rtmp' | 'flv' | 'hls';
  readonly app: string;
  readonly stream: string;
  readonly query: URLSearchParams;
  /** The host the player addressed: tcUrl host for RTMP, the Host header for HTTP. */
  readonly host: string;
  readonly clientIp: string;
}

/**
 * An access decision. A refusal names its stable code, its Tencent break code (`'18/503'`) and says
 * why in one short sentence that starts with the break code (ffmpeg keeps 255 bytes of it).
 * An admission names the domain it was attributed to and, for publishes, whether the domain lets a
 * newcomer replace a live publisher (21/102) rather than being refused (18/601).
 */
export type AccessDecision =
  | { readonly allowed: true; readonly domain?: string; readonly replacePublisher?: boolean }
  | { readonly allowed: false; readonly code: ErrorCode; readonly breakCode: string; readonly reason: string };

/** A refusal: its stable code, its break code and the sentence that starts with it. */
export type Refusal = Extract<AccessDecision, { allowed: false }>;

/** Decides publishes and plays, and records refusals decided after it (18/601 from the publisher claim). */
export interface Access {
  checkPublish(req: PublishRequest): Promise<AccessDecision>;
  checkPlay(req: PlayRequest): Promise<AccessDecision>;
  recordRejection(action: 'publish' | 'play', req: PublishRequest | PlayRequest, refused: Refusal, domain?: string): Promise<void>;
}

const allowed: AccessDecision = { allowed: true };

/** The access hook that admits everyone: the default until domains and signatures are configured. */
export const allowAll: Access = {
  checkPublish: () => Promise.resolve(allowed),
  checkPlay: () => Promise.resolve(allowed),
  recordRejection: () => Promise.resolve(),
};
