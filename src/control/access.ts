/**
 * The access hook: the domain, name, forbid and signature half of every admission (control/admission.ts
 * adds the publisher claim, the replace policy and the memory budget). The decision carries a stable
 * error code and a sentence for the encoder's log.
 */
import type { ErrorCode } from '../errors.ts';
import type { AdmissionRequest } from './admission-request.ts';

export type { AdmissionRequest };

/** What a publisher asked for (the transport-neutral request). */
export type PublishRequest = AdmissionRequest;

/** What a player asked for (the transport-neutral request). */
export type PlayRequest = AdmissionRequest;

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

/** How a check runs: a dry run (the doctor) decides the same way but records nothing and slows nobody. */
export interface CheckOptions {
  readonly dryRun?: boolean;
}

/** Decides publishes and plays, and records refusals decided after it (18/601 from the publisher claim). */
export interface Access {
  checkPublish(req: PublishRequest, options?: CheckOptions): Promise<AccessDecision>;
  checkPlay(req: PlayRequest, options?: CheckOptions): Promise<AccessDecision>;
  recordRejection(action: 'publish' | 'play', req: AdmissionRequest, refused: Refusal, domain?: string): Promise<void>;
}

const allowed: AccessDecision = { allowed: true };

/** The access hook that admits everyone: the default until domains and signatures are configured. */
export const allowAll: Access = {
  checkPublish: () => Promise.resolve(allowed),
  checkPlay: () => Promise.resolve(allowed),
  recordRejection: () => Promise.resolve(),
};
