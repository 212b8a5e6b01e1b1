import type { ConsentRecord } from '../model/touchpoint.js';
import { endAllEnrollments } from '../store/enrollments.js';
import { withdrawConsent } from '../store/profiles.js';

export type MarketingStopped = { consent: ConsentRecord | undefined; enrollmentsEnded: number };

/**
 * Withdrawing marketing consent, however it is asked for (the email's one-click unsubscribe, or the API): the
 * profile's consent is marked withdrawn (its proof stays) and every active sequence ends. The dispatcher's claim
 * also checks consent, so a run that read the profile before this sends nothing either.
 */
export async function stopMarketing(
  prospectId: string,
  via: NonNullable<ConsentRecord['withdrawnVia']>,
  now: Date,
): Promise<MarketingStopped> {
  const consent = await withdrawConsent(prospectId, via, now);
  const enrollmentsEnded = await endAllEnrollments(
    prospectId,
    via === 'unsubscribe' ? 'unsubscribed' : 'consent-withdrawn',
    now,
  );
  return { consent, enrollmentsEnded };
}
