/**
 * node:http front end. AWS calls go to the Router; `/_tasklane/*` to the control API. Keep-alive is on
 * and generous, because runners and benchmarks reuse connections.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { RequestContext } from './context.ts';
import { handleControlRequest } from './control-http.ts';
import type { EmulatorControl } from './types.ts';
import { InvalidRequestError, UnknownOperationError } from './errors.ts';
import { errorOutcome } from './router.ts';
import type { Outcome, Router } from './router.ts';
import { handleS3, isS3Request } from './s3/http.ts';
import { SFN_TARGET_PREFIX, type SfnService } from './sfn/service.ts';
import type { S3Hooks } from './s3/http.ts';
import type { S3Store } from './s3/store.ts';

/** EvaluateExpression takes up to 20 MiB; anything much larger is refused without buffering it. */
export const MAX_BODY_BYTES = 21 * 1024 * 1024 + 64 * 1024;
const CONTROL_PREFIX = '/_tasklane/';

export interface HttpServerDeps {
  router: Router;
  control: EmulatorControl;
  log: (line: string) => void;
  /** S3 REST calls on the same port; without it they get the JSON API's UnknownOperationException. */
  s3?: { store: S3Store; hooks: S3Hooks };
  /** Step Functions calls (`X-Amz-Target: AWSStepFunctions.*`) on the same port. */
  sfn?: SfnService;
}

export function createHttpServer(deps: HttpServerDeps): Server {
  const server = createServer((req, res) => {
    handle(deps, req, res).catch((err: unknown) => {
      deps.log(`http handler failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (!res.headersSent && !res.destroyed)
        sendJson(
          res,
          500,
          JSON.stringify({ __type: 'InternalServiceError', message: 'Internal service error.' }),
          'InternalServiceError',
        );
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // Long polls may legitimately outlast Node's default request timeout.
  server.requestTimeout = 0;
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  return server;
}

async function handle(deps: HttpServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  // S3 bodies can be far larger than any JSON call, so they are read by the S3 side with its own limit.
  if (deps.s3 && !url.startsWith(CONTROL_PREFIX) && isS3Request(req))
    return handleS3(deps.s3.store, deps.s3.hooks, req, res);
  const body = await readBody(req, res);
  if (body === undefined) return;
  if (url.startsWith(CONTROL_PREFIX)) {
    const r = handleControlRequest(deps.control, req.method ?? 'GET', url.slice(CONTROL_PREFIX.length), body);
    sendJson(res, r.status, r.body);
    return;
  }
  if (req.method !== 'POST' || (url !== '/' && !url.startsWith('/?'))) {
    return send(
      res,
      errorOutcome(
        new UnknownOperationError(
          `${req.method ?? ''} ${url.slice(0, 128)} is not an AWS Data Pipeline call; use POST / with X-Amz-Target.`,
        ),
      ),
    );
  }
  const header = req.headers['x-amz-target'];
  const target = Array.isArray(header) ? header[0] : header;
  const { ctx, undelivered } = requestContext(req, res);
  const outcome =
    deps.sfn && target?.startsWith(SFN_TARGET_PREFIX)
      ? await deps.sfn.dispatch(target, body, ctx)
      : await deps.router.dispatch(target, body, ctx);
  // A client can vanish between the handler's decision and the write; a polled task must then go back.
  if (outcome.kind === 'json' && !sendJson(res, outcome.status, outcome.body, outcome.errorType))
    undelivered();
  else if (outcome.kind === 'drop') send(res, outcome);
}

function readBody(req: IncomingMessage, res: ServerResponse): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        refused = true;
        res.setHeader('connection', 'close');
        send(res, errorOutcome(new InvalidRequestError(`The request body exceeds ${MAX_BODY_BYTES} bytes.`)));
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!refused)
        resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', () => resolve(undefined));
  });
}

function requestContext(
  req: IncomingMessage,
  res: ServerResponse,
): { ctx: RequestContext; undelivered: () => void } {
  let done = false;
  let listening = false;
  const doneCbs: Array<() => void> = [];
  const undeliveredCbs: Array<() => void> = [];
  const finish = () => {
    if (done) return;
    done = true;
    for (const cb of doneCbs.splice(0)) cb();
  };
  // Listeners are attached only by handlers that care (PollForTask), keeping other calls cheap.
  const undelivered = () => {
    for (const cb of undeliveredCbs.splice(0)) cb();
  };
  const listen = () => {
    if (listening) return;
    listening = true;
    res.once('finish', finish);
    res.once('close', () => {
      if (res.headersSent && !res.writableFinished) undelivered();
      finish();
    });
  };
  const ctx: RequestContext = {
    isOpen: () => !done && !res.destroyed && !req.socket.destroyed,
    onDone(cb) {
      if (done) return cb();
      listen();
      doneCbs.push(cb);
    },
    onUndelivered(cb) {
      listen();
      undeliveredCbs.push(cb);
    },
    userId: accessKeyOf(req.headers.authorization),
  };
  return { ctx, undelivered };
}

function accessKeyOf(authorization: string | undefined): string {
  const m = authorization ? /Credential=([^/,\s]+)\//.exec(authorization) : null;
  return m?.[1] ?? 'anonymous';
}

function send(res: ServerResponse, outcome: Outcome): void {
  if (outcome.kind === 'drop') {
    res.socket?.destroy();
    res.destroy();
    return;
  }
  sendJson(res, outcome.status, outcome.body, outcome.errorType);
}

/** False when the response could not be written at all. */
function sendJson(res: ServerResponse, status: number, body: string, errorType?: string): boolean {
  if (res.destroyed || res.writableEnded) return false;
  const headers: Record<string, string | number> = {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(body),
    'x-amzn-RequestId': randomUUID(),
  };
  if (errorType !== undefined) headers['x-amzn-ErrorType'] = errorType;
  res.writeHead(status, headers);
  res.end(body);
  return true;
}
