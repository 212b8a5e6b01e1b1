import * as z from 'zod';
import { applyConfig } from '../../configuration/config-kinds.js';
import { isKnownConfigKind, type KnownConfigKind } from '../../configuration/config-schemas.js';
import { parseOrThrow } from '../../model/errors.js';
import { rescoreProgress } from '../../pipeline/rescore.js';
import { getCurrentConfig, listConfigIds, listConfigVersions } from '../../store/config-store.js';
import { requireScope } from '../http/auth.js';
import { decodeUtf8, parseJson } from '../http/body.js';
import { badRequest, notFound, unsupportedMediaType } from '../http/errors.js';
import {
  type HttpRequest,
  mediaType,
  method,
  pathParameter,
  queryParameters,
  rawBody,
} from '../http/request.js';
import { type HttpResponse, json } from '../http/response.js';

const MAX_CONFIG_BYTES = 256 * 1024;
const idSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a config id');
const versionQuerySchema = z.object({ version: z.coerce.number().int().min(1).optional() });

/** GET /v1/config/{kind}, GET and PUT /v1/config/{kind}/{id} (scope admin). Kinds are plural in paths. */
export async function handleConfigRequest(event: HttpRequest, now = new Date()): Promise<HttpResponse> {
  requireScope(event, 'admin');
  const kind = kindFromPath(pathParameter(event, 'kind'));
  const rawId = pathParameter(event, 'id');
  if (rawId === undefined) return json(200, { kind, items: await listItems(kind) });
  const id = idSchema.safeParse(rawId);
  if (!id.success) throw notFound(`No ${kind} ${rawId}`);
  if (method(event) === 'PUT') return putDocument(event, kind, id.data, now);
  return json(
    200,
    await readDocument(kind, id.data, parseOrThrow(versionQuerySchema, queryParameters(event), 'query')),
  );
}

function kindFromPath(plural: string | undefined): KnownConfigKind {
  const kind = (plural ?? '').replace(/s$/, '');
  if (!isKnownConfigKind(kind)) throw notFound(`No configuration kind ${plural}`);
  return kind;
}

async function listItems(kind: KnownConfigKind) {
  const items = await listConfigIds(kind);
  if (kind !== 'icp') return items;
  return Promise.all(
    items.map(async (item) => ({ ...item, scoring: (await rescoreProgress(item.id)) ?? null })),
  );
}

async function readDocument(kind: KnownConfigKind, id: string, query: { version?: number | undefined }) {
  const versions = await listConfigVersions<unknown>(kind, id);
  const current = query.version
    ? versions.find((item) => item.version === query.version)
    : await getCurrentConfig<unknown>(kind, id);
  if (!current) throw notFound(`No ${kind} ${id}${query.version ? ` version ${query.version}` : ''}`);
  return {
    kind,
    id,
    version: current.version,
    updatedAt: current.updatedAt,
    document: redact(kind, current.document),
    versions: versions.map((item) => ({ version: item.version, updatedAt: item.updatedAt })),
    ...(kind === 'icp' ? { scoring: (await rescoreProgress(id)) ?? null } : {}),
  };
}

async function putDocument(event: HttpRequest, kind: KnownConfigKind, id: string, now: Date) {
  const bytes = rawBody(event, MAX_CONFIG_BYTES);
  if (mediaType(event) !== 'application/json') throw unsupportedMediaType(['application/json']);
  const body = parseJson(decodeUtf8(bytes));
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw badRequest([{ field: 'body', message: 'must be a JSON object' }]);
  const document = { ...(body as Record<string, unknown>) };
  if (document.id !== undefined && document.id !== id)
    throw badRequest([{ field: 'id', message: `must be "${id}", as in the path, or absent` }]);
  document.id = id;
  const before = await getCurrentConfig<unknown>(kind, id);
  const stored = await applyConfig(kind, document, now);
  const changed = stored.version !== before?.version;
  return json(before ? 200 : 201, {
    kind,
    id,
    version: stored.version,
    changed,
    ...(kind === 'icp' ? { scoring: (await rescoreProgress(id)) ?? null } : {}),
  });
}

/** Write keys are secrets: an admin reading a source sees only enough to tell them apart. */
function redact(kind: KnownConfigKind, document: unknown): unknown {
  if (kind !== 'source') return document;
  const source = document as { writeKeys?: string[] };
  return { ...source, writeKeys: (source.writeKeys ?? []).map((key) => `…${key.slice(-4)}`) };
}
