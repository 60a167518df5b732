import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchInstanceIdentity } from '../src/index.ts';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A local stand-in for the EC2 metadata service, speaking IMDSv2 (token first). */
function imds(
  handler: (method: string, url: string, token: string | undefined) => [number, string],
): Promise<string> {
  server = createServer((req, res) => {
    const [status, body] = handler(
      req.method ?? '',
      req.url ?? '',
      req.headers['x-aws-ec2-metadata-token'] as string | undefined,
    );
    res.writeHead(status).end(body);
  });
  return new Promise((resolve) =>
    server!.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server!.address() as AddressInfo).port}`),
    ),
  );
}

describe('fetchInstanceIdentity', () => {
  it('should get a token, then the document and signature with it', async () => {
    const seen: string[] = [];
    const endpoint = await imds((method, url, token) => {
      seen.push(`${method} ${url} ${token ?? '-'}`);
      if (method === 'PUT' && url === '/latest/api/token') return [200, 'tok-1'];
      if (token !== 'tok-1') return [401, ''];
      if (url.endsWith('/document')) return [200, '{"instanceId":"i-123"}'];
      if (url.endsWith('/signature')) return [200, 'c2lnbmF0dXJl'];
      return [404, ''];
    });
    expect(await fetchInstanceIdentity({ endpoint })).toEqual({
      document: '{"instanceId":"i-123"}',
      signature: 'c2lnbmF0dXJl',
    });
    expect(seen[0]).toBe('PUT /latest/api/token -');
    expect(seen.slice(1).sort()).toEqual([
      'GET /latest/dynamic/instance-identity/document tok-1',
      'GET /latest/dynamic/instance-identity/signature tok-1',
    ]);
  });

  it('should resolve undefined off EC2 (no answer, or an error status) instead of failing', async () => {
    const endpoint = await imds(() => [403, 'no']);
    expect(await fetchInstanceIdentity({ endpoint })).toBeUndefined();
    expect(await fetchInstanceIdentity({ endpoint: 'http://127.0.0.1:9', timeoutMs: 300 })).toBeUndefined();
  });
});
