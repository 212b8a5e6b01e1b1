import {
  AccountSuspendedException,
  BadRequestException,
  LimitExceededException,
  MessageRejected,
  SESv2Client,
  SESv2ServiceException,
  SendEmailCommand,
  SendingPausedException,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { MailRejectedError, MailRetryableError } from '../../lib/mail/errors.js';
import type { OutgoingMail } from '../../lib/mail/mail-provider.js';
import { sesProvider, sesTags } from '../../lib/mail/ses-provider.js';

const ses = mockClient(SESv2Client);
const provider = sesProvider({
  client: new SESv2Client({ region: 'us-east-1' }),
  configurationSet: 'onboarding',
});

const mail = (overrides: Partial<OutgoingMail> = {}): OutgoingMail => ({
  to: 'ada@example.com',
  from: 'Example Inc. <onboarding@example.com>',
  subject: 'Welcome aboard, Ada',
  text: 'Hello Ada',
  html: '<p>Hello Ada</p>',
  headers: {
    'List-Unsubscribe': '<https://api.example.com/v1/unsubscribe?token=abc.def>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  },
  tags: { prospectId: 'p_01J9Z', sequenceId: 'saas-midmarket', step: '2' },
  idempotencyKey: 'p_01J9Z#saas-midmarket#2',
  ...overrides,
});

const metadata = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

beforeEach(() => {
  ses.reset();
});

describe('sesProvider', () => {
  it('sends one SendEmail with simple content, unsubscribe headers, tags and the configuration set', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: '0100018f-abc' });

    const result = await provider.send(mail());

    expect(result).toEqual({ providerMessageId: '0100018f-abc' });
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input).toEqual({
      FromEmailAddress: '"Example Inc." <onboarding@example.com>',
      Destination: { ToAddresses: ['ada@example.com'] },
      Content: {
        Simple: {
          Subject: { Data: 'Welcome aboard, Ada', Charset: 'UTF-8' },
          Body: {
            Text: { Data: 'Hello Ada', Charset: 'UTF-8' },
            Html: { Data: '<p>Hello Ada</p>', Charset: 'UTF-8' },
          },
          Headers: [
            { Name: 'List-Unsubscribe', Value: '<https://api.example.com/v1/unsubscribe?token=abc.def>' },
            { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
          ],
        },
      },
      EmailTags: [
        { Name: 'prospectId', Value: 'p_01J9Z' },
        { Name: 'sequenceId', Value: 'saas-midmarket' },
        { Name: 'step', Value: '2' },
      ],
      ConfigurationSetName: 'onboarding',
    });
  });

  it('leaves the configuration set out when none is configured', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    const plain = sesProvider({ client: new SESv2Client({ region: 'us-east-1' }) });

    await plain.send(mail());

    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input).not.toHaveProperty('ConfigurationSetName');
  });

  it('makes the subject one line before it reaches SES', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });

    await provider.send(mail({ subject: 'Hi\r\nBcc: x@evil.example' }));

    expect(ses).toHaveReceivedCommandWith(SendEmailCommand, {
      Content: expect.objectContaining({
        Simple: expect.objectContaining({ Subject: { Data: 'Hi Bcc: x@evil.example', Charset: 'UTF-8' } }),
      }),
    });
  });

  it('reports throttling as retryable for every message', async () => {
    ses
      .on(SendEmailCommand)
      .rejects(new TooManyRequestsException({ message: 'Maximum sending rate exceeded.', ...metadata(429) }));

    const error = await provider.send(mail()).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(MailRetryableError);
    expect(error).toMatchObject({
      providerWide: true,
      reason: expect.stringContaining('TooManyRequestsException'),
    });
  });

  it('reports a daily quota reached as retryable', async () => {
    ses
      .on(SendEmailCommand)
      .rejects(new LimitExceededException({ message: 'Daily quota', ...metadata(400) }));

    await expect(provider.send(mail())).rejects.toBeInstanceOf(MailRetryableError);
  });

  it('reports MessageRejected as rejected, without the address SES names', async () => {
    ses.on(SendEmailCommand).rejects(
      new MessageRejected({
        message: 'Email address is not verified. The following identities failed the check: ada@example.com',
        ...metadata(400),
      }),
    );

    const error = await provider.send(mail()).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(MailRejectedError);
    expect((error as MailRejectedError).reason).toMatch(/^ses MessageRejected \(400\)/);
    expect((error as MailRejectedError).reason).not.toContain('ada@example.com');
  });

  it('reports a malformed request as rejected', async () => {
    ses
      .on(SendEmailCommand)
      .rejects(new BadRequestException({ message: 'Illegal header', ...metadata(400) }));

    await expect(provider.send(mail())).rejects.toBeInstanceOf(MailRejectedError);
  });

  it.each([
    ['a paused account', new SendingPausedException({ message: 'Sending paused', ...metadata(400) })],
    ['a suspended account', new AccountSuspendedException({ message: 'Suspended', ...metadata(400) })],
  ])(
    'reports %s as retryable for every message, since the message is not at fault',
    async (_what, thrown) => {
      ses.on(SendEmailCommand).rejects(thrown);

      const error = await provider.send(mail()).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(MailRetryableError);
      expect(error).toMatchObject({ providerWide: true });
    },
  );

  it('reports an unknown 500 as retryable, with a reason that holds no address', async () => {
    ses.on(SendEmailCommand).rejects(
      new SESv2ServiceException({
        name: 'InternalFailure',
        $fault: 'server',
        message: 'Something broke while sending to ada@example.com',
        ...metadata(500),
      }),
    );

    const error = await provider.send(mail()).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(MailRetryableError);
    expect((error as MailRetryableError).reason).toBe(
      'ses InternalFailure (500): Something broke while sending to [email]',
    );
    expect(error).toMatchObject({ providerWide: false });
  });

  it('reports a network failure as retryable', async () => {
    ses.on(SendEmailCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));

    await expect(provider.send(mail())).rejects.toBeInstanceOf(MailRetryableError);
  });

  it('refuses an unusable recipient before calling SES', async () => {
    await expect(provider.send(mail({ to: 'ada@example.com, eve@evil.example' }))).rejects.toBeInstanceOf(
      MailRejectedError,
    );
    expect(ses).not.toHaveReceivedCommand(SendEmailCommand);
  });
});

describe('sesTags', () => {
  it('replaces characters SES does not allow in tags and drops empty ones', () => {
    expect(sesTags({ prospectId: 'P#01J9Z:x', 'step no': '2', empty: '' })).toEqual([
      { Name: 'prospectId', Value: 'P_01J9Z_x' },
      { Name: 'step_no', Value: '2' },
    ]);
  });
});
