/** Self-signed certificates made with Debian's openssl for TLS tests, in a temp dir the caller removes. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** A certificate and key pair on disk. */
export interface TestCert {
  readonly cert: string;
  readonly key: string;
  /** SHA-256 fingerprint as node:tls prints it (`AB:CD:...`). */
  readonly fingerprint256: string;
}

/**
 * Writes `<name>.pem` and `<name>-key.pem` into `dir`: self-signed for `cn` with the subjectAltName
 * entries given (`DNS:localhost`, `IP:127.0.0.1`); `days: -1` makes one that has already expired.
 */
export function makeCert(
  dir: string,
  name: string,
  options: { cn?: string; altNames?: readonly string[]; days?: number } = {},
): TestCert {
  const cn = options.cn ?? 'localhost';
  const alt = options.altNames ?? ['DNS:localhost', 'IP:127.0.0.1'];
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  const days = options.days ?? 30;
  const ext = alt.length > 0 ? ['-addext', `subjectAltName=${alt.join(',')}`] : [];
  if (days > 0) {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        String(days),
        '-subj',
        `/CN=${cn}`,
        ...ext,
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
  } else {
    // openssl req cannot backdate; x509 -req with negative days ends validity before it starts.
    const csr = join(dir, `${name}.csr`);
    const extFile = join(dir, `${name}.ext`);
    execFileSync(
      'openssl',
      [
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-subj',
        `/CN=${cn}`,
        '-keyout',
        key,
        '-out',
        csr,
      ],
      { stdio: 'ignore' },
    );
    execFileSync('sh', ['-c', `printf 'subjectAltName=${alt.join(',')}\\n' > '${extFile}'`]);
    execFileSync(
      'openssl',
      ['x509', '-req', '-in', csr, '-signkey', key, '-days', String(days), '-extfile', extFile, '-out', cert],
      { stdio: 'ignore' },
    );
  }
  return { cert, key, fingerprint256: new X509Certificate(readFileSync(cert)).fingerprint256 };
}
