import { SESv2Client } from '@aws-sdk/client-sesv2';
import type { Config } from '../util/config.js';
import type { MailProvider } from './mail-provider.js';
import { outboxProvider } from './outbox-provider.js';
import { sesProvider } from './ses-provider.js';
import { smtpProvider } from './smtp-provider.js';

export { isMailError, MailRejectedError, MailRetryableError } from './errors.js';
export type { MailProvider, MailProviderName, OutgoingMail, SendResult } from './mail-provider.js';
export { outgoingMail } from './mail-provider.js';

export type MailConfig = Pick<
  Config,
  'MAIL_PROVIDER' | 'SMTP_URL' | 'OUTBOX_DIR' | 'SES_CONFIGURATION_SET' | 'AWS_REGION'
>;

/** Call once per process and keep the result: the SES client and SMTP transport are meant to be reused. */
export function mailProviderFromConfig(config: MailConfig): MailProvider {
  switch (config.MAIL_PROVIDER) {
    case 'ses':
      return sesProvider({
        client: new SESv2Client({ region: config.AWS_REGION }),
        configurationSet: config.SES_CONFIGURATION_SET,
      });
    case 'smtp':
      if (!config.SMTP_URL) throw new Error('SMTP_URL is required when MAIL_PROVIDER=smtp');
      return smtpProvider({ url: config.SMTP_URL });
    case 'outbox':
      return outboxProvider({ dir: config.OUTBOX_DIR });
  }
}
