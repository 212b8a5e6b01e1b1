// Addresses in provider replies ("550 5.1.1 <ada@example.com>: no such user") must not reach logs or send records.
const EMAIL_LIKE = /[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: replies are folded onto one line
const CONTROLS = /[\u0000-\u001F\u007F-\u009F]+/g;

/** A reason safe to store and log: one line, addresses redacted, bounded. */
export function safeReason(text: string, maxLength = 300): string {
  const line = text.replace(CONTROLS, ' ').replace(EMAIL_LIKE, '[email]').replace(/\s+/g, ' ').trim();
  return line.length <= maxLength ? line : `${line.slice(0, maxLength - 1)}…`;
}

/** The provider refused this message for good (bad address, content refused, 5xx): sending it again fails again. */
export class MailRejectedError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    const safe = safeReason(reason);
    super(safe);
    this.name = 'MailRejectedError';
    this.reason = safe;
  }
}

/**
 * The message may go through later (throttling, 4xx, network, service errors, anything unrecognised).
 * `providerWide`: every other message would fail the same way right now (throttled, paused, unreachable),
 * so a dispatcher should stop its run rather than try the next message.
 */
export class MailRetryableError extends Error {
  readonly reason: string;
  constructor(
    reason: string,
    readonly providerWide = false,
  ) {
    const safe = safeReason(reason);
    super(safe);
    this.name = 'MailRetryableError';
    this.reason = safe;
  }
}

export const isMailError = (error: unknown): error is MailRejectedError | MailRetryableError =>
  error instanceof MailRejectedError || error instanceof MailRetryableError;
