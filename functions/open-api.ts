import { httpHandler } from '../lib/edge/http/handler.js';
import { json } from '../lib/edge/http/response.js';
import { buildOpenApiDocument } from '../lib/edge/openapi/openapi.js';
import { config } from '../lib/util/config.js';

const document = buildOpenApiDocument(config.PUBLIC_BASE_URL);

export const handler = httpHandler(async () =>
  json(200, document, { 'cache-control': 'public, max-age=300', 'access-control-allow-origin': '*' }),
);
