import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MailRejectedError, MailRetryableError } from '../../lib/mail/errors.js';
import type { OutgoingMail } from '../../lib/mail/mail-provider.js';
import { messageIdFor } from '../../lib/mail/mime.js';
import { type SmtpProvider, smtpProvider } from '../../lib/mail/smtp-provider.js';
import { type CapturingSmtpServer, startSmtpServer } from '../support/smtp-server.js';

const mail = (overrides: Partial<OutgoingMail> = {}): OutgoingMail => ({
  to: 'ada@example.com',
  from: 'Example Inc. <onboarding@example.com>',
  subject: 'Welcome aboard, Ada',
  text: 'Hello Ada,\nwelcome.',
  html: '<p>Hello Ada,</p><p>welcome.</p>',
  headers: {
    'List-Unsubscribe': '<http://localhost:3000/v1/unsubscribe?token=abc.def>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  },
  tags: { prospectId: 'p-1', sequenceId: 'saas-midmarket', step: '0' },
  idempotencyKey: 'p-1#saas-midmarket#0',
  ...overrides,
});

let server: CapturingSmtpServer;
let provider: SmtpProvider;

beforeAll(async () => {
  server = await startSmtpServer();
  provider = smtpProvider({ url: server.url });
});

afterEach(() => {
  server.reply({});
  server.messages.length = 0;
});

afterAll(async () => {
  provider.close();
  await server.close();
});

describe('smtpProvider', () => {
  it('delivers the message with its unsubscribe headers, both parts and a Message-ID derived from the key', async () => {
    const result = await provider.send(mail());

    expect(server.messages).toHaveLength(1);
    const [received] = server.messages;
    expect(received?.envelope).toEqual({ from: 'onboarding@example.com', to: ['ada@example.com'] });
    expect(received?.subject).toBe('Welcome aboard, Ada');
    expect(received?.from?.value).toEqual([{ name: 'Example Inc.', address: 'onboarding@example.com' }]);
    expect(received?.headerLines.filter((line) => line.key.startsWith('list-'))).toEqual([
      {
        key: 'list-unsubscribe',
        line: 'List-Unsubscribe: <http://localhost:3000/v1/unsubscribe?token=abc.def>',
      },
      { key: 'list-unsubscribe-post', line: 'List-Unsubscribe-Post: List-Unsubscribe=One-Click' },
    ]);
    expect(received?.headers.get('list')).toEqual({
      unsubscribe: { url: 'http://localhost:3000/v1/unsubscribe?token=abc.def' },
      'unsubscribe-post': { name: 'List-Unsubscribe=One-Click' },
    });
    expect(received?.text).toBe('Hello Ada,\nwelcome.');
    expect(received?.html).toBe('<p>Hello Ada,</p><p>welcome.</p>');
    const messageId = messageIdFor('p-1#saas-midmarket#0', 'onboarding@example.com');
    expect(received?.messageId).toBe(messageId);
    expect(result).toEqual({ providerMessageId: messageId });
  });

  it('gives a re-send of the same step the same Message-ID', async () => {
    const first = await provider.send(mail());
    const second = await provider.send(mail());

    expect(second.providerMessageId).toBe(first.providerMessageId);
    expect(server.messages.map((received) => received.messageId)).toEqual([
      first.providerMessageId,
      first.providerMessageId,
    ]);
  });

  it('does not let a subject with a line break add a Bcc header or recipient', async () => {
    await provider.send(mail({ subject: 'Hi Ada\r\nBcc: x@evil.example\r\n\r\nbody' }));

    const [received] = server.messages;
    expect(received?.subject).toBe('Hi Ada Bcc: x@evil.example body');
    expect(received?.bcc).toBeUndefined();
    expect(received?.envelope.to).toEqual(['ada@example.com']);
    expect(received?.raw).not.toMatch(/^bcc:/im);
  });

  it.each([421, 450, 451])('reports a %i reply to RCPT as retryable', async (code) => {
    server.reply({ rcptTo: { code, message: 'Try again later <ada@example.com>' } });

    const error = await provider.send(mail()).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(MailRetryableError);
    expect((error as MailRetryableError).reason).toContain(String(code));
    expect((error as MailRetryableError).reason).not.toContain('ada@example.com');
    expect(server.messages).toHaveLength(0);
  });

  it('reports a 421 reply to DATA as retryable for every message', async () => {
    server.reply({ data: { code: 421, message: 'Service shutting down' } });

    const error = await provider.send(mail()).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(MailRetryableError);
    expect(error).toMatchObject({ providerWide: true });
  });

  it.each([
    ['RCPT', { rcptTo: { code: 550, message: '5.1.1 <ada@example.com>: user unknown' } }],
    ['DATA', { data: { code: 554, message: '5.7.1 Message refused' } }],
    ['MAIL', { mailFrom: { code: 553, message: '5.1.8 Sender refused' } }],
  ] as const)(
    'reports a permanent refusal of %s as rejected, without the address',
    async (_stage, policy) => {
      server.reply(policy);

      const error = await provider.send(mail()).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(MailRejectedError);
      expect((error as MailRejectedError).reason).toMatch(/^smtp 55\d/);
      expect((error as MailRejectedError).reason).not.toContain('ada@example.com');
    },
  );

  it('reports a server that is not listening as retryable', async () => {
    const closed = await startSmtpServer();
    await closed.close();
    const unreachable = smtpProvider({ url: closed.url, connectionTimeoutMs: 2_000 });

    const error = await unreachable.send(mail()).catch((caught: unknown) => caught);
    unreachable.close();

    expect(error).toBeInstanceOf(MailRetryableError);
    expect(error).toMatchObject({ providerWide: true });
  });
});
