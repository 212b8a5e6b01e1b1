import { buildOpenApiDocument } from '../lib/api/openapi.js';
import { config } from '../lib/config.js';
import { httpHandler } from '../lib/http/handler.js';
import { json } from '../lib/http/response.js';

const document = buildOpenApiDocument(config.PUBLIC_BASE_URL);

export const handler = httpHandler(async () =>
  json(200, document, { 'cache-control': 'public, max-age=300', 'access-control-allow-origin': '*' }),
);
