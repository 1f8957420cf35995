/** SRTP master keys for a sender and the viewer that decrypts it, for tests of the WHEP send path. */
import { randomBytes } from 'node:crypto';

/** Random server keys and the viewer's mirror of them (its local keys are the server's remote ones). */
export function srtpKeyPair() {
  const keys = {
    localMasterKey: randomBytes(16),
    localMasterSalt: randomBytes(12),
    remoteMasterKey: randomBytes(16),
    remoteMasterSalt: randomBytes(12),
  };
  const viewerKeys = {
    localMasterKey: keys.remoteMasterKey,
    localMasterSalt: keys.remoteMasterSalt,
    remoteMasterKey: keys.localMasterKey,
    remoteMasterSalt: keys.localMasterSalt,
  };
  return { keys, viewerKeys };
}
