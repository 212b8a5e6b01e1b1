import type * as z from 'zod';
import { eraseProspect } from '../../privacy/erase.js';
import { requireScope } from '../http/auth.js';
import { notFound } from '../http/errors.js';
import { type HttpRequest, pathParameter } from '../http/request.js';
import { type HttpResponse, json } from '../http/response.js';
import { type erasureResponseSchema, prospectIdSchema } from './prospect-schemas.js';

/**
 * DELETE /v1/prospects/{id}: erases the person and says what was erased. Asking again answers 200 with the
 * tombstone's account and changes nothing; an id that never existed is 404.
 */
export async function handleEraseProspect(event: HttpRequest, now = new Date()): Promise<HttpResponse> {
  const principal = requireScope(event, 'admin');
  const id = prospectIdSchema.safeParse(pathParameter(event, 'id'));
  if (!id.success) throw notFound('No such prospect');
  const result = await eraseProspect(id.data, principal.subject, now);
  if (result.status === 'not-found') throw notFound('No such prospect');
  const { tombstone } = result;
  const body: z.infer<typeof erasureResponseSchema> = {
    prospectId: result.prospectId,
    status: result.status,
    erasedAt: tombstone.erasedAt,
    erased: tombstone.erased,
    kept: {
      tombstone: {
        prospectIdHash: tombstone.prospectIdHash,
        erasedAt: tombstone.erasedAt,
        erasedBy: tombstone.erasedBy,
      },
      suppression: tombstone.suppressionKept,
      note: 'Aggregate counters keep counts only and stay.',
    },
  };
  return json(200, body);
}
