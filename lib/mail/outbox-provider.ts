import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import { MailRetryableError } from './errors.js';
import { type MailProvider, outgoingMail } from './mail-provider.js';
import { mimeMessage } from './mime.js';

export type OutboxProviderOptions = {
  dir: string;
  now?: () => Date;
};

/** Local stand-in for a mail service: each message as the .eml file an SMTP server would have received. */
export function outboxProvider({ dir, now = () => new Date() }: OutboxProviderOptions): MailProvider {
  return {
    name: 'outbox',
    async send(input) {
      const mail = outgoingMail(input);
      const date = now();
      const options = mimeMessage(mail, date);
      const path = join(dir, outboxFileName(date, mail.idempotencyKey));
      // Same directory, so the rename is atomic: a reader never sees half a message.
      const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        const message = await new MailComposer(options).compile().build();
        await mkdir(dir, { recursive: true });
        await writeFile(temporary, message, { flag: 'wx' });
        await rename(temporary, path);
      } catch (error) {
        // Cleanup is best effort: the error that matters is the one that got us here.
        await rm(temporary, { force: true }).catch(() => undefined);
        const code = (error as NodeJS.ErrnoException).code;
        throw new MailRetryableError(`outbox ${code ?? 'error'}: could not write the message`);
      }
      return { providerMessageId: options.messageId ?? '' };
    },
  };
}

/** `2025-01-31T09-30-00.000Z-<key>.eml`: sorts by time, and no `:` or `/` for any file system. */
export function outboxFileName(date: Date, idempotencyKey: string): string {
  const time = date.toISOString().replace(/:/g, '-');
  const key = idempotencyKey
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 100);
  return `${time}-${key || 'mail'}.eml`;
}
