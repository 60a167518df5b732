import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A self-signed certificate: its own CA, so a client trusts it by naming it (NODE_EXTRA_CA_CERTS …). */
export interface SelfSignedCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  /** The certificate as PEM, for a client's `ca`. */
  readonly pem: string;
}

/**
 * Writes `<name>.crt` and `<name>.key` into `dir` with openssl: valid for a day, for localhost and
 * 127.0.0.1 unless `altNames` says otherwise (clients check the SANs, not the CN).
 */
export function selfSignedCertificate(
  dir: string,
  name: string,
  altNames = 'DNS:localhost,IP:127.0.0.1',
): SelfSignedCertificate {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      `subjectAltName=${altNames}`,
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'pipe' },
  );
  return { certFile, keyFile, pem: readFileSync(certFile, 'utf8') };
}

/** A server certificate signed by a throw-away CA, as a client meets a private PKI. */
export interface CaSignedCertificate extends SelfSignedCertificate {
  /** The CA's certificate: what a client is told to trust. */
  readonly caFile: string;
  readonly caPem: string;
}

/**
 * A CA and a server certificate it signed, in `dir`. Deno's TLS (rustls) refuses a CA certificate
 * presented as the server's own, so a test that runs clients on every runtime needs this pair rather
 * than one self-signed certificate.
 */
export function caSignedCertificate(
  dir: string,
  name: string,
  altNames = 'DNS:localhost,IP:127.0.0.1',
): CaSignedCertificate {
  const f = (suffix: string) => join(dir, `${name}${suffix}`);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=Tasklane test CA',
    '-keyout',
    f('-ca.key'),
    '-out',
    f('-ca.crt'),
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    f('.key'),
    '-out',
    f('.csr'),
  );
  writeFileSync(f('.ext'), `subjectAltName=${altNames}\n`);
  openssl(
    'x509',
    '-req',
    '-in',
    f('.csr'),
    '-CA',
    f('-ca.crt'),
    '-CAkey',
    f('-ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-out',
    f('.crt'),
    '-extfile',
    f('.ext'),
  );
  return {
    certFile: f('.crt'),
    keyFile: f('.key'),
    pem: readFileSync(f('.crt'), 'utf8'),
    caFile: f('-ca.crt'),
    caPem: readFileSync(f('-ca.crt'), 'utf8'),
  };
}
