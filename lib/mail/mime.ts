import { createHash } from 'node:crypto';
import type { SendMailOptions } from 'nodemailer';
import { type OutgoingMail, senderAddress } from './mail-provider.js';

/**
 * `<readable-key.hash@sender-domain>`: deterministic, so a second send of the same step carries the same
 * Message-ID and receivers (and we) can tell it is a re-send. The hash keeps distinct keys distinct after slugging.
 */
export function messageIdFor(idempotencyKey: string, from: string): string {
  const domain = senderAddress(from)?.address.split('@')[1] ?? 'localhost';
  const slug = idempotencyKey.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 64);
  const hash = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 16);
  return `<${slug}.${hash}@${domain}>`;
}

/** The nodemailer message for an already normalised mail; SMTP and the outbox produce the same bytes. */
export function mimeMessage(mail: OutgoingMail, date?: Date): SendMailOptions {
  const sender = senderAddress(mail.from);
  return {
    from: mail.from,
    ...(mail.replyTo?.length ? { replyTo: mail.replyTo } : {}),
    // An object, not a string: nodemailer then never parses the recipient as an address list.
    to: { name: '', address: mail.to },
    envelope: { from: sender?.address ?? '', to: [mail.to] },
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    headers: mail.headers,
    messageId: messageIdFor(mail.idempotencyKey, mail.from),
    ...(date ? { date } : {}),
    xMailer: false,
    // Content is always given inline; never let a value be read as a file path or URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}
