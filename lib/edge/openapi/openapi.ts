import * as z from 'zod';
import { MAX_FORM_BYTES } from '../../capture/form-config.js';
import { formJsonBodySchema } from '../../capture/form-submission.js';
import {
  batchSchema,
  identifySchema,
  MAX_BATCH_BYTES,
  MAX_EVENT_BYTES,
  pageSchema,
  trackSchema,
} from '../../capture/segment.js';
import { configSchemas } from '../../configuration/config-schemas.js';
import { experienceQuerySchema, MAX_REPORT_DAYS } from '../experience/report-schemas.js';
import { conversionBodySchema, MAX_CONVERSION_BYTES } from '../onboarding/conversion-schemas.js';
import {
  MAX_SURVEY_BODY_BYTES,
  surveyAnswerBodySchema,
  surveyQuerySchema,
} from '../onboarding/survey-schemas.js';
import { unsubscribeQuerySchema } from '../onboarding/unsubscribe-schemas.js';
import {
  activityBodySchema,
  consentBodySchema,
  erasureResponseSchema,
  prospectLookupQuerySchema,
  rankedListQuerySchema,
  timelineQuerySchema,
} from '../prospects/prospect-schemas.js';

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
        webhookSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Signature',
          description:
            't=<unix seconds>,v1=<hex HMAC-SHA256 of "t.rawBody"> with a WEBHOOK_SECRETS secret; 300 s tolerance',
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
          operationId: 'listProspects',
          'x-function': 'listProspects',
          summary: 'Ranked prospects of an ICP (?icp=), best first; or one prospect by email (?email=)',
          description:
            'With `icp`: grade A before B before C before D, within a grade by engagement decayed to the time of the request. One Query per shard per page; `nextCursor` (signed, valid 30 minutes) continues the same walk, which reads the ranking as of its first page, so each prospect appears exactly once. `Accept: text/csv` or `format=csv` returns every page as CSV (formula-safe). With `email` (and no `icp`): the same answer as GET /v1/prospects/{id}.',
          security: [{ bearer: ['prospects:read'] }],
          parameters: [
            ...queryParameters(rankedListQuerySchema).map((parameter) => ({ ...parameter, required: false })),
            {
              name: 'email',
              in: 'query',
              required: false,
              schema: queryParameters(prospectLookupQuerySchema).find(
                (parameter) => parameter.name === 'email',
              )?.schema,
            },
          ],
          responses: {
            '200': {
              description: 'A page of ranked prospects (`items`, `nextCursor` unless last), or CSV',
              content: { 'application/json': {}, 'text/csv': {} },
            },
            '400': errorResponse('Invalid query parameter, or a forged, expired or foreign cursor'),
            '401': errorResponse('No valid token'),
            '403': errorResponse('Token lacks prospects:read'),
            '404': errorResponse('No such ICP, or no prospect with that email'),
          },
        },
      },
      '/v1/prospects/{id}/touchpoints': {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        post: {
          operationId: 'logActivity',
          'x-function': 'logActivity',
          summary: 'Log a sales activity (call, meeting, email reply, note) as a touchpoint',
          security: [{ bearer: ['prospects:write'] }],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: toSchema(activityBodySchema) } },
          },
          responses: {
            '202': { description: 'Recorded' },
            '200': { description: 'Already recorded (same activityId)' },
            '400': errorResponse('Invalid field, named in `errors`'),
            '401': errorResponse('No valid token'),
            '403': errorResponse('Token lacks prospects:write'),
            '404': errorResponse('No such prospect'),
            '409': errorResponse('The prospect is an anonymous visitor'),
          },
        },
      },
      '/v1/config/{kind}': {
        parameters: [configKindParameter],
        get: {
          operationId: 'listConfig',
          'x-function': 'manageConfig',
          summary: 'Ids and current versions of every document of a kind (ICPs with rescore progress)',
          security: [{ bearer: ['admin'] }],
          responses: adminResponses,
        },
      },
      '/v1/config/{kind}/{id}': {
        parameters: [
          configKindParameter,
          { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
        ],
        get: {
          operationId: 'getConfig',
          'x-function': 'manageConfig',
          summary:
            'The current (or `?version=n`) document, its version history, and for an ICP the rescore progress',
          security: [{ bearer: ['admin'] }],
          responses: adminResponses,
        },
        put: {
          operationId: 'putConfig',
          'x-function': 'manageConfig',
          summary:
            'Store a new version (unchanged documents keep theirs); a new ICP version rescores in the background',
          security: [{ bearer: ['admin'] }],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  oneOf: Object.values(configSchemas).map((schema) => toSchema(schema as z.ZodType)),
                },
              },
            },
          },
          responses: { ...adminResponses, '201': { description: 'Created (version 1)' } },
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
        delete: {
          operationId: 'eraseProspect',
          'x-function': 'eraseProspect',
          summary:
            'Erase a person everywhere (GDPR Art. 17), keeping a tombstone and, if they objected, the suppression',
          description:
            'Erases the profile, touchpoints, identity aliases, scores, ranking entries, enrollments, send records, dedup markers and merged-away visitor stubs; keeps a tombstone (keyed hash of the id, time, who asked, counts) and the suppression of the address if they unsubscribed or complained. No step is sent once the erasure has begun. Asking again answers 200 with `status: already-erased` and changes nothing. A later consented form submission creates a new prospect.',
          security: [{ bearer: ['admin'] }],
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': {
              description: 'What was erased and what was kept',
              content: { 'application/json': { schema: toSchema(erasureResponseSchema) } },
            },
            '401': errorResponse('No valid token'),
            '403': errorResponse('Token lacks admin'),
            '404': errorResponse('No such prospect, and no erasure of that id on record'),
          },
        },
      },
      '/v1/prospects/{id}/consent': {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        post: {
          operationId: 'withdrawConsent',
          'x-function': 'manageConsent',
          summary:
            'Withdraw marketing consent: the proof stays with `withdrawnAt`, every onboarding sequence ends',
          description:
            'Only `{"marketing": false}`: consent is given on a form, which records its proof (form, version, text, time); a later consenting submission replaces the withdrawn record. Withdrawing again changes nothing.',
          security: [{ bearer: ['prospects:write'] }],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: toSchema(consentBodySchema) } },
          },
          responses: {
            '200': { description: '`{ prospectId, consent, enrollmentsEnded }`' },
            '400': errorResponse('Invalid field (`marketing`), named in `errors`'),
            '401': errorResponse('No valid token'),
            '403': errorResponse('Token lacks prospects:write'),
            '404': errorResponse('No such prospect'),
            '415': errorResponse('Not JSON'),
          },
        },
      },
      '/v1/conversions': {
        post: {
          operationId: 'convertProspect',
          'x-function': 'convertProspect',
          summary: 'A prospect became a customer: record it, choose and enroll their onboarding sequence',
          description: `Signed with X-Signature (in AWS the only way: the route has no JWT authorizer), or locally a bearer token with prospects:write. Optional \`Idempotency-Key\` header; without it a replay is recognised by email, occurredAt and plan. A prospect is onboarded at most once: a replayed or later conversion answers with the first decision. Body at most ${MAX_CONVERSION_BYTES / 1024} KB.`,
          security: [{ webhookSignature: [] }, { bearer: ['prospects:write'] }],
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              schema: { type: 'string', minLength: 1, maxLength: 200 },
            },
          ],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: toSchema(conversionBodySchema) } },
          },
          responses: {
            '202': {
              description:
                'Recorded; `sequenceId` is null when no sequence matches (the reason is on the prospect)',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['prospectId', 'sequenceId'],
                    properties: {
                      prospectId: { type: 'string' },
                      sequenceId: { type: ['string', 'null'] },
                    },
                  },
                },
              },
            },
            '400': errorResponse('Invalid field, named in `errors`'),
            '401': errorResponse('Missing, malformed, expired or wrong signature (or token)'),
            '403': errorResponse('Token lacks prospects:write'),
            '413': errorResponse('Body over the size limit'),
            '415': errorResponse('Not JSON'),
          },
        },
      },
      '/v1/unsubscribe': {
        parameters: queryParameters(unsubscribeQuerySchema),
        get: {
          operationId: 'unsubscribePage',
          'x-function': 'unsubscribe',
          summary: 'A confirmation page whose button POSTs; never unsubscribes by itself',
          responses: {
            '200': { description: 'HTML page with a form', content: { 'text/html': {} } },
            '400': { description: 'HTML page: the token is not valid', content: { 'text/html': {} } },
          },
        },
        post: {
          operationId: 'unsubscribe',
          'x-function': 'unsubscribe',
          summary: "One-click unsubscribe (RFC 8058) from the email's category (transactional or marketing)",
          description:
            'Body `List-Unsubscribe=One-Click` (as mail clients send it) or empty. Stops that category of mail to the address (a marketing unsubscribe also withdraws marketing consent) and ends the sequences with nothing else left to send; a link of before categories (`v1.`) stops every email. No redirect, no cookie; the signed token is the only authority.',
          requestBody: {
            required: false,
            content: {
              'application/x-www-form-urlencoded': {
                schema: { type: 'object', properties: { 'List-Unsubscribe': { const: 'One-Click' } } },
              },
            },
          },
          responses: {
            '200': { description: 'HTML page: unsubscribed', content: { 'text/html': {} } },
            '400': { description: 'HTML page: the token is not valid', content: { 'text/html': {} } },
            '413': errorResponse('Body over 4 KB'),
          },
        },
      },
      '/v1/survey': {
        parameters: queryParameters(surveyQuerySchema),
        get: {
          operationId: 'surveyAnswerPage',
          'x-function': 'answerSurvey',
          summary:
            "The answer page of a survey link: the link's answer selected, a comment box; records nothing",
          description:
            'Mail scanners and previews follow links, so a GET never records. The token is signed and bound to the person, the survey sent (sequence and step) and its kind; it expires SURVEY_LINK_DAYS after the send.',
          responses: {
            '200': { description: 'HTML page with a form that POSTs', content: { 'text/html': {} } },
            '400': {
              description: 'HTML page: the token is not valid (malformed or forged)',
              content: { 'text/html': {} },
            },
            '404': {
              description: 'HTML page: no such survey was sent to this person',
              content: { 'text/html': {} },
            },
            '410': { description: 'HTML page: the link has expired', content: { 'text/html': {} } },
          },
        },
        post: {
          operationId: 'answerSurvey',
          'x-function': 'answerSurvey',
          summary:
            'Records the answer as a `survey` touchpoint, once per survey sent (again: replaced, counted once)',
          description: `Body at most ${MAX_SURVEY_BODY_BYTES / 1024} KB, urlencoded (the answer page) or JSON. A second answer to the same survey replaces the answer and the comment; scores and the experience report count the survey once, with the last answer.`,
          requestBody: {
            required: false,
            content: {
              'application/x-www-form-urlencoded': { schema: toSchema(surveyAnswerBodySchema) },
              'application/json': { schema: toSchema(surveyAnswerBodySchema) },
            },
          },
          responses: {
            '200': { description: 'HTML page: recorded (or replaced)', content: { 'text/html': {} } },
            '400': {
              description: 'HTML page: the token is not valid, or the answer is off the scale',
              content: { 'text/html': {} },
            },
            '404': {
              description: 'HTML page: no such survey was sent to this person',
              content: { 'text/html': {} },
            },
            '410': { description: 'HTML page: the link has expired', content: { 'text/html': {} } },
            '413': errorResponse(`Body over ${MAX_SURVEY_BODY_BYTES / 1024} KB`),
          },
        },
      },
      '/v1/experience': {
        get: {
          operationId: 'experienceReport',
          'x-function': 'experienceReport',
          summary: 'Prospect-experience figures of an ICP per grade, segment, form or onboarding sequence',
          description: `Per group, over whole UTC days \`from\` to \`to\` (at most ${MAX_REPORT_DAYS}): prospects and customers counted, NPS and mean CSAT of prospects and of customers apart, median and 90th-percentile seconds from the first form submission to the first sales activity, conversion from qualified to customer (cohort of the day they qualified), form friction (failed submissions per successful one, per form and per field; \`groupBy=form\`) and expectations met and broken (\`groupBy=sequence\`). Read from counters kept on the stream: one Query per group, whatever the number of prospects. \`Accept: text/csv\` or \`format=csv\` returns one row per group.`,
          security: [{ bearer: ['prospects:read'] }],
          parameters: queryParameters(experienceQuerySchema),
          responses: {
            '200': {
              description: '`{ icp, groupBy, from, to, groups: [...] }`, or CSV',
              content: { 'application/json': {}, 'text/csv': {} },
            },
            '400': errorResponse('Invalid query parameter, or a range longer than allowed'),
            '401': errorResponse('No valid token'),
            '403': errorResponse('Token lacks prospects:read'),
            '404': errorResponse('No such ICP'),
          },
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

const configKindParameter = {
  name: 'kind',
  in: 'path',
  required: true,
  schema: { type: 'string', enum: Object.keys(configSchemas).map((kind) => `${kind}s`) },
};

const adminResponses = {
  '200': { description: 'OK' },
  '400': errorResponse('Invalid document, each bad field named in `errors`'),
  '401': errorResponse('No valid token'),
  '403': errorResponse('Token lacks admin'),
  '404': errorResponse('No such kind or document'),
};

const prospectResponses = {
  '200': { description: 'The prospect; `timeline.nextCursor` pages on' },
  '400': errorResponse('Invalid query parameter or cursor'),
  '401': errorResponse('No valid token'),
  '403': errorResponse('Token lacks prospects:read'),
  '404': errorResponse('No such prospect'),
};
