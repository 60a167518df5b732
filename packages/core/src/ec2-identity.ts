/** Options of {@link fetchInstanceIdentity}. */
export interface InstanceIdentityOptions {
  /** IMDS base URL. @default 'http://169.254.169.254' */
  endpoint?: string;
  /** @default 2000 */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * Reads the EC2 instance identity document and its signature through IMDSv2 (token first), for
 * `PollForTask.instanceIdentity`. Resolves undefined when not on EC2 or IMDS does not answer in time.
 */
export async function fetchInstanceIdentity(
  options: InstanceIdentityOptions = {},
): Promise<{ document: string; signature: string } | undefined> {
  const base = options.endpoint ?? 'http://169.254.169.254';
  const doFetch = options.fetch ?? fetch;
  const signal = AbortSignal.timeout(options.timeoutMs ?? 2000);
  try {
    const tokenResponse = await doFetch(`${base}/latest/api/token`, {
      method: 'PUT',
      headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '300' },
      signal,
    });
    if (!tokenResponse.ok) return undefined;
    const token = await tokenResponse.text();
    const headers = { 'X-aws-ec2-metadata-token': token };
    const [document, signature] = await Promise.all(
      ['document', 'signature'].map(async (part) => {
        const response = await doFetch(`${base}/latest/dynamic/instance-identity/${part}`, {
          headers,
          signal,
        });
        if (!response.ok) throw new Error(`IMDS ${part}: HTTP ${response.status}`);
        return response.text();
      }),
    );
    return document && signature ? { document, signature } : undefined;
  } catch {
    return undefined;
  }
}
