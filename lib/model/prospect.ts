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
  onboardingDecision?: { sequenceId: string | null; reason: string; at: string; conversionId: string };
};
