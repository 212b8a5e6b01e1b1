/**
 * A reply to one of our emails, received (the SES receipt rule's S3 object in AWS, the local SMTP receiver on
 * `npm start`): an `email-reply` touchpoint on the person its signed Reply-To address names, once per message.
 * It is engagement (ICP rules may score `email-reply`) and, for a pre-sale sequence, the person's response: the
 * sequence stops at its next step (`exitOn.replied`). It is never a sales response: the person wrote, not us.
 *
 * A reply whose address does not verify (forged, another deployment's, mangled) or names no send of that person is
 * not attributed to anyone.
 */
import { followMerges, recordCapture } from '../identity/record-capture.js';
import { listEnrollments } from '../store/enrollments.js';
import { getProfile } from '../store/profiles.js';
import { config } from '../util/config.js';
import { cleanLine, cleanText, normaliseEmail } from '../util/text.js';
import { loadSequenceVersion } from './onboarding-config.js';
import { sendRef, verifyReplyAddress } from './reply-address.js';

const REPLY_DEDUP_SECONDS = 30 * 24 * 3600;
const EXCERPT_LENGTH = 1000;

/** What the receiving adapters make of a raw message: only what attribution and the timeline need. */
export type InboundReply = {
  /** Every address it was sent to: the envelope's, To, Cc, Delivered-To. */
  recipients: readonly string[];
  from: string | undefined;
  subject: string | undefined;
  text: string | undefined;
  /** The Message-ID, else a hash of the raw message: the same message received twice is one reply. */
  dedupId: string;
};

export type ReplyOutcome =
  | { status: 'recorded' | 'duplicate'; prospectId: string; sequenceId: string }
  | { status: 'unattributed' };

export async function captureReply(reply: InboundReply, now: Date): Promise<ReplyOutcome> {
  const domain = config.REPLY_DOMAIN;
  if (!domain) return { status: 'unattributed' };
  for (const recipient of reply.recipients) {
    const token = verifyReplyAddress(recipient, domain, config.REPLY_SECRETS);
    if (!token) continue;
    const send = await sendOf(token.prospectId, token.sendRef);
    if (!send) continue;
    const prospectId = await followMerges(token.prospectId, now);
    const profile = await getProfile(prospectId, true);
    if (!profile?.email || profile.erasingAt) continue;
    const fromProspect =
      reply.from !== undefined && normaliseEmail(reply.from) === normaliseEmail(profile.email);
    const recorded = await recordCapture(
      {
        identities: profile.userId ? { userId: profile.userId } : { email: profile.email },
        dedup: { scope: 'reply', id: reply.dedupId, ttlSeconds: REPLY_DEDUP_SECONDS },
        touchpoint: {
          eventId: '',
          type: 'email-reply',
          source: 'inbound-mail',
          // The sequence replied to: what a sequence's exit on reply looks for.
          name: send.sequenceId,
          occurredAt: now.toISOString(),
          receivedAt: now.toISOString(),
          properties: {
            sequenceId: send.sequenceId,
            stepId: send.stepId,
            fromProspect,
            ...(reply.subject ? { subject: cleanLine(reply.subject, 200) } : {}),
            ...(reply.text ? { excerpt: excerpt(reply.text) } : {}),
          },
        },
      },
      now,
    );
    return {
      status: recorded.duplicate ? 'duplicate' : 'recorded',
      prospectId: recorded.prospectId,
      sequenceId: send.sequenceId,
    };
  }
  return { status: 'unattributed' };
}

/** The send (sequence and step) of a person that a reply address's short reference names. */
async function sendOf(prospectId: string, ref: string) {
  for (const enrollment of await listEnrollments(prospectId, true)) {
    const sequence = await loadSequenceVersion(enrollment.sequenceId, enrollment.sequenceVersion);
    const step = sequence?.steps.find((candidate) => sendRef(enrollment.sequenceId, candidate.id) === ref);
    if (step) return { sequenceId: enrollment.sequenceId, stepId: step.id };
  }
  return undefined;
}

/** What the person wrote, without the quoted email below it: the first lines, bounded. */
export function excerpt(text: string): string {
  const lines: string[] = [];
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (/^\s*>/.test(line)) break;
    if (/^On .{0,200}wrote:\s*$/.test(line.trim()) || /^-{2,}\s*Original Message/i.test(line.trim())) break;
    lines.push(line);
  }
  return cleanText(lines.join('\n').trim(), EXCERPT_LENGTH);
}
