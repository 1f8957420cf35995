/**
 * Whether a publisher announced the E-RTMP v2 Reconnect capability in its `connect` command object
 * (`capsEx` bit 0x01, veovera enhanced-rtmp v2 "Reconnect Request"). Kept tiny on purpose: the Enhanced
 * RTMP negotiation (`parseEnhancedCapabilities`) will own reading `capsEx`; this is folded into it then.
 */
import { amf0Number, type Amf0Object } from '../../protocol/amf0/amf0-value.ts';

/** capsEx flags, E-RTMP v2: Reconnect (1), Multitrack (2), ModEx (4), TimestampNanoOffset (8). */
const capsExReconnect = 0x01;

/** True when the connect object's `capsEx` has the Reconnect bit (a number; anything else is not announced). */
export function announcesReconnect(connectObject: Amf0Object): boolean {
  const caps = amf0Number(connectObject, 'capsEx');
  return caps !== undefined && Number.isInteger(caps) && (caps & capsExReconnect) !== 0;
}
