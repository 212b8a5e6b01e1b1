import { describe, expect, it } from 'vitest';
import { replyAddress, sendRef, verifyReplyAddress } from '../../lib/onboarding/reply-address.js';
import { signSurveyToken, verifySurveyToken } from '../../lib/onboarding/survey-token.js';

const SECRET = 'survey-secret-0123456789';
const now = new Date('2026-12-01T10:00:00Z');
const payload = {
  prospectId: '3f9a1c2b7d4e5f6a8b9c0d1e',
  sequenceId: 'saas-midmarket-onboarding',
  stepId: 'nps-30-days',
  kind: 'nps' as const,
  answer: 9,
  expires: now.getTime() / 1000 + 86_400,
};

describe('survey tokens', () => {
  it('round-trips the person, the send, the kind and the answer, and is safe in a URL', () => {
    const token = signSurveyToken(payload, SECRET);

    expect(encodeURIComponent(token)).toBe(token);
    expect(verifySurveyToken(token, [SECRET], now)).toEqual({ ok: true, payload });
  });

  it('is refused as forged when any part is changed, or signed with another secret', () => {
    const token = signSurveyToken(payload, SECRET);
    for (const tampered of [
      token.replace('.9.', '.0.'),
      token.replace('.nps.', '.csat.'),
      token.replace('nps-30-days', 'welcome'),
      token.replace(payload.prospectId, '0'.repeat(24)),
    ])
      expect(verifySurveyToken(tampered, [SECRET], now)).toEqual({ ok: false, reason: 'forged' });
    expect(verifySurveyToken(signSurveyToken(payload, 'another-deployment-secret'), [SECRET], now)).toEqual({
      ok: false,
      reason: 'forged',
    });
  });

  it('verifies with a retired secret still listed', () => {
    const old = signSurveyToken(payload, 'retired-survey-secret-01');

    expect(verifySurveyToken(old, [SECRET, 'retired-survey-secret-01'], now).ok).toBe(true);
  });

  it('expires', () => {
    const token = signSurveyToken(payload, SECRET);

    expect(verifySurveyToken(token, [SECRET], new Date((payload.expires + 1) * 1000))).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('refuses malformed tokens before any MAC, and answers off the scale even when signed', () => {
    for (const token of ['', 's1', 'x'.repeat(400), signSurveyToken(payload, SECRET).replace(/^s1/, 's2')])
      expect(verifySurveyToken(token, [SECRET], now)).toEqual({ ok: false, reason: 'malformed' });
    expect(() => signSurveyToken({ ...payload, kind: 'csat', answer: 0 }, SECRET)).toThrow(RangeError);
  });
});

describe('reply addresses', () => {
  const send = { prospectId: payload.prospectId, sequenceId: payload.sequenceId, stepId: 'welcome' };

  it('fits a local part (64 characters) and names the person and the send', () => {
    const address = replyAddress(send, 'reply.example.com', SECRET);
    const local = address.split('@')[0]!;

    expect(local.length).toBeLessThanOrEqual(64);
    expect(address).toMatch(/^reply\+1[a-f0-9]+@reply\.example\.com$/);
    expect(verifyReplyAddress(address, 'reply.example.com', [SECRET])).toEqual({
      prospectId: send.prospectId,
      sendRef: sendRef(send.sequenceId, send.stepId),
    });
  });

  it('survives a mail system that upper-cases the address', () => {
    const address = replyAddress(send, 'reply.example.com', SECRET).toUpperCase();

    expect(verifyReplyAddress(address, 'reply.example.com', [SECRET])?.prospectId).toBe(send.prospectId);
  });

  it('attributes nothing to a forged, foreign or misdirected address', () => {
    const address = replyAddress(send, 'reply.example.com', SECRET);
    const [local] = address.split('@') as [string];
    const flipped = `${local.slice(0, -1)}${local.endsWith('0') ? '1' : '0'}@reply.example.com`;

    expect(verifyReplyAddress(flipped, 'reply.example.com', [SECRET])).toBeUndefined();
    expect(verifyReplyAddress(address, 'reply.example.com', ['another-secret-0123456789'])).toBeUndefined();
    expect(
      verifyReplyAddress(address.replace('reply.example.com', 'evil.example'), 'reply.example.com', [SECRET]),
    ).toBeUndefined();
    expect(verifyReplyAddress('reply+1@reply.example.com', 'reply.example.com', [SECRET])).toBeUndefined();
  });
});
