import { NodeHttpHandler } from '@smithy/node-http-handler';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import type { ProxySettings, TaskRunnerArgs } from './args.ts';

/** Outlasts the service's 90 s long poll (a shorter timeout would lose handed-out tasks). */
const REQUEST_TIMEOUT_MS = 100_000;

/** `http://user:password@host:port`; the agents send the userinfo as Basic `Proxy-Authorization`. */
function proxyUrl(proxy: ProxySettings): string {
  const auth =
    proxy.username !== undefined
      ? `${encodeURIComponent(proxy.username)}:${encodeURIComponent(proxy.password ?? '')}@`
      : '';
  const host = proxy.host.includes(':') && !proxy.host.startsWith('[') ? `[${proxy.host}]` : proxy.host;
  return `http://${auth}${host}:${proxy.port}`;
}

/**
 * An AWS SDK HTTP handler whose every request goes through the proxy: plain HTTP endpoints as
 * absolute-URI requests, HTTPS ones through a CONNECT tunnel.
 */
export function proxyRequestHandler(proxy: ProxySettings): NodeHttpHandler {
  const url = proxyUrl(proxy);
  return new NodeHttpHandler({
    requestTimeout: REQUEST_TIMEOUT_MS,
    throwOnRequestTimeout: true,
    connectionTimeout: 10_000,
    httpAgent: new HttpProxyAgent(url, { keepAlive: true, maxSockets: 256 }),
    httpsAgent: new HttpsProxyAgent(url, { keepAlive: true, maxSockets: 256 }),
  });
}

/**
 * What every AWS client of `tasklane taskrunner` gets on top of the host's settings: the Java runner's
 * credentials (the SDK's default chain when none were given) and the proxy.
 */
export function awsClientConfig(
  args: Pick<TaskRunnerArgs, 'credentials' | 'proxy'>,
  base: Record<string, unknown> = {},
  useProxy = true,
): Record<string, unknown> {
  return {
    ...base,
    ...(args.credentials ? { credentials: { ...args.credentials } } : {}),
    ...(args.proxy && useProxy ? { requestHandler: proxyRequestHandler(args.proxy) } : {}),
  };
}
