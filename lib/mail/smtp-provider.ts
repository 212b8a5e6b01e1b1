import nodemailer, { type NodemailerError } from 'nodemailer';
import { MailRejectedError, MailRetryableError } from './errors.js';
import { type MailProvider, outgoingMail } from './mail-provider.js';
import { mimeMessage } from './mime.js';

export type SmtpProviderOptions = {
  /** `smtp://[user:pass@]host[:port]` (STARTTLS when offered) or `smtps://...` (TLS from the start). */
  url: string;
  connectionTimeoutMs?: number;
  greetingTimeoutMs?: number;
  socketTimeoutMs?: number;
};

export type SmtpProvider = MailProvider & { close(): void };

export function smtpProvider({
  url,
  connectionTimeoutMs = 5_000,
  greetingTimeoutMs = 5_000,
  socketTimeoutMs = 20_000,
}: SmtpProviderOptions): SmtpProvider {
  const transport = nodemailer.createTransport({
    url,
    // One connection per message: a frozen Lambda would keep pooled sockets that the server has long closed.
    pool: false,
    // Well inside a dispatcher's Lambda timeout, so a dead server costs one step, not the whole run.
    connectionTimeout: connectionTimeoutMs,
    greetingTimeout: greetingTimeoutMs,
    socketTimeout: socketTimeoutMs,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return {
    name: 'smtp',
    async send(input) {
      const mail = outgoingMail(input);
      try {
        const info = await transport.sendMail(mimeMessage(mail));
        return { providerMessageId: info.messageId };
      } catch (error) {
        throw smtpError(error);
      }
    },
    close: () => transport.close(),
  };
}

// Every socket-level failure: the server was not reached or went away, so nothing was refused.
const CONNECTION_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'EPROXY']);
// Our credentials or TLS settings are at fault, not the message: every send fails until an operator fixes them.
const CONFIGURATION_CODES = new Set(['EAUTH', 'ENOAUTH', 'EREQUIRETLS', 'ECONFIG']);

/** RFC 5321: 5yz is permanent, 4yz transient; 503 (bad sequence) is a session problem, not a refusal. */
export function smtpError(error: unknown): MailRejectedError | MailRetryableError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as NodemailerError;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  // Only the verb: `RCPT TO:<address>` would carry the recipient into the reason.
  const command = typeof e.command === 'string' ? e.command.split(/[\s:]/)[0] : undefined;
  const detail = typeof e.response === 'string' ? e.response : typeof e.message === 'string' ? e.message : '';
  const reason = `smtp ${responseCode ?? code ?? 'error'}${command ? ` on ${command}` : ''}: ${detail}`;

  if (code && CONFIGURATION_CODES.has(code)) return new MailRetryableError(reason, true);
  if (responseCode !== undefined) {
    if (responseCode >= 500 && responseCode !== 503) return new MailRejectedError(reason);
    // 421: the service is closing the channel; every message would meet the same.
    return new MailRetryableError(reason, responseCode === 421);
  }
  // Refused before any reply, e.g. no usable recipient: the same envelope is refused again.
  if (code === 'EENVELOPE') return new MailRejectedError(reason);
  if (code && CONNECTION_CODES.has(code)) return new MailRetryableError(reason, true);
  return new MailRetryableError(reason);
}
