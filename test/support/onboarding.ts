import { handler as convertProspect } from '../../functions/convert-prospect.js';
import { handler as unsubscribe } from '../../functions/unsubscribe.js';
import { signWebhook } from '../../lib/edge/http/webhook-signature.js';
import type { MailProvider } from '../../lib/mail/index.js';
import { type DispatchResult, dispatchOnboarding } from '../../lib/onboarding/dispatch.js';
import { invoke } from './http.js';
import { ctoFields, readProspect, submitForm } from './scoring.js';

/** The first secret of WEBHOOK_SECRETS as the onboarding test files set it (before lib/config.ts loads). */
export const WEBHOOK_SECRET = 'webhook-secret-current-0123456789';
export const RETIRED_WEBHOOK_SECRET = 'webhook-secret-retired-0123456789';

/** A mid-market CTO (grade A on saas-midmarket) who ticked the marketing consent box on the demo form. */
export async function customer(tag: string, extra: Record<string, unknown> = {}) {
  return submitForm({
    ...ctoFields(tag),
    consent: 'yes',
    ...extra,
  });
}

export async function convert(
  body: Record<string, unknown>,
  options: { secret?: string; at?: number; headers?: Record<string, string> } = {},
) {
  const raw = JSON.stringify(body);
  const t = Math.floor((options.at ?? Date.now()) / 1000);
  return invoke(convertProspect, {
    method: 'POST',
    url: '/v1/conversions',
    headers: {
      'content-type': 'application/json',
      'x-signature': signWebhook(raw, options.secret ?? WEBHOOK_SECRET, t),
      ...options.headers,
    },
    body: raw,
  });
}

export type OnboardingView = {
  decision: { sequenceId: string | null; reason: string; at: string } | null;
  skipped: { code: string; reason: string; at: string; sequenceId: string | null } | null;
  surveys: { sequenceId: string; stepId: string; kind: string; answer: number; comment: string | null }[];
  enrollments: {
    sequenceId: string;
    start: { kind: string; detail: string };
    status: string;
    reason: string | null;
    nextDueAt: string | null;
    steps: { stepId: string; status: string; at: string; providerMessageId?: string; reason?: string }[];
    expectations: {
      id: string;
      text: string;
      givenAt: string;
      deadline: string;
      outcome: 'open' | 'met' | 'broken' | null;
      outcomeAt: string | null;
      respondedAt?: string;
    }[];
  }[];
};

export async function onboardingOf(prospectId: string): Promise<OnboardingView> {
  const response = await readProspect(prospectId);
  if (response.statusCode !== 200) throw new Error(`getProspect: ${response.statusCode} ${response.body}`);
  return response.json().onboarding;
}

/** The prospect's enrollment in `sequenceId`, else the one its conversion started. */
export async function enrollmentOf(prospectId: string, sequenceId?: string) {
  const enrollment = (await onboardingOf(prospectId)).enrollments.find((item) =>
    sequenceId ? item.sequenceId === sequenceId : item.start.kind === 'conversion',
  );
  if (!enrollment) throw new Error(`${prospectId} has no enrollment${sequenceId ? ` in ${sequenceId}` : ''}`);
  return enrollment;
}

/** Runs the dispatcher as of `at` (its scheduled event's time), with retries waiting their longest. */
export function dispatchAt(at: Date | string, provider: MailProvider): Promise<DispatchResult> {
  return dispatchOnboarding(new Date(at), { provider, random: () => 1 });
}

/** Sends everything still due, however far off, so that a test starts with nothing due. */
export async function drainAll(provider: MailProvider): Promise<void> {
  const farAway = new Date(Date.now() + 400 * 86_400_000);
  for (let run = 0; run < 30; run++) {
    const result = await dispatchAt(farAway, provider);
    if (result.due === 0) return;
  }
  throw new Error('the dispatcher kept finding due steps');
}

export function unsubscribeRequest(method: 'GET' | 'POST', url: string, body?: string) {
  return invoke(unsubscribe, {
    method,
    url,
    headers: body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' },
    ...(body === undefined ? {} : { body }),
  });
}
