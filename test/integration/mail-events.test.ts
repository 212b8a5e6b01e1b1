import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { handler as handleMailEvents } from '../../functions/handle-mail-events.js';
import { emailHash } from '../../lib/identity/identity.js';
import { getAlias } from '../../lib/store/aliases.js';
import { getSuppression } from '../../lib/store/suppressions.js';
import { lambdaContext } from '../../scripts/local/api-gateway.js';
import { projectRoot } from '../../scripts/local/service-definition.js';
import { convert, customer, enrollmentOf } from '../support/onboarding.js';
import { readProspect, submitForm, useScoringTable } from '../support/scoring.js';

vi.hoisted(() => {
  process.env.WEBHOOK_SECRETS = 'webhook-secret-current-0123456789';
});

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(projectRoot, 'test/fixtures/events', name), 'utf8')) as unknown;
const deliver = (event: unknown) => handleMailEvents(event, lambdaContext('handleMailEvents'));

async function emailTouchpoints(prospectId: string) {
  const timeline = (await readProspect(prospectId)).json().timeline.items as {
    type: string;
    name: string;
    properties: Record<string, unknown>;
  }[];
  return timeline.filter((item) => item.type === 'email');
}

beforeAll(async () => {
  await useScoringTable();
});

describe('handleMailEvents', () => {
  it('suppresses a permanently bounced address (SNS), ends its sequence and notes the bounce', async () => {
    const prospectId = await customer('bounce', { email: 'bounce-me@example.com' });
    await convert({ email: 'bounce-me@example.com' });
    expect((await enrollmentOf(prospectId)).status).toBe('active');

    const result = await deliver(fixture('ses-bounce-permanent.sns.json'));
    expect(result).toMatchObject({ events: 1, suppressed: 1, touchpoints: 1, ignored: 0 });
    expect(await getSuppression(emailHash('Bounce-Me@example.com'))).toMatchObject({
      reason: 'bounce',
      source: 'ses:0100019b2c3d4e5f-11111111-2222-3333-4444-555555555555-000000',
    });
    expect(await enrollmentOf(prospectId)).toMatchObject({ status: 'exited', reason: 'address bounced' });
    expect(await emailTouchpoints(prospectId)).toEqual([
      expect.objectContaining({
        name: 'bounced',
        properties: expect.objectContaining({
          bounceType: 'Permanent',
          sequenceId: 'saas-midmarket-onboarding',
        }),
      }),
    ]);

    // SNS delivers at least once: the same notification again changes nothing.
    expect(await deliver(fixture('ses-bounce-permanent.sns.json'))).toMatchObject({
      suppressed: 0,
      touchpoints: 0,
    });
    expect(await emailTouchpoints(prospectId)).toHaveLength(1);
  });

  it('does not suppress on a transient bounce', async () => {
    const prospectId = await submitForm({ email: 'full-mailbox@example.com', consent: 'yes' });
    expect(await deliver(fixture('ses-bounce-transient.sns.json'))).toMatchObject({
      suppressed: 0,
      touchpoints: 1,
    });
    expect(await getSuppression(emailHash('full-mailbox@example.com'))).toBeUndefined();
    expect((await emailTouchpoints(prospectId))[0]?.properties.bounceType).toBe('Transient');
  });

  it('suppresses on a complaint delivered through EventBridge', async () => {
    const prospectId = await submitForm({ email: 'complainer@example.com', consent: 'yes' });
    expect(await deliver(fixture('ses-complaint.eventbridge.json'))).toMatchObject({
      suppressed: 1,
      touchpoints: 1,
    });
    expect(await getSuppression(emailHash('complainer@example.com'))).toMatchObject({ reason: 'complaint' });
    expect((await emailTouchpoints(prospectId)).map((item) => item.name)).toEqual(['complained']);
  });

  it('turns deliveries, opens and clicks into touchpoints, without the link query string', async () => {
    const prospectId = await submitForm({ email: 'reader@example.com', consent: 'yes' });
    for (const name of ['ses-delivery.sns.json', 'ses-open.eventbridge.json', 'ses-click.eventbridge.json'])
      expect(await deliver(fixture(name))).toMatchObject({ touchpoints: 1, suppressed: 0 });
    const touchpoints = await emailTouchpoints(prospectId);
    expect(touchpoints.map((item) => item.name)).toEqual(['clicked', 'opened', 'delivered']);
    expect(touchpoints[0]?.properties.link).toBe('https://app.example.com/setup/crm');
    expect(await getSuppression(emailHash('reader@example.com'))).toBeUndefined();
  });

  it('suppresses an address nobody here knows, without creating a prospect for it', async () => {
    const bounce = fixture('ses-bounce-permanent.sns.json') as { Records: { Sns: { Message: string } }[] };
    const message = bounce.Records[0]!.Sns.Message.replaceAll(
      'bounce-me@example.com',
      'stranger@example.com',
    );
    bounce.Records[0]!.Sns.Message = message;
    expect(await deliver(bounce)).toMatchObject({ suppressed: 1, touchpoints: 0 });
    expect(await getAlias({ kind: 'email', value: emailHash('stranger@example.com') })).toBeUndefined();
  });

  it('ignores shapes it does not know instead of failing the delivery', async () => {
    expect(await deliver({ Records: [{ Sns: { Message: 'not json' } }] })).toMatchObject({ ignored: 1 });
    const send = fixture('ses-delivery.sns.json') as { Records: { Sns: { Message: string } }[] };
    const parsed = JSON.parse(send.Records[0]!.Sns.Message);
    send.Records[0]!.Sns.Message = JSON.stringify({ ...parsed, eventType: 'Send' });
    expect(await deliver(send)).toMatchObject({ ignored: 1, touchpoints: 0 });
  });
});
