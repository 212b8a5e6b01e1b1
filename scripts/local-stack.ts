/**
 * `npm start`: the whole system on one machine, no AWS account. DynamoDB Local (unless DYNAMODB_ENDPOINT is
 * set), the table and example config, every HTTP route on PORT, the Lambda Invoke API on LAMBDA_PORT, an
 * example marketing site on SITE_PORT (a different origin, as a real site would be), the table's stream
 * delivered to every function with a `stream` event, and every `schedule` event run on its rate.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { apiGatewayEvent, type LambdaHandler, lambdaContext, toHttpResult } from './local/api-gateway.js';
import { type DynamoDbLocal, startDynamoDbLocal } from './local/dynamodb-local.js';
import { type InboundSmtp, startInboundSmtp } from './local/inbound-smtp.js';
import { type Scheduler, startScheduler } from './local/scheduler.js';
import {
  functionDefinitions,
  functionTimeoutMs,
  handlerLocation,
  httpRoutes,
  projectRoot,
  scheduleRules,
  streamSubscriptions,
} from './local/service-definition.js';
import { type StreamPoller, startStreamPoller } from './local/stream-poller.js';

const MAX_REQUEST_BYTES = 10 * 1024 * 1024; // API Gateway's own payload limit

const port = Number(process.env.PORT ?? 3000);
const lambdaPort = Number(process.env.LAMBDA_PORT ?? 3002);
const sitePort = Number(process.env.SITE_PORT ?? 3001);
const inboundSmtpPort = Number(process.env.INBOUND_SMTP_PORT ?? 2525);
const host = process.env.HOST ?? '127.0.0.1';
const publicHost = host === '127.0.0.1' || host === '0.0.0.0' ? 'localhost' : host;
process.env.PUBLIC_BASE_URL ??= `http://${publicHost}:${port}`;
process.env.TABLE_NAME ??= 'prospect-scoring-local';
process.env.STAGE ??= 'local';
process.env.AUTH_MODE ??= 'local';
process.env.AWS_REGION ??= 'us-east-1';
process.env.MAIL_PROVIDER ??= 'outbox';
process.env.OUTBOX_DIR ??= join(projectRoot, 'outbox');
// Replies to the stack's emails come back through its own SMTP receiver (INBOUND_SMTP_PORT).
process.env.REPLY_DOMAIN ??= 'reply.localhost';
// A development stack applies config changes within a second or two (a rescore waits twice this long).
process.env.CONFIG_CACHE_SECONDS ??= '1';

const servers: Server[] = [];
// A promise, so that a signal arriving while DynamoDB Local is still starting stops it too.
let dynamoDbLocal: Promise<DynamoDbLocal> | undefined;
let streamPoller: StreamPoller | undefined;
let scheduler: Scheduler | undefined;
let inboundSmtp: InboundSmtp | undefined;
let stopping = false;

async function main() {
  if (!process.env.DYNAMODB_ENDPOINT) {
    dynamoDbLocal = startDynamoDbLocal(
      process.env.DYNAMODB_PORT ? { port: Number(process.env.DYNAMODB_PORT) } : {},
    );
    process.env.DYNAMODB_ENDPOINT = (await dynamoDbLocal).endpoint;
  }
  // Imported only now: lib/config.ts reads the environment once, at import.
  const { dynamo } = await import('../lib/store/client.js');
  const { ensureTable } = await import('./local/table.js');
  const { applyConfigDirectory, finishRescores } = await import('./local/apply-config.js');
  const { signLocalToken } = await import('../lib/edge/http/auth.js');
  const { streamArn } = await ensureTable(dynamo, process.env.TABLE_NAME!);
  const applied = await applyConfigDirectory(process.env.CONFIG_DIR ?? join(projectRoot, 'config/example'));
  await finishRescores();

  const handlers = new Map<string, Promise<LambdaHandler>>();
  const loadHandler = (functionName: string) => {
    if (!handlers.has(functionName)) {
      const { modulePath, exportName } = handlerLocation(functionName);
      handlers.set(
        functionName,
        import(pathToFileURL(join(projectRoot, modulePath)).href).then(
          (module) => module[exportName] as LambdaHandler,
        ),
      );
    }
    return handlers.get(functionName)!;
  };

  const routes = httpRoutes();
  servers.push(
    await listen(port, async (request, response) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const method = (request.method ?? 'GET').toUpperCase();
      const route = routes.find(
        (candidate) => candidate.method === method && candidate.pattern.test(url.pathname),
      );
      if (!route)
        return send(response, 404, { 'content-type': 'application/json' }, '{"message":"Not Found"}');
      const body = await readBody(request);
      if (body === 'too-large')
        return send(
          response,
          413,
          { 'content-type': 'application/json' },
          '{"message":"Request Entity Too Large"}',
        );
      const match = route.pattern.exec(url.pathname)!;
      const pathParameters = Object.fromEntries(
        route.parameterNames.map((name, index) => [name, decodeURIComponent(match[index + 1]!)]),
      );
      const event = apiGatewayEvent({
        method,
        url: request.url ?? '/',
        headers: request.headers,
        ...(body.length ? { body } : {}),
        routeKey: `${route.method} ${route.path}`,
        pathParameters,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      });
      try {
        const handler = await loadHandler(route.functionName);
        const result = toHttpResult(
          await handler(event, lambdaContext(route.functionName, functionTimeoutMs(route.functionName))),
        );
        const payload = result.body
          ? Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8')
          : Buffer.alloc(0);
        const headers: Record<string, string | string[]> = { ...(result.headers as Record<string, string>) };
        if (result.cookies?.length) headers['set-cookie'] = result.cookies;
        send(response, result.statusCode, headers, payload);
      } catch (error) {
        process.stderr.write(`${route.functionName} failed: ${(error as Error).stack}\n`);
        send(response, 500, { 'content-type': 'application/json' }, '{"message":"Internal Server Error"}');
      }
    }),
  );

  // The Lambda Invoke API, as serverless-offline and `sam local start-lambda` serve it.
  const invokePath = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
  servers.push(
    await listen(lambdaPort, async (request, response) => {
      const match = invokePath.exec(new URL(request.url ?? '/', 'http://localhost').pathname);
      const functionName = match ? decodeURIComponent(match[1]!).split(':').pop()! : '';
      if (request.method !== 'POST' || !match)
        return send(response, 404, { 'content-type': 'application/json' }, '{"message":"Not Found"}');
      if (!functionDefinitions()[functionName]) {
        return send(
          response,
          404,
          { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' },
          JSON.stringify({ Type: 'User', message: `Function not found: ${functionName}` }),
        );
      }
      const body = await readBody(request);
      if (body === 'too-large')
        return send(
          response,
          413,
          { 'content-type': 'application/json' },
          '{"message":"Request Entity Too Large"}',
        );
      try {
        const event = body.length ? JSON.parse(body.toString('utf8')) : {};
        const handler = await loadHandler(functionName);
        const result = await handler(event, lambdaContext(functionName, functionTimeoutMs(functionName)));
        send(
          response,
          200,
          { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' },
          JSON.stringify(result ?? null),
        );
      } catch (error) {
        const failure = error as Error;
        send(
          response,
          200,
          { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' },
          JSON.stringify({ errorType: failure.name, errorMessage: failure.message }),
        );
      }
    }),
  );

  // An example marketing site on its own origin, posting the plain HTML demo form across origins.
  const site = join(projectRoot, 'examples/site');
  servers.push(
    await listen(sitePort, async (request, response) => {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      const file = path === '/' ? 'index.html' : path.slice(1);
      if (!/^[a-z0-9-]+\.html$/.test(file))
        return send(response, 404, { 'content-type': 'text/plain' }, 'Not found');
      try {
        const page = readFileSync(join(site, file), 'utf8')
          .replaceAll('{{API_URL}}', process.env.PUBLIC_BASE_URL!)
          .replaceAll('{{RENDERED_AT}}', String(Date.now()))
          .replaceAll('{{SITE_URL}}', `http://${publicHost}:${sitePort}`);
        send(response, 200, { 'content-type': 'text/html; charset=utf-8' }, page);
      } catch {
        send(response, 404, { 'content-type': 'text/plain' }, 'Not found');
      }
    }),
  );

  const region = process.env.AWS_REGION!;
  const invokeFunction = async (functionName: string, event: unknown) =>
    (await loadHandler(functionName))(event, lambdaContext(functionName, functionTimeoutMs(functionName)));
  const subscriptions = streamSubscriptions();
  if (subscriptions.length) {
    if (!streamArn) throw new Error(`Table ${process.env.TABLE_NAME} has no stream`);
    const { DynamoDBStreamsClient } = await import('@aws-sdk/client-dynamodb-streams');
    streamPoller = startStreamPoller({
      client: new DynamoDBStreamsClient({
        region,
        endpoint: process.env.DYNAMODB_ENDPOINT!,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
      streamArn,
      region,
      subscribers: subscriptions.map((subscription) => ({
        ...subscription,
        invoke: (event) => invokeFunction(subscription.functionName, event),
      })),
    });
  }
  const rules = scheduleRules();
  if (rules.length) scheduler = startScheduler({ rules, region, invoke: invokeFunction });

  // What an SES receipt rule and captureReplies do in AWS: the same adapter, fed by SMTP instead of S3.
  const { handleInboundMessage, MAX_INBOUND_BYTES } = await import('../lib/edge/events/inbound-mail.js');
  inboundSmtp = await startInboundSmtp({
    host,
    port: inboundSmtpPort,
    maxBytes: MAX_INBOUND_BYTES,
    deliver: (raw, envelopeRecipients) => handleInboundMessage(raw, { envelopeRecipients }),
  });

  const token = signLocalToken(['prospects:read', 'prospects:write', 'admin'], { subject: 'demo' });
  process.stdout.write(
    [
      `prospect-scoring local stack ready`,
      `  API:            ${process.env.PUBLIC_BASE_URL}  (OpenAPI: ${process.env.PUBLIC_BASE_URL}/v1/openapi.json)`,
      `  Lambda invoke:  http://${publicHost}:${lambdaPort}/2015-03-31/functions/<name>/invocations`,
      `  Example site:   http://${publicHost}:${sitePort}/`,
      `  DynamoDB:       ${process.env.DYNAMODB_ENDPOINT} (table ${process.env.TABLE_NAME})`,
      `  Config applied: ${applied.map((item) => `${item.kind}/${item.id}@v${item.version}`).join(', ')}`,
      `  Stream:         ${
        subscriptions.length
          ? subscriptions.map((subscription) => subscription.functionName).join(', ')
          : '(no function has a stream event)'
      }`,
      `  Schedules:      ${
        rules.length
          ? rules.map((rule) => `${rule.functionName} ${rule.expression}`).join(', ')
          : '(no function has a schedule event)'
      }`,
      `  Inbound mail:   ${inboundSmtp.url} (replies to reply+…@${process.env.REPLY_DOMAIN})`,
      `  Mail:           ${process.env.MAIL_PROVIDER}${process.env.MAIL_PROVIDER === 'outbox' ? ` (${process.env.OUTBOX_DIR})` : ''}`,
      `  Demo token (all scopes, 12 h): ${token}`,
      '',
    ].join('\n'),
  );
}

function listen(
  listenPort: number,
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((request, response) => {
      handle(request, response).catch((error) => {
        process.stderr.write(`request failed: ${(error as Error).stack}\n`);
        if (!response.headersSent)
          send(response, 500, { 'content-type': 'application/json' }, '{"message":"Internal Server Error"}');
      });
    });
    server.once('error', reject);
    server.listen(listenPort, host, () => resolve(server));
  });
}

function readBody(request: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        resolve('too-large');
        request.resume();
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function send(
  response: ServerResponse,
  status: number,
  headers: Record<string, string | string[]>,
  body: string | Buffer,
) {
  if (response.headersSent) return;
  response.writeHead(status, headers);
  response.end(body);
}

async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`\n${signal}: stopping\n`);
  // Event sources first, so that nothing invokes a function while the servers and the database go away.
  await withTimeout(Promise.all([scheduler?.stop(), streamPoller?.stop(), inboundSmtp?.stop()]), 5000);
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    ),
  );
  await stopDynamoDbLocal();
  process.exit(0);
}

async function stopDynamoDbLocal() {
  const started = await dynamoDbLocal?.catch(() => undefined);
  await started?.stop();
}

function withTimeout(work: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));

main().catch(async (error) => {
  process.stderr.write(`local stack failed to start: ${(error as Error).stack}\n`);
  await withTimeout(Promise.all([scheduler?.stop(), streamPoller?.stop(), inboundSmtp?.stop()]), 5000);
  await stopDynamoDbLocal();
  process.exit(1);
});
