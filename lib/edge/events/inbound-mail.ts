/**
 * Inbound mail: a raw MIME message becomes a reply capture. One adapter for both ways mail arrives: in AWS an SES
 * receipt rule stores the message in S3 and the object's creation invokes captureReplies; locally `npm start`
 * runs an SMTP receiver that hands each message over as it arrives.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import PostalMime, { type Address } from 'postal-mime';
import { captureReply, type InboundReply, type ReplyOutcome } from '../../onboarding/capture-reply.js';
import { sha256Hex } from '../../util/crypto.js';
import { log } from '../../util/log.js';

/** SES accepts up to 40 MB; a reply worth reading is far smaller, and only its headers attribute it. */
export const MAX_INBOUND_BYTES = 10 * 1024 * 1024;

export async function parseInboundMessage(
  raw: Uint8Array | string,
  envelopeRecipients: readonly string[] = [],
): Promise<InboundReply> {
  const email = await PostalMime.parse(raw, { maxNestingDepth: 20, maxHeadersSize: 256 * 1024 });
  const addresses = (list: Address[] | undefined) =>
    (list ?? []).flatMap((item) =>
      item.group ? item.group.map((member) => member.address) : [item.address],
    );
  const from = email.from && !email.from.group ? email.from.address : undefined;
  return {
    recipients: [
      ...new Set([
        ...envelopeRecipients,
        ...addresses(email.to),
        ...addresses(email.cc),
        ...(email.deliveredTo ? [email.deliveredTo] : []),
      ]),
    ].filter((address): address is string => typeof address === 'string' && address.length > 0),
    from,
    subject: email.subject,
    text: email.text,
    dedupId: email.messageId?.trim() || sha256Hex(typeof raw === 'string' ? raw : Buffer.from(raw)),
  };
}

/** One raw message, from wherever it came: attributed and recorded, or not attributed. Logs ids and counts only. */
export async function handleInboundMessage(
  raw: Uint8Array | string,
  options: { envelopeRecipients?: readonly string[]; now?: Date } = {},
): Promise<ReplyOutcome> {
  const reply = await parseInboundMessage(raw, options.envelopeRecipients);
  const outcome = await captureReply(reply, options.now ?? new Date());
  if (outcome.status === 'unattributed')
    log.info('reply not attributed', { recipients: reply.recipients.length });
  else log.info('reply captured', { ...outcome });
  return outcome;
}

/** The S3 notification of captureReplies: every message SES stored, read and handled. */
export async function handleInboundMailS3(
  event: S3Event,
  s3: S3Client,
): Promise<{ recorded: number; duplicates: number; unattributed: number; tooLarge: number }> {
  const result = { recorded: 0, duplicates: 0, unattributed: 0, tooLarge: 0 };
  for (const record of event.Records ?? []) {
    if (record.s3.object.size > MAX_INBOUND_BYTES) {
      result.tooLarge++;
      continue;
    }
    const object = await s3.send(
      new GetObjectCommand({
        Bucket: record.s3.bucket.name,
        // S3 notifications carry keys URL-encoded, spaces as '+'.
        Key: decodeURIComponent(record.s3.object.key.replace(/\+/g, ' ')),
      }),
    );
    const bytes = await object.Body?.transformToByteArray();
    if (!bytes) continue;
    const outcome = await handleInboundMessage(bytes);
    if (outcome.status === 'recorded') result.recorded++;
    else if (outcome.status === 'duplicate') result.duplicates++;
    else result.unattributed++;
  }
  return result;
}
