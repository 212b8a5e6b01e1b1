import { describe, expect, it } from 'vitest';
import { isAllowedPlaceholder, templateValues } from '../../lib/onboarding/onboarding-config.js';
import { retryDelayMs } from '../../lib/onboarding/send-failure.js';
import { renderTemplate } from '../../lib/onboarding/template.js';
import { parseConfig } from '../../lib/util/config.js';

describe('retryDelayMs', () => {
  it('draws uniformly below a ceiling that doubles per attempt (full jitter)', () => {
    expect(retryDelayMs(1, () => 0)).toBe(0);
    expect(retryDelayMs(1, () => 0.999_999)).toBe(59_999);
    expect(retryDelayMs(3, () => 0.5)).toBe(120_000);
  });

  it('never waits more than 6 hours, however many attempts', () => {
    expect(retryDelayMs(30, () => 1)).toBe(6 * 3_600_000);
  });
});

describe('template placeholders', () => {
  it('allows the listed traits, the sequence, the unsubscribe link and expectations, nothing else', () => {
    for (const name of [
      'firstName',
      'company',
      'plan',
      'sequence.name',
      'unsubscribeUrl',
      'expectations.first-response',
      'expectations.first-response.deadline',
    ])
      expect(isAllowedPlaceholder(name), name).toBe(true);
    for (const name of [
      'phone',
      'message',
      'sequence.id',
      'expectations',
      'expectations.a.text',
      'constructor',
    ])
      expect(isAllowedPlaceholder(name), name).toBe(false);
  });

  it('renders a hostile name escaped, and a deadline in the customer’s zone', () => {
    const values = templateValues({
      traits: { firstName: '<img src=x onerror=alert(1)>', company: 'Acme\r\nBcc: x@evil.example' },
      plan: 'pro',
      sequence: {
        name: 'Mid-market',
        expectations: [
          {
            id: 'reply',
            text: 'We reply within 1 business day',
            kind: 'first-response',
            within: { businessDays: 1 },
          },
        ],
      },
      given: [
        { id: 'reply', text: 'We reply', givenAt: '2026-11-27T15:00:00Z', deadline: '2026-11-30T23:00:00Z' },
      ],
      timezone: 'Europe/Berlin',
      sender: { id: 'default', companyName: 'Example Inc.', postalAddress: '1 Main Street, Springfield' },
      unsubscribeUrl: 'https://api.example.com/v1/unsubscribe?token=t&x=1',
    });
    const rendered = renderTemplate(
      {
        subject: 'Hi {{company}}',
        text: '{{expectations.reply}} (by {{expectations.reply.deadline}})',
        html: '<p>{{firstName}}</p><a href="{{unsubscribeUrl}}">x</a>',
      },
      values,
    );
    expect(rendered.subject).toBe('Hi Acme Bcc: x@evil.example');
    expect(rendered.html).toBe(
      '<p>&lt;img src=x onerror=alert(1)&gt;</p><a href="https://api.example.com/v1/unsubscribe?token=t&amp;x=1">x</a>',
    );
    expect(rendered.text).toBe('We reply within 1 business day (by Monday 30 November, 23:59 CET)');
  });
});

describe('onboarding environment', () => {
  it('reads secret lists comma-separated, and names a short one', () => {
    const config = parseConfig({ WEBHOOK_SECRETS: 'new-secret-0123456789, old-secret-0123456789' });
    expect(config.WEBHOOK_SECRETS).toEqual(['new-secret-0123456789', 'old-secret-0123456789']);
    expect(() => parseConfig({ UNSUBSCRIBE_SECRETS: 'short' })).toThrow(/UNSUBSCRIBE_SECRETS.*at least 16/);
  });

  it('refuses the local secrets outside the local stage', () => {
    expect(() => parseConfig({ STAGE: 'prod', AUTH_MODE: 'apigateway' })).toThrow(/WEBHOOK_SECRETS/);
    expect(() =>
      parseConfig({
        STAGE: 'prod',
        AUTH_MODE: 'apigateway',
        WEBHOOK_SECRETS: 'prod-webhook-secret-0123',
        UNSUBSCRIBE_SECRETS: 'prod-unsubscribe-secret-0123',
      }),
    ).toThrow(/SURVEY_SECRETS and REPLY_SECRETS/);
    expect(() =>
      parseConfig({
        STAGE: 'prod',
        AUTH_MODE: 'apigateway',
        WEBHOOK_SECRETS: 'prod-webhook-secret-0123',
        UNSUBSCRIBE_SECRETS: 'prod-unsubscribe-secret-0123',
        SURVEY_SECRETS: 'prod-survey-secret-01234567',
        REPLY_SECRETS: 'prod-reply-secret-012345678',
      }),
    ).not.toThrow();
  });
});
