/**
 * SES events (bounce, complaint, delivery, open, click), as SNS delivers them (the SES notification as JSON
 * text in `Records[].Sns.Message`) or as EventBridge does (the same notification as `detail`, source
 * aws.ses). Permanent bounces and complaints suppress the address for good and end its sequences; every
 * event of a known address becomes an `email` touchpoint, once (SNS and EventBridge both redeliver).
 */
import * as z from 'zod';
import { emailHash } from '../identity/identity.js';
import { recordCapture } from '../identity/record-capture.js';
import { getAlias } from '../store/aliases.js';
import { endAllEnrollments } from '../store/enrollments.js';
import { type Suppression, suppressAddress } from '../store/suppressions.js';
import { log } from '../util/log.js';
import { isEmailAddress } from '../util/text.js';

const EVENT_DEDUP_SECONDS = 7 * 24 * 3600;

const timestamp = z.iso.datetime({ offset: true });
const recipient = z.object({ emailAddress: z.string().max(320) });

const notificationSchema = z.object({
  eventType: z.string().max(50).optional(),
  notificationType: z.string().max(50).optional(),
  mail: z.object({
    messageId: z.string().min(1).max(200),
    timestamp,
    destination: z.array(z.string().max(320)).max(50).default([]),
    tags: z.record(z.string(), z.array(z.string())).optional(),
  }),
  bounce: z
    .object({
      bounceType: z.string(),
      bounceSubType: z.string().optional(),
      bouncedRecipients: z.array(recipient).max(50),
      timestamp,
    })
    .optional(),
  complaint: z
    .object({
      complainedRecipients: z.array(recipient).max(50),
      complaintFeedbackType: z.string().optional(),
      timestamp,
    })
    .optional(),
  delivery: z.object({ recipients: z.array(z.string().max(320)).max(50), timestamp }).optional(),
  open: z.object({ timestamp }).optional(),
  click: z.object({ timestamp, link: z.string().max(2000).optional() }).optional(),
});
type Notification = z.infer<typeof notificationSchema>;

export type MailEventsResult = { events: number; suppressed: number; touchpoints: number; ignored: number };

export async function handleMailEvents(event: unknown, now = new Date()): Promise<MailEventsResult> {
  const result: MailEventsResult = { events: 0, suppressed: 0, touchpoints: 0, ignored: 0 };
  for (const raw of notificationsOf(event)) {
    result.events++;
    const parsed = notificationSchema.safeParse(raw);
    if (!parsed.success) {
      // A shape we do not know will not parse on a redelivery either: retrying it only delays the rest.
      result.ignored++;
      log.warn('mail event not understood', {
        fields: parsed.error.issues.map((issue) => issue.path.join('.')),
      });
      continue;
    }
    await handleNotification(parsed.data, now, result);
  }
  return result;
}

function notificationsOf(event: unknown): unknown[] {
  const value = event as {
    Records?: { Sns?: { Message?: string } }[];
    source?: string;
    detail?: unknown;
  };
  if (Array.isArray(value?.Records))
    return value.Records.map((record) => {
      try {
        return JSON.parse(record.Sns?.Message ?? '');
      } catch {
        return undefined;
      }
    });
  if (value?.source === 'aws.ses' && value.detail) return [value.detail];
  return [event];
}

async function handleNotification(notification: Notification, now: Date, result: MailEventsResult) {
  const type = (notification.eventType ?? notification.notificationType ?? '').toLowerCase();
  const { mail } = notification;
  const context = {
    messageId: mail.messageId,
    sequenceId: mail.tags?.sequenceId?.[0],
    stepId: mail.tags?.stepId?.[0],
  };
  let addresses: string[] = [];
  let name: string;
  let occurredAt: string;
  let suppress: Suppression['reason'] | undefined;
  const extra: Record<string, unknown> = {};
  if (type === 'bounce' && notification.bounce) {
    addresses = notification.bounce.bouncedRecipients.map((item) => item.emailAddress);
    occurredAt = notification.bounce.timestamp;
    // Transient bounces (mailbox full, out of office) pass; only a permanent one says the address is dead.
    if (notification.bounce.bounceType === 'Permanent') suppress = 'bounce';
    name = 'bounced';
    extra.bounceType = notification.bounce.bounceType;
    if (notification.bounce.bounceSubType) extra.bounceSubType = notification.bounce.bounceSubType;
  } else if (type === 'complaint' && notification.complaint) {
    addresses = notification.complaint.complainedRecipients.map((item) => item.emailAddress);
    occurredAt = notification.complaint.timestamp;
    suppress = 'complaint';
    name = 'complained';
  } else if (type === 'delivery' && notification.delivery) {
    addresses = notification.delivery.recipients;
    occurredAt = notification.delivery.timestamp;
    name = 'delivered';
  } else if (type === 'open' && notification.open) {
    addresses = mail.destination;
    occurredAt = notification.open.timestamp;
    name = 'opened';
  } else if (type === 'click' && notification.click) {
    addresses = mail.destination;
    occurredAt = notification.click.timestamp;
    name = 'clicked';
    // Where, not the query string: links may carry tokens (the unsubscribe link does).
    const link = safeLink(notification.click.link);
    if (link) extra.link = link;
  } else {
    result.ignored++;
    return;
  }
  for (const address of addresses.map(bareAddress)) {
    if (!address) continue;
    const hash = emailHash(address);
    if (suppress) {
      if (await suppressAddress(hash, { reason: suppress, at: occurredAt, source: `ses:${mail.messageId}` }))
        result.suppressed++;
    }
    const prospectId = await getAlias({ kind: 'email', value: hash });
    if (!prospectId) continue;
    if (suppress)
      await endAllEnrollments(prospectId, `address ${suppress === 'bounce' ? 'bounced' : 'complained'}`, now);
    const recorded = await recordCapture(
      {
        identities: { email: address },
        dedup: {
          scope: 'ses',
          id: `${mail.messageId}|${name}|${hash}|${occurredAt}`,
          ttlSeconds: EVENT_DEDUP_SECONDS,
        },
        touchpoint: {
          eventId: '',
          type: 'email',
          source: 'ses',
          name,
          occurredAt: new Date(occurredAt).toISOString(),
          receivedAt: now.toISOString(),
          properties: {
            ...Object.fromEntries(Object.entries(context).filter(([, value]) => value)),
            ...extra,
          },
        },
      },
      now,
    );
    if (!recorded.duplicate) result.touchpoints++;
  }
}

/** `"Ada" <ada@example.com>` or `ada@example.com` → the bare address, or undefined. */
function bareAddress(value: string): string | undefined {
  const match = /<([^<>]+)>\s*$/.exec(value);
  const address = (match ? match[1]! : value).trim();
  return isEmailAddress(address) ? address : undefined;
}

function safeLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  try {
    const url = new URL(link);
    return `${url.origin}${url.pathname}`;
  } catch {
    return undefined;
  }
}
