import { describe, expect, it } from 'vitest';
import { mailProviderFromConfig } from '../../lib/mail/index.js';
import { parseConfig } from '../../lib/util/config.js';

describe('mail configuration', () => {
  it('defaults to the local outbox and the example sender', () => {
    const config = parseConfig({});

    expect(config).toMatchObject({
      MAIL_PROVIDER: 'outbox',
      OUTBOX_DIR: 'outbox',
      MAIL_FROM: 'Example Inc. <onboarding@example.com>',
    });
    expect(mailProviderFromConfig(config).name).toBe('outbox');
  });

  it('fails at parse time when smtp is chosen without SMTP_URL', () => {
    expect(() => parseConfig({ MAIL_PROVIDER: 'smtp' })).toThrow(
      'Invalid environment: SMTP_URL is required when MAIL_PROVIDER=smtp',
    );
  });

  it('refuses an SMTP_URL that is not smtp or smtps, without echoing it', () => {
    expect(() =>
      parseConfig({ MAIL_PROVIDER: 'smtp', SMTP_URL: 'https://user:secret@mail.example.com' }),
    ).toThrow(/^Invalid environment: SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL$/);
  });

  it('refuses a MAIL_FROM that is not an address', () => {
    expect(() => parseConfig({ MAIL_FROM: 'Example Inc.' })).toThrow(/MAIL_FROM/);
  });

  it.each([
    [{ MAIL_PROVIDER: 'smtp', SMTP_URL: 'smtps://user:pass@smtp.example.com:465' }, 'smtp'],
    [{ MAIL_PROVIDER: 'ses', SES_CONFIGURATION_SET: 'onboarding' }, 'ses'],
  ])('chooses the provider MAIL_PROVIDER names (%o)', (env, name) => {
    expect(mailProviderFromConfig(parseConfig(env)).name).toBe(name);
  });
});
