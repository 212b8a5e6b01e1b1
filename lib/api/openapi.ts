import * as z from 'zod';
import { MAX_FORM_BYTES } from '../capture/form-config.js';
import { formJsonBodySchema } from '../capture/form-submission.js';
import {
  batchSchema,
  identifySchema,
  MAX_BATCH_BYTES,
  MAX_EVENT_BYTES,
  pageSchema,
  trackSchema,
} from '../capture/segment.js';
import { prospectLookupQuerySchema, timelineQuerySchema } from '../prospects/prospect-schemas.js';

type JsonSchema = Record<string, unknown>;

const toSchema = (schema: z.ZodType): JsonSchema =>
  z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;

const errorSchema: JsonSchema = {
  type: 'object',
  required: ['message', 'errors'],
  properties: {
    message: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

function queryParameters(schema: z.ZodObject): JsonSchema[] {
  const json = toSchema(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: (json.required ?? []).includes(name),
    schema: property,
  }));
}

const segmentCall = (name: string, schema: z.ZodType, limit: number) => ({
  post: {
    operationId: `segment${name[0]!.toUpperCase()}${name.slice(1)}`,
    'x-function': 'captureEvents',
    summary: `Segment-compatible ${name} call`,
    description: `Authenticated by a source write key as the Basic auth user name (or \`writeKey\` in the body). Body at most ${limit / 1024} KB.`,
    security: [{ writeKey: [] }],
    requestBody: {
      required: true,
      content: {
        'application/json': { schema: toSchema(schema) },
        'text/plain': { schema: toSchema(schema) },
      },
    },
    responses: {
      '200': { description: 'Stored (replays of a messageId are accepted and ignored)' },
      '400': errorResponse(
        'Invalid event(s); in a batch the valid events were stored and `errors` names the others',
      ),
      '401': errorResponse('Missing or unknown write key'),
      '413': errorResponse('Body over the size limit'),
      '415': errorResponse('Not JSON'),
    },
  },
  options: {
    operationId: `segment${name}Preflight`,
    'x-function': 'captureEvents',
    summary: 'CORS preflight',
    responses: { '204': { description: 'Allowed' } },
  },
});

/** The OpenAPI 3.1 description of every route, generated from the zod schemas that validate the requests. */
export function buildOpenApiDocument(serverUrl: string) {
  const formBody = toSchema(formJsonBodySchema);
  return {
    openapi: '3.1.0',
    info: {
      title: 'prospect-scoring',
      version: '1',
      description:
        'Capture marketing touchpoints, score prospects against ideal-customer profiles, onboard new customers.',
    },
    servers: [{ url: serverUrl }],
    components: {
      schemas: { Error: errorSchema },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Scopes: prospects:read, prospects:write, admin',
        },
        writeKey: {
          type: 'http',
          scheme: 'basic',
          description: 'Source write key as the user name, empty password',
        },
      },
    },
    paths: {
      '/v1/forms/{formId}': {
        parameters: [{ name: 'formId', in: 'path', required: true, schema: { type: 'string' } }],
        post: {
          operationId: 'submitForm',
          'x-function': 'captureForm',
          summary: 'Submit a marketing form',
          description: `Field names are the form's own (see its config). Hidden fields: \`_hp\` honeypot, \`_ts\` render time, \`_redirect\`, \`_submission_id\`, \`anonymousId\`, \`page_url\`, \`utm_*\`. Body at most ${MAX_FORM_BYTES / 1024} KB. A browser post (Accept: text/html) gets 303 to the thank-you URL or an HTML error page.`,
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: formBody },
              'application/x-www-form-urlencoded': { schema: formBody },
              'multipart/form-data': { schema: formBody },
            },
          },
          responses: {
            '202': {
              description: 'Accepted',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['prospectId'],
                    properties: { prospectId: { type: 'string' } },
                  },
                },
              },
            },
            '303': { description: 'Plain browser post accepted: see the thank-you URL' },
            '400': errorResponse('Invalid fields, named in `errors`'),
            '403': errorResponse('Origin not allowed for this form'),
            '404': errorResponse('No such form'),
            '413': errorResponse('Body over the size limit'),
            '415': errorResponse('Unsupported Content-Type'),
          },
        },
        options: {
          operationId: 'submitFormPreflight',
          'x-function': 'captureForm',
          summary: 'CORS preflight for allowed origins',
          responses: { '204': { description: 'Allowed' }, '403': errorResponse('Origin not allowed') },
        },
      },
      '/v1/batch': segmentCall('batch', batchSchema, MAX_BATCH_BYTES),
      '/v1/track': segmentCall('track', trackSchema.partial({ type: true }), MAX_EVENT_BYTES),
      '/v1/identify': segmentCall('identify', identifySchema.partial({ type: true }), MAX_EVENT_BYTES),
      '/v1/page': segmentCall('page', pageSchema.partial({ type: true }), MAX_EVENT_BYTES),
      '/v1/prospects': {
        get: {
          operationId: 'findProspectByEmail',
          'x-function': 'getProspect',
          summary: 'Look a prospect up by email address',
          security: [{ bearer: ['prospects:read'] }],
          parameters: queryParameters(prospectLookupQuerySchema),
          responses: prospectResponses,
        },
      },
      '/v1/prospects/{id}': {
        get: {
          operationId: 'getProspect',
          'x-function': 'getProspect',
          summary: 'A prospect: profile, consent and touchpoint timeline (newest first, paged)',
          security: [{ bearer: ['prospects:read'] }],
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
            ...queryParameters(timelineQuerySchema),
          ],
          responses: prospectResponses,
        },
      },
      '/v1/openapi.json': {
        get: {
          operationId: 'openApi',
          'x-function': 'openApi',
          summary: 'This document',
          responses: { '200': { description: 'OpenAPI 3.1' } },
        },
      },
    },
  };
}

const prospectResponses = {
  '200': { description: 'The prospect; `timeline.nextCursor` pages on' },
  '400': errorResponse('Invalid query parameter or cursor'),
  '401': errorResponse('No valid token'),
  '403': errorResponse('Token lacks prospects:read'),
  '404': errorResponse('No such prospect'),
};
