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

const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
const KEY = ['-newkey', 'rsa:2048', '-nodes'];
const ONE_DAY = ['-days', '1'];

/** `<name>.crt` and `<name>.key` in `dir`, self-signed for `subject`, with `altNames` as SANs if given. */
function selfSigned(dir: string, name: string, subject: string, altNames?: string): SelfSignedCertificate {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  const san = altNames ? ['-addext', `subjectAltName=${altNames}`] : [];
  openssl('req', '-x509', ...KEY, ...ONE_DAY, '-subj', subject, ...san, '-keyout', keyFile, '-out', certFile);
  return { certFile, keyFile, pem: readFileSync(certFile, 'utf8') };
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
  return selfSigned(dir, name, '/CN=localhost', altNames);
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
  const ca = selfSigned(dir, `${name}-ca`, '/CN=Tasklane test CA');
  const f = (suffix: string) => join(dir, `${name}${suffix}`);
  openssl('req', ...KEY, '-subj', '/CN=localhost', '-keyout', f('.key'), '-out', f('.csr'));
  writeFileSync(f('.ext'), `subjectAltName=${altNames}\n`);
  openssl(
    'x509',
    '-req',
    '-in',
    f('.csr'),
    '-CA',
    ca.certFile,
    '-CAkey',
    ca.keyFile,
    '-CAcreateserial',
    ...ONE_DAY,
    '-out',
    f('.crt'),
    '-extfile',
    f('.ext'),
  );
  return {
    certFile: f('.crt'),
    keyFile: f('.key'),
    pem: readFileSync(f('.crt'), 'utf8'),
    caFile: ca.certFile,
    caPem: ca.pem,
  };
}
