import { describe, expect, it } from 'vitest';
import { MailRejectedError, MailRetryableError } from '../../lib/mail/errors.js';
import { smtpError } from '../../lib/mail/smtp-provider.js';

const nodemailerError = (fields: Record<string, unknown>) => Object.assign(new Error('failed'), fields);

describe('smtpError', () => {
  it.each([
    [
      { code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO:<ada@example.com>' },
      MailRejectedError,
      false,
    ],
    [{ code: 'EMESSAGE', responseCode: 554, command: 'DATA' }, MailRejectedError, false],
    [{ code: 'EENVELOPE', command: 'API' }, MailRejectedError, false],
    [
      { code: 'EENVELOPE', responseCode: 451, command: 'RCPT TO:<ada@example.com>' },
      MailRetryableError,
      false,
    ],
    [{ code: 'EPROTOCOL', responseCode: 503, command: 'DATA' }, MailRetryableError, false],
    [{ code: 'EAUTH', responseCode: 535, command: 'AUTH PLAIN' }, MailRetryableError, true],
    [{ code: 'ESOCKET', originalCode: 'ECONNREFUSED' }, MailRetryableError, true],
    [{ code: 'ETIMEDOUT' }, MailRetryableError, true],
    [{}, MailRetryableError, false],
  ])('maps %o', (fields, kind, providerWide) => {
    const mapped = smtpError(nodemailerError(fields));

    expect(mapped).toBeInstanceOf(kind);
    if (mapped instanceof MailRetryableError) expect(mapped.providerWide).toBe(providerWide);
    expect(mapped.reason).not.toContain('ada@example.com');
  });

  it('keeps the reply code, the verb and the reply without the address', () => {
    const mapped = smtpError(
      nodemailerError({
        code: 'EENVELOPE',
        responseCode: 550,
        command: 'RCPT TO:<ada@example.com>',
        response: '550 5.1.1 <ada@example.com>: Recipient address rejected',
      }),
    );

    expect(mapped.reason).toBe('smtp 550 on RCPT: 550 5.1.1 <[email]>: Recipient address rejected');
  });

  it('maps something that is not an error at all as retryable', () => {
    expect(smtpError('boom')).toBeInstanceOf(MailRetryableError);
  });
});
