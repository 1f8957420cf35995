/**
 * SRT handshake rejection reasons (libsrt srt.h SRT_REJ_* and, from 1000, the access-control codes
 * SRT_REJX_* of docs/features/access-control.md, modelled on HTTP statuses). A rejecting handshake
 * carries 1000 + reason in its type field (libsrt URQFailure), so SRT_REJX_FORBIDDEN travels as 2403.
 */
import { rejectionBase } from './srt-handshake.ts';

/** The reasons libsrt prints as `srt_rejectreason_str` (ffmpeg: "Connection setup failure: ..."). */
export const RejectReason = {
  unknown: 0,
  system: 1,
  peer: 2,
  resource: 3,
  rogue: 4,
  backlog: 5,
  ipe: 6,
  close: 7,
  version: 8,
  rdvCookie: 9,
  badSecret: 10,
  unsecure: 11,
  messageApi: 12,
  congestion: 13,
  filter: 14,
  group: 15,
  timeout: 16,
  crypto: 17,
  // SRT_REJX_*: set by the listener's access control (libsrt srt_setrejectreason)
  badRequest: 1400,
  unauthorized: 1401,
  overload: 1402,
  forbidden: 1403,
  notFound: 1404,
  badMode: 1405,
  unacceptable: 1406,
  conflict: 1409,
  internal: 1500,
  unimplemented: 1501,
  down: 1503,
} as const;

/** The handshake type that carries `reason`. */
export function rejectionType(reason: number): number {
  return rejectionBase + reason;
}

/** The reason a handshake type carries, or undefined when it is not a rejection. */
export function rejectionOf(type: number): number | undefined {
  return type >= rejectionBase && type < 0x7fffffff ? type - rejectionBase : undefined;
}
