import type { ConsentRecord } from '../model/touchpoint.js';
import { endEnrollmentsOnlyOf } from '../onboarding/end-enrollments.js';
import { withdrawConsent } from '../store/profiles.js';

export type MarketingStopped = { consent: ConsentRecord | undefined; enrollmentsEnded: number };

/**
 * Withdrawing marketing consent, however it is asked for (the email's one-click unsubscribe, or the API): the
 * profile's consent is marked withdrawn (its proof stays) and every sequence with nothing but marketing left ends;
 * transactional steps (service messages, which need no marketing consent) go on. The dispatcher's claim also
 * checks consent for a marketing step, so a run that read the profile before this sends none either.
 */
export async function stopMarketing(
  prospectId: string,
  via: NonNullable<ConsentRecord['withdrawnVia']>,
  now: Date,
  /** `all`: the person asked to stop every email (an unsubscribe link of before categories). */
  scope: 'marketing' | 'all' = 'marketing',
): Promise<MarketingStopped> {
  const consent = await withdrawConsent(prospectId, via, now);
  const enrollmentsEnded = await endEnrollmentsOnlyOf(
    prospectId,
    scope,
    via === 'unsubscribe' ? 'unsubscribed' : 'consent-withdrawn',
    now,
  );
  return { consent, enrollmentsEnded };
}
