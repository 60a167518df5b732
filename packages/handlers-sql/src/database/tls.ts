import { SqlErrorId, sqlFailure } from '../errors.ts';
import type { Dialect, TlsSetting } from './spec.ts';

const TRUE = new Set(['true', '1', 'yes', 'on']);

/**
 * TLS from JDBC properties, with the drivers' meanings: PostgreSQL `ssl=true` verifies the server and
 * `sslmode` follows libpq (`require` encrypts without verifying, `verify-ca`/`verify-full` verify);
 * MySQL/MariaDB `useSSL`/`ssl`/`sslMode` (`REQUIRED` encrypts, `VERIFY_CA`/`VERIFY_IDENTITY` verify) and
 * `trustServerCertificate` / `verifyServerCertificate=false` turn verification off.
 */
export function tlsFromProperties(
  dialect: Dialect,
  props: ReadonlyMap<string, string>,
  owner: string,
): TlsSetting {
  const get = (key: string) => {
    for (const [k, v] of props) if (k.toLowerCase() === key.toLowerCase()) return v.trim();
    return undefined;
  };
  const mode = get('sslmode') ?? get('sslMode');
  if (mode !== undefined) {
    const m = mode.toLowerCase().replace(/_/g, '-');
    if (m === 'disable' || m === 'disabled' || m === 'allow' || m === 'prefer' || m === 'preferred') {
      // allow/prefer fall back to plain text in the JDBC drivers; without a fallback here, plain is the honest choice.
      return false;
    }
    if (m === 'require' || m === 'required') return { rejectUnauthorized: verifyOverride(get) ?? false };
    if (m === 'verify-ca' || m === 'verify-full' || m === 'verify-identity')
      return { rejectUnauthorized: true };
    throw sqlFailure(SqlErrorId.InvalidSpec, `${owner}: unknown sslmode "${mode}"`);
  }
  const on = get('ssl') ?? (dialect === 'mysql' ? (get('useSSL') ?? get('requireSSL')) : undefined);
  if (on === undefined || !TRUE.has(on.toLowerCase())) return false;
  return { rejectUnauthorized: verifyOverride(get) ?? true };
}

function verifyOverride(get: (key: string) => string | undefined): boolean | undefined {
  const trust = get('trustServerCertificate');
  if (trust !== undefined) return !TRUE.has(trust.toLowerCase());
  const verify = get('verifyServerCertificate');
  if (verify !== undefined) return TRUE.has(verify.toLowerCase());
  const factory = get('sslfactory');
  if (factory?.endsWith('NonValidatingFactory')) return false;
  return undefined;
}
