import addressparser from 'nodemailer/lib/addressparser';
import { cleanLine, isEmailAddress } from '../util/text.js';
import { MailRejectedError } from './errors.js';

export type OutgoingMail = {
  /** A bare address (`ada@example.com`): display names in recipients are an address-list injection risk. */
  to: string;
  /** `Example Inc. <onboarding@example.com>` or a bare address; from configuration. */
  from: string;
  /** Where replies go: each one mailbox (`Name <address>` or bare), from configuration and signed addresses. */
  replyTo?: string[];
  subject: string;
  text: string;
  html: string;
  /** Extra headers, e.g. List-Unsubscribe and List-Unsubscribe-Post. Printable ASCII only. */
  headers: Record<string, string>;
  /** Correlation for provider events (prospectId, sequenceId, step); never shown to the recipient. */
  tags: Record<string, string>;
  /** Same key, same Message-ID (where the provider lets us set it): a re-send is recognisable. */
  idempotencyKey: string;
};

export type MailProviderName = 'ses' | 'smtp' | 'outbox';

export type SendResult = { providerMessageId: string };

/** Failures are MailRejectedError (final) or MailRetryableError (try later); nothing else escapes `send`. */
export type MailProvider = {
  readonly name: MailProviderName;
  send(mail: OutgoingMail): Promise<SendResult>;
};

const HEADER_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,75}$/;
// Printable ASCII, space and tab: what every adapter (SES included) accepts, and no line breaks to inject with.
const HEADER_VALUE = /^[\t\x20-\x7E]{0,900}$/;
// Headers the adapters set or that route the message; taking them from `headers` would bypass the checks below.
const RESERVED_HEADERS = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'sender',
  'subject',
  'date',
  'message-id',
  'mime-version',
  'return-path',
  'received',
  'dkim-signature',
  'reply-to',
]);
// Characters that would make one recipient into several, or smuggle a display name, once parsed as an address list.
const ADDRESS_SPECIALS = /[<>,;:"()[\]\\]/;

/**
 * Normalises a message and refuses what could inject headers. Subject, to and from become single lines; a bad
 * header name or value throws a plain Error (a programming error); an unusable recipient is a MailRejectedError.
 * Idempotent, so adapters apply it again to whatever they are given.
 */
export function outgoingMail(input: OutgoingMail): OutgoingMail {
  for (const [name, value] of Object.entries(input.headers)) {
    if (!HEADER_NAME.test(name) || RESERVED_HEADERS.has(name.toLowerCase()) || /^content-/i.test(name)) {
      throw new Error(`Mail header name not allowed: ${JSON.stringify(name)}`);
    }
    if (typeof value !== 'string' || !HEADER_VALUE.test(value)) {
      throw new Error(`Mail header ${name} must be one line of printable ASCII, at most 900 characters`);
    }
  }
  const idempotencyKey = cleanLine(input.idempotencyKey, 200);
  if (!idempotencyKey) throw new Error('Mail needs an idempotency key');

  const from = cleanLine(input.from, 320);
  if (!senderAddress(from)) throw new Error('Mail from must be one address, optionally with a display name');

  const to = cleanLine(input.to, 254);
  if (!isEmailAddress(to) || ADDRESS_SPECIALS.test(to))
    throw new MailRejectedError('invalid recipient address');

  const replyTo = (input.replyTo ?? []).map((mailbox) => cleanLine(mailbox, 320));
  if (replyTo.length > 5 || replyTo.some((mailbox) => !senderAddress(mailbox)))
    throw new Error(
      'Mail reply-to must be up to 5 addresses, each one address with an optional display name',
    );

  return {
    to,
    from,
    ...(replyTo.length ? { replyTo } : {}),
    subject: cleanLine(input.subject, 256),
    text: input.text,
    html: input.html,
    headers: { ...input.headers },
    tags: { ...input.tags },
    idempotencyKey,
  };
}

/** The one mailbox in a From value, or undefined when it is not exactly one valid address. */
export function senderAddress(from: string): { name: string; address: string } | undefined {
  const parsed = addressparser(from, { flatten: true });
  const [first] = parsed;
  if (parsed.length !== 1 || !first || !isEmailAddress(first.address)) return undefined;
  return { name: first.name, address: first.address };
}
