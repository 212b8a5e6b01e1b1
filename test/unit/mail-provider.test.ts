import { describe, expect, it } from 'vitest';
import { MailRejectedError, MailRetryableError, safeReason } from '../../lib/mail/errors.js';
import { type OutgoingMail, outgoingMail } from '../../lib/mail/mail-provider.js';
import { messageIdFor } from '../../lib/mail/mime.js';

const mail = (overrides: Partial<OutgoingMail> = {}): OutgoingMail => ({
  to: 'ada@example.com',
  from: 'Example Inc. <onboarding@example.com>',
  subject: 'Welcome',
  text: 'Hello',
  html: '<p>Hello</p>',
  headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
  tags: {},
  idempotencyKey: 'k-1',
  ...overrides,
});

describe('outgoingMail', () => {
  it('makes subject, to and from single lines', () => {
    const built = outgoingMail(
      mail({
        subject: 'Hi\r\nBcc: x@evil.example',
        to: ' ada@example.com\r\n',
        from: 'Ex <a@example.com>\n',
      }),
    );

    expect(built).toMatchObject({
      subject: 'Hi Bcc: x@evil.example',
      to: 'ada@example.com',
      from: 'Ex <a@example.com>',
    });
  });

  it('is idempotent', () => {
    const once = outgoingMail(mail({ subject: ' Hi\r\n there ' }));

    expect(outgoingMail(once)).toEqual(once);
  });

  it.each([
    ['a CR LF in a value', { 'List-Unsubscribe': '<https://x.example/u>\r\nBcc: x@evil.example' }],
    ['a bare LF in a value', { 'X-Campaign': 'a\nb' }],
    ['a line break in a name', { 'X-Campaign\r\nBcc': 'x@evil.example' }],
    ['a colon in a name', { 'X-Campaign: y': 'a' }],
    ['a non-ASCII value', { 'X-Campaign': 'café' }],
    ['a routing header', { Bcc: 'x@evil.example' }],
    ['a MIME header', { 'Content-Type': 'text/plain' }],
  ])('throws on %s in the headers', (_what, headers) => {
    expect(() => outgoingMail(mail({ headers }))).toThrow(/Mail header/);
  });

  it.each([
    'not-an-address',
    'ada@example.com, eve@evil.example',
    'Ada <ada@example.com>',
    '"a,b"@example.com',
  ])('rejects the recipient %j as final', (to) => {
    expect(() => outgoingMail(mail({ to }))).toThrow(MailRejectedError);
  });

  it('throws when from is not exactly one address', () => {
    expect(() => outgoingMail(mail({ from: 'a@example.com, b@example.com' }))).toThrow(/from/);
  });
});

describe('messageIdFor', () => {
  it('is the same for the same key and differs for keys that slug alike', () => {
    const from = 'Example Inc. <onboarding@example.com>';

    expect(messageIdFor('p#1', from)).toBe(messageIdFor('p#1', from));
    expect(messageIdFor('p#1', from)).not.toBe(messageIdFor('p/1', from));
    expect(messageIdFor('p#1', from)).toMatch(/^<p-1\.[0-9a-f]{16}@example\.com>$/);
  });
});

describe('mail errors', () => {
  it('redact addresses and fold the reason onto one bounded line', () => {
    const error = new MailRetryableError(`451 4.7.1 <ada@example.com>\r\n greylisted ${'x'.repeat(400)}`);

    expect(error.reason).not.toContain('ada@example.com');
    expect(error.reason).toMatch(/^451 4\.7\.1 <\[email\]> greylisted x+…$/);
    expect(error.reason).toHaveLength(300);
    expect(error.message).toBe(error.reason);
    expect(safeReason('a\u0000b')).toBe('a b');
  });
});
