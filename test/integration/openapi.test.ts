import { describe, expect, it } from 'vitest';
import { handler as openApi } from '../../functions/open-api.js';
import { httpRoutes } from '../../scripts/local/service-definition.js';
import { invoke } from '../support/http.js';

describe('GET /v1/openapi.json', () => {
  it('describes every route serverless.yml deploys, with the function that serves it', async () => {
    const document = (await invoke(openApi, { method: 'GET', url: '/v1/openapi.json' })).json();
    expect(document.openapi).toBe('3.1.0');
    for (const route of httpRoutes()) {
      const operation = document.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      expect(operation['x-function']).toBe(route.functionName);
    }
  });

  it('documents request bodies with the schemas that validate them', async () => {
    const document = (await invoke(openApi, { method: 'GET', url: '/v1/openapi.json' })).json();
    const track = document.paths['/v1/track'].post.requestBody.content['application/json'].schema;
    expect(track.properties.event).toMatchObject({ type: 'string', minLength: 1, maxLength: 200 });
    const list = document.paths['/v1/prospects'].get.parameters;
    expect(list).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'email',
          in: 'query',
          schema: expect.objectContaining({ maxLength: 254 }),
        }),
        expect.objectContaining({
          name: 'limit',
          in: 'query',
          schema: expect.objectContaining({ minimum: 1, maximum: 200, default: 50 }),
        }),
        expect.objectContaining({
          name: 'icp',
          schema: expect.objectContaining({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
        }),
      ]),
    );
  });
});
