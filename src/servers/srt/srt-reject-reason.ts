/**
 * The SRT rejection reason for an admission refusal (one place, like rtmp-status.ts): SRT carries no text
 * in a rejected handshake, so the code is all the encoder can log (libsrt prints it as SRT_REJX_*).
 */
import { errorCodes, type ErrorCode } from '../../errors.ts';
import { RejectReason } from '../../protocol/srt/srt-reject.ts';

/** SRT_REJX_* for a refusal's stable code. */
export function srtReasonOf(code: ErrorCode): number {
  switch (code) {
    case 'TXTIME_MISSING':
    case 'TXTIME_INVALID':
    case 'TXTIME_EXPIRED':
    case 'TXSECRET_MISSING':
    case 'SIGNATURE_INVALID':
      return RejectReason.unauthorized;
    case 'STREAM_ALREADY_PUBLISHING':
      return RejectReason.conflict;
    case 'DOMAIN_UNKNOWN':
    case 'DOMAIN_DISABLED':
    case 'STREAM_NOT_FOUND':
      return RejectReason.notFound;
    case 'HOST_BARE_IP':
    case 'STREAM_NAME_INVALID':
    case 'APP_NAME_INVALID':
    case 'SRT_STREAM_ID_INVALID':
      return RejectReason.badRequest;
    case 'SRT_PLAY_UNSUPPORTED':
      return RejectReason.badMode;
    default:
      break;
  }
  const kind = errorCodes[code];
  if (kind === 'limit' || code === 'COORDINATOR_UNAVAILABLE') return RejectReason.overload;
  if (kind === 'internal') return RejectReason.internal;
  return RejectReason.forbidden;
}
