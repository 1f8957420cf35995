/**
 * The security settings every TLS listener shares: TLS 1.2 or newer and Node's default cipher list
 * kept to its forward-secret AEAD suites (TLS 1.3's three, ECDHE with AES-GCM or ChaCha20-Poly1305),
 * which is Mozilla's "intermediate" profile: the CBC-mode suites and the `HIGH` catch-all go.
 */
import type { SecureContextOptions } from 'node:tls';

/** The oldest TLS versions a listener may accept (`tls.minVersion`). */
export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

const chacha = ['ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305'];

let ciphers: string | undefined;

/**
 * Node's DEFAULT_CIPHERS without CBC suites and `HIGH`, plus ECDHE ChaCha20 (phones without AES hardware);
 * computed on first use, so that a server without TLS never loads `node:tls` (issue 17: idle memory).
 */
function modernCiphers(): string {
  return (ciphers ??= withoutCbc(process.getBuiltinModule('node:tls').DEFAULT_CIPHERS));
}

function withoutCbc(defaultCiphers: string): string {
  const parts = defaultCiphers.split(':');
  const keep = parts.filter((c) => c.startsWith('TLS_') || c.startsWith('!') || /GCM|CHACHA20/.test(c));
  const firstNegation = keep.findIndex((c) => c.startsWith('!'));
  const at = firstNegation < 0 ? keep.length : firstNegation;
  return [...keep.slice(0, at), ...chacha.filter((c) => !keep.includes(c)), ...keep.slice(at)].join(':');
}

/** The options every secure context of openlive gets. */
export function tlsSecurityOptions(minVersion: TlsVersion): SecureContextOptions {
  return { minVersion, ciphers: modernCiphers(), honorCipherOrder: true };
}
