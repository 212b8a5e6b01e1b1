import { recordCapture } from '../../identity/record-capture.js';
import { endEnrollmentsOnlyOf } from '../../onboarding/end-enrollments.js';
import { type UnsubscribePayload, verifyUnsubscribeToken } from '../../onboarding/unsubscribe-token.js';
import { stopMarketing } from '../../privacy/consent.js';
import { getProfile } from '../../store/profiles.js';
import { suppressAddress, suppressCategory } from '../../store/suppressions.js';
import { config } from '../../util/config.js';
import { escapeHtml } from '../../util/html.js';
import { log } from '../../util/log.js';
import { type HttpRequest, method, queryParameters, rawBody } from '../http/request.js';
import { type HttpResponse, html } from '../http/response.js';

// A mail client's one-click POST carries `List-Unsubscribe=One-Click` and nothing more.
const MAX_BODY_BYTES = 4096;
const UNSUBSCRIBE_DEDUP_SECONDS = 30 * 24 * 3600;

const WHAT = {
  transactional: 'onboarding emails',
  marketing: 'marketing emails',
  all: 'all emails',
} as const;

/**
 * GET and POST /v1/unsubscribe?token=... (RFC 8058). GET only shows a page whose button POSTs: link scanners
 * and mail previews follow GETs, so a GET must never unsubscribe. POST unsubscribes at once: no redirect, no
 * cookie, nothing asked; the signed token is the only authority.
 */
export async function handleUnsubscribe(event: HttpRequest, now = new Date()): Promise<HttpResponse> {
  const token = queryParameters(event).token ?? '';
  const payload = token.length <= 400 ? verifyUnsubscribeToken(token, config.UNSUBSCRIBE_SECRETS) : undefined;
  if (!payload)
    return page(
      400,
      'This unsubscribe link is not valid',
      '<p>The link may have been cut short by your mail program. Please use the unsubscribe link of the email again, or reply to it and ask us to stop.</p>',
    );
  const what = WHAT[payload.category ?? 'all'];
  if (method(event) !== 'POST') {
    const action = `/v1/unsubscribe?token=${encodeURIComponent(token)}`;
    return page(
      200,
      `Unsubscribe from ${what}?`,
      `<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
    );
  }
  rawBody(event, MAX_BODY_BYTES);
  await unsubscribe(payload, now);
  return page(200, 'You are unsubscribed', `<p>You will not receive ${what} from us again.</p>`);
}

/**
 * Stops the email's category of mail to the address it went to (every category for a link of before categories):
 * a marketing unsubscribe also withdraws marketing consent (the same path as the API's). Sequences with nothing
 * left but that category end; it is noted on the timeline.
 */
export async function unsubscribe(payload: UnsubscribePayload, now: Date): Promise<void> {
  const at = now.toISOString();
  const { category } = payload;
  if (category) await suppressCategory(payload.emailHash, { category, at, source: 'one-click' });
  else await suppressAddress(payload.emailHash, { reason: 'unsubscribe', at, source: 'one-click' });
  const ended =
    category === 'transactional'
      ? await endEnrollmentsOnlyOf(payload.prospectId, 'transactional', 'unsubscribed', now)
      : (await stopMarketing(payload.prospectId, 'unsubscribe', now, category ?? 'all')).enrollmentsEnded;
  const profile = await getProfile(payload.prospectId, true);
  // The timeline entry needs the address itself; the token carries only its hash.
  if (profile?.email && profile.emailHash === payload.emailHash)
    await recordCapture(
      {
        identities: { email: profile.email },
        dedup: {
          scope: 'unsubscribe',
          id: `${payload.prospectId}|${payload.emailHash}${category ? `|${category}` : ''}`,
          ttlSeconds: UNSUBSCRIBE_DEDUP_SECONDS,
        },
        touchpoint: {
          eventId: '',
          type: 'email',
          source: 'unsubscribe',
          name: 'unsubscribed',
          occurredAt: now.toISOString(),
          receivedAt: now.toISOString(),
          properties: { enrollmentsEnded: ended, category: category ?? 'all' },
        },
      },
      now,
    );
  log.info('unsubscribed', { prospectId: payload.prospectId, enrollmentsEnded: ended });
}

function page(statusCode: number, title: string, body: string): HttpResponse {
  return html(
    statusCode,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title></head><body style="font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem"><h1>${escapeHtml(title)}</h1>${body}</body></html>`,
  );
}
