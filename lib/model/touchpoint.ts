import type { Traits } from './traits.js';

export type TouchpointType =
  | 'form'
  | 'track'
  | 'identify'
  | 'page'
  | 'screen'
  | 'group'
  | 'alias'
  | 'activity'
  | 'qualified'
  | 'unqualified'
  /** A CRM or billing system says this prospect became a customer (POST /v1/conversions). */
  | 'conversion'
  /** What happened to an onboarding email: delivered, opened, clicked, bounced, complained, unsubscribed. */
  | 'email'
  /** Marketing consent withdrawn through the API (POST /v1/prospects/{id}/consent); giving it is a form. */
  | 'consent'
  /** The answer to a survey step of a sequence (POST /v1/survey): one per survey sent, replaced in place. */
  | 'survey'
  /** The person replied to one of our emails (the signed Reply-To address): engagement, never a sales response. */
  | 'email-reply';

export type ConsentRecord = {
  formId: string;
  version: string;
  text: string;
  givenAt: string;
  marketing: boolean;
  /** Set when marketing consent is withdrawn; the proof above stays, a later consenting form replaces it all. */
  withdrawnAt?: string;
  /** How: `unsubscribe` (the email's one-click link) or `api` (POST /v1/prospects/{id}/consent). */
  withdrawnVia?: 'unsubscribe' | 'api';
};

export type Identities = { email?: string; userId?: string; anonymousId?: string };

/** One thing a person did, as stored: everything a scorer or a timeline needs, nothing that needs parsing again. */
export type Touchpoint = {
  eventId: string;
  type: TouchpointType;
  /** `form:<formId>` or `source:<sourceId>` */
  source: string;
  /** Event name, page name or form id. */
  name?: string;
  occurredAt: string;
  receivedAt: string;
  properties: Record<string, unknown>;
  propertiesTruncated?: boolean;
  /** A survey answer's revision: 1 when first given, one more each time the person changes it. */
  revision?: number;
  traits?: Traits;
  consent?: ConsentRecord;
  page?: { url?: string; path?: string; referrer?: string; title?: string };
  utm?: Record<string, string>;
};

/** What a capture path hands to the store: who (identities), what (touchpoint), and how to dedupe it. */
export type Capture = {
  identities: Identities;
  touchpoint: Touchpoint;
  /** Scope and id of the at-most-once marker, e.g. (`src:<sourceId>`, messageId). */
  dedup: { scope: string; id: string; ttlSeconds: number };
};

/** Activities that are a sales rep reaching the prospect; a note is internal, so it answers nobody. */
const SALES_TOUCHES = new Set(['call', 'meeting', 'email-reply']);

/** Whether a touchpoint is a sales rep reaching the prospect: what a first response is. */
export function isSalesResponse(touchpoint: Pick<Touchpoint, 'type' | 'name'>): boolean {
  return touchpoint.type === 'activity' && SALES_TOUCHES.has(touchpoint.name ?? '');
}
