import type { z } from 'zod';
import { currentProfile } from '../../identity/current-profile.js';
import { emailHash } from '../../identity/identity.js';
import { parseOrThrow } from '../../model/errors.js';
import type { ProspectProfile } from '../../model/prospect.js';
import { presentOnboarding } from '../../onboarding/onboarding-view.js';
import { presentScore, type ScoreView } from '../../scoring/score-record.js';
import { loadIcpVersion } from '../../scoring/scoring-config.js';
import { getAlias } from '../../store/aliases.js';
import { listEnrollments } from '../../store/enrollments.js';
import { readProspectScores, type StoredScore } from '../../store/scores.js';
import { getScoringState, type ScoringState } from '../../store/scoring-state.js';
import { queryTimeline } from '../../store/touchpoints.js';
import { requireScope } from '../http/auth.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import { notFound } from '../http/errors.js';
import { type HttpRequest, pathParameter, queryParameters } from '../http/request.js';
import { type HttpResponse, json } from '../http/response.js';
import { prospectIdSchema, prospectLookupQuerySchema, timelineQuerySchema } from './prospect-schemas.js';

/** GET /v1/prospects/{id} and GET /v1/prospects?email= */
export async function handleGetProspect(event: HttpRequest, now = new Date()): Promise<HttpResponse> {
  requireScope(event, 'prospects:read');
  const id = pathParameter(event, 'id');
  const query = queryParameters(event);
  let prospectId: string | undefined;
  let paging: z.infer<typeof timelineQuerySchema>;
  if (id !== undefined) {
    const parsedId = prospectIdSchema.safeParse(id);
    if (!parsedId.success) throw notFound('No such prospect');
    paging = parseOrThrow(timelineQuerySchema, query, 'query');
    prospectId = parsedId.data;
  } else {
    const lookup = parseOrThrow(prospectLookupQuerySchema, query, 'query');
    paging = lookup;
    prospectId = await getAlias({ kind: 'email', value: emailHash(lookup.email) });
    if (!prospectId) throw notFound('No prospect has that email address');
  }
  const profile = await currentProfile(prospectId);
  const resolvedId = profile.prospectId;

  const startKey = paging.cursor ? decodeCursor(paging.cursor, `timeline:${resolvedId}`) : undefined;
  // One read of the score items (and the expectations beside them) serves both sections; nothing waits for another.
  const [page, stored, scoring, onboarding] = await Promise.all([
    queryTimeline(resolvedId, { limit: paging.limit, ...(startKey ? { startKey } : {}) }),
    readProspectScores(resolvedId),
    getScoringState(),
    listEnrollments(resolvedId),
  ]);
  return json(200, {
    ...presentProfile(profile),
    ...(resolvedId !== prospectId ? { mergedFrom: prospectId } : {}),
    scores: await presentScores(stored.scores, scoring, now),
    onboarding: presentOnboarding(profile, onboarding, stored.expectations, stored.responses),
    timeline: {
      items: page.items.map(({ prospectId: _id, ...touchpoint }) => touchpoint),
      ...(page.lastKey ? { nextCursor: encodeCursor(page.lastKey, `timeline:${resolvedId}`) } : {}),
    },
  });
}

export function presentProfile(profile: ProspectProfile) {
  const { prospectId, createdAt, updatedAt, lastReceivedAt, known, consent, userId, anonymousIds } = profile;
  const traits = {
    email: profile.email,
    firstName: profile.firstName,
    lastName: profile.lastName,
    name: profile.name,
    company: profile.company,
    domain: profile.domain,
    title: profile.title,
    phone: profile.phone,
    employees: profile.employees,
    industry: profile.industry,
    country: profile.country,
    timezone: profile.timezone,
    website: profile.website,
  };
  return {
    prospectId,
    lifecycle: profile.lifecycle ?? (known ? 'prospect' : 'visitor'),
    ...(profile.lifecycle === 'customer'
      ? { customerAt: profile.customerAt ?? null, plan: profile.plan ?? null }
      : {}),
    traits: Object.fromEntries(Object.entries(traits).filter(([, value]) => value !== undefined)),
    consent: consent ?? null,
    identities: { userId: userId ?? null, anonymousIds: [...(anonymousIds ?? [])].sort() },
    createdAt,
    updatedAt,
    lastReceivedAt: lastReceivedAt ?? null,
  };
}

/** Per ICP, the served version's score: grade, fit, engagement decayed to now, and why. */
async function presentScores(scores: StoredScore[], state: ScoringState, now: Date): Promise<ScoreView[]> {
  const views: ScoreView[] = [];
  for (const [icpId, versions] of Object.entries(state.icps)) {
    const score = scores.find((item) => item.icpId === icpId && item.version === versions.serving);
    if (!score) continue;
    views.push(presentScore(score, await loadIcpVersion(icpId, score.version), now));
  }
  return views;
}
