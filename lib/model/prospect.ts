import type { ConsentRecord } from './touchpoint.js';
import type { Traits } from './traits.js';

/** A prospect is known by a userId (its owner's stable id), an email (as a keyed hash) or a browser's anonymousId. */
export type IdentityKind = 'email' | 'user' | 'anon';

export type IdentityRef = { kind: IdentityKind; value: string };

export type ProspectProfile = Traits & {
  prospectId: string;
  createdAt: string;
  updatedAt: string;
  lastReceivedAt?: string;
  known?: boolean;
  emailHash?: string;
  userId?: string;
  anonymousIds?: Set<string>;
  /** The latest consent given; each consent's full proof is the form touchpoint that carried it. */
  consent?: ConsentRecord;
  mergedInto?: string;
  mergeCompletedAt?: string;
  /** Set when an erasure begins: every writer's condition refuses an erasing profile, so nothing new lands. */
  erasingAt?: string;
  erasingBy?: string;
  /** Set by a conversion; absent means visitor or prospect (by `known`). */
  lifecycle?: 'customer';
  customerAt?: string;
  plan?: string;
  /** The onboarding sequence chosen at conversion (null: none matched), why, and when; decided once. */
  onboardingDecision?: {
    sequenceId: string | null;
    reason: string;
    at: string;
    conversionId: string;
    /** The groups the new customer was counted in (grade per served ICP, segments): a later skip counts there. */
    groups?: { grades: Record<string, string>; segments: string[] };
  };
  /** Set once when a new customer got no onboarding email at all: why, so that it is never silent. */
  onboardingSkipped?: OnboardingSkip;
  /** The last survey we sent (claimed): at most one every SURVEY_MIN_DAYS_BETWEEN days, across sequences. */
  lastSurvey?: { at: string; sequenceId: string; stepId: string };
};

/** Why a new customer got no onboarding email: a code for counting and the words for reading. */
export type OnboardingSkip = {
  code: OnboardingSkipCode;
  reason: string;
  at: string;
  sequenceId: string | null;
};

export const ONBOARDING_SKIP_CODES = [
  'no-sequence',
  'no-marketing-consent',
  'unsubscribed',
  'suppressed',
  'no-email',
  'send-failed',
  'other',
] as const;
export type OnboardingSkipCode = (typeof ONBOARDING_SKIP_CODES)[number];
