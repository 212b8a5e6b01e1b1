import { type SESv2Client, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { MailRejectedError, MailRetryableError } from './errors.js';
import { type MailProvider, type OutgoingMail, outgoingMail, senderAddress } from './mail-provider.js';

export type SesProviderOptions = {
  client: SESv2Client;
  /** Routes bounce, complaint and delivery events (with our tags) to handleMailEvents. */
  configurationSet?: string | undefined;
};

export function sesProvider({ client, configurationSet }: SesProviderOptions): MailProvider {
  return {
    name: 'ses',
    async send(mail) {
      const request = sesSendEmailInput(outgoingMail(mail), configurationSet);
      try {
        const output = await client.send(new SendEmailCommand(request));
        // SES always returns an id on success; an accepted message must not be retried for the lack of one.
        return { providerMessageId: output.MessageId ?? '' };
      } catch (error) {
        throw sesError(error);
      }
    },
  };
}

export function sesSendEmailInput(mail: OutgoingMail, configurationSet?: string): SendEmailCommandInput {
  const headers = Object.entries(mail.headers).map(([Name, Value]) => ({ Name, Value }));
  const tags = sesTags(mail.tags);
  return {
    FromEmailAddress: sesFromAddress(mail.from),
    Destination: { ToAddresses: [mail.to] },
    ...(mail.replyTo?.length ? { ReplyToAddresses: mail.replyTo.map(sesFromAddress) } : {}),
    Content: {
      Simple: {
        Subject: { Data: mail.subject, Charset: 'UTF-8' },
        Body: { Text: { Data: mail.text, Charset: 'UTF-8' }, Html: { Data: mail.html, Charset: 'UTF-8' } },
        ...(headers.length > 0 ? { Headers: headers } : {}),
      },
    },
    ...(tags.length > 0 ? { EmailTags: tags } : {}),
    ...(configurationSet ? { ConfigurationSetName: configurationSet } : {}),
  };
}

/** SES tag names and values allow only ASCII letters, digits, `_` and `-`, at most 256 characters. */
export function sesTags(tags: Record<string, string>): { Name: string; Value: string }[] {
  const clean = (value: string) => value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256);
  return Object.entries(tags)
    .map(([name, value]) => ({ Name: clean(name), Value: clean(value) }))
    .filter((tag) => tag.Name !== '' && tag.Value !== '');
}

// SES wants a display name with specials quoted and a non-ASCII one as an encoded word.
function sesFromAddress(from: string): string {
  const sender = senderAddress(from);
  if (!sender) return from;
  if (!sender.name) return sender.address;
  const name = /^[\x20-\x7E]*$/.test(sender.name)
    ? `"${sender.name.replace(/["\\]/g, '\\$&')}"`
    : `=?UTF-8?B?${Buffer.from(sender.name).toString('base64')}?=`;
  return `${name} <${sender.address}>`;
}

// The message itself is at fault: the same request fails the same way.
const REJECTED = new Set(['MessageRejected', 'BadRequestException']);
// The account or its configuration is at fault, not this message: once an operator fixes it, the message can go,
// so failing every customer's step for good would be wrong; and every other send fails alike until then.
const ACCOUNT_BLOCKED = new Set([
  'AccountSuspendedException',
  'SendingPausedException',
  'MailFromDomainNotVerifiedException',
  'NotFoundException',
]);
const THROTTLED = new Set(['TooManyRequestsException', 'LimitExceededException', 'ThrottlingException']);

type SdkError = {
  name?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
};

export function sesError(error: unknown): MailRejectedError | MailRetryableError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkError;
  const name = typeof e.name === 'string' ? e.name : 'UnknownError';
  const status = e.$metadata?.httpStatusCode;
  const reason = `ses ${name}${status ? ` (${status})` : ''}: ${typeof e.message === 'string' ? e.message : ''}`;
  if (REJECTED.has(name)) return new MailRejectedError(reason);
  if (ACCOUNT_BLOCKED.has(name)) return new MailRetryableError(reason, true);
  if (THROTTLED.has(name) || e.$retryable?.throttling || status === 429)
    return new MailRetryableError(reason, true);
  // Server faults, timeouts, network errors and anything unrecognised: the message is not known to be at fault.
  return new MailRetryableError(reason);
}
