import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signUnsubscribeToken, verifyUnsubscribeToken } from '../../lib/onboarding/unsubscribe-token.js';

const SECRET = 'unsubscribe-secret-0123456789';
const payload = {
  prospectId: '3f9a1c2b7d4e5f6a8b9c0d1e',
  emailHash: 'a'.repeat(16) + '0123456789abcdef'.repeat(3),
  category: 'marketing' as const,
};
const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('unsubscribe tokens', () => {
  it('round-trips the prospect id, email hash and category', () => {
    const token = signUnsubscribeToken(payload, SECRET);

    expect(verifyUnsubscribeToken(token, SECRET)).toEqual(payload);
  });

  it('is versioned and safe in a URL as it stands', () => {
    const token = signUnsubscribeToken(payload, SECRET);

    expect(token.startsWith('v2.')).toBe(true);
    expect(encodeURIComponent(token)).toBe(token);
  });

  it('is the same token every time, so it needs no storage and never expires', () => {
    expect(signUnsubscribeToken(payload, SECRET)).toBe(signUnsubscribeToken(payload, SECRET));
  });

  it('fails when any single character is changed', () => {
    const token = signUnsubscribeToken(payload, SECRET);
    for (let index = 0; index < token.length; index++) {
      for (const replacement of `${URL_SAFE}.`) {
        if (replacement === token[index]) continue;
        const tampered = token.slice(0, index) + replacement + token.slice(index + 1);
        expect(verifyUnsubscribeToken(tampered, SECRET), tampered).toBeUndefined();
      }
    }
  });

  it('fails with another secret', () => {
    expect(verifyUnsubscribeToken(signUnsubscribeToken(payload, 'attacker-secret'), SECRET)).toBeUndefined();
  });

  it('keeps old links working after the key rotates, when the old secret is still listed', () => {
    const oldToken = signUnsubscribeToken(payload, 'retired-secret-0123456789');

    expect(verifyUnsubscribeToken(oldToken, [SECRET, 'retired-secret-0123456789'])).toEqual(payload);
    expect(verifyUnsubscribeToken(oldToken, [SECRET])).toBeUndefined();
  });

  it('rejects an unknown version or category even with a valid signature for it', () => {
    const token = signUnsubscribeToken(payload, SECRET);
    const resign = (signed: string) =>
      `${signed}.${createHmac('sha256', SECRET).update(signed).digest('base64url')}`;

    expect(verifyUnsubscribeToken(token.replace(/^v2\./, 'v3.'), SECRET)).toBeUndefined();
    expect(
      verifyUnsubscribeToken(resign(`v2.${payload.prospectId}.${payload.emailHash}.everything`), SECRET),
    ).toBeUndefined();
  });

  it('still honours a link of before categories (v1), as an unsubscribe from every category', () => {
    const signed = `v1.${payload.prospectId}.${payload.emailHash}`;
    const v1 = `${signed}.${createHmac('sha256', SECRET).update(signed).digest('base64url')}`;

    expect(verifyUnsubscribeToken(v1, SECRET)).toEqual({
      prospectId: payload.prospectId,
      emailHash: payload.emailHash,
    });
  });

  it('tells the categories apart: a marketing link is not a transactional one', () => {
    const marketing = signUnsubscribeToken(payload, SECRET);
    const transactional = signUnsubscribeToken({ ...payload, category: 'transactional' }, SECRET);

    expect(marketing).not.toBe(transactional);
    expect(verifyUnsubscribeToken(transactional, SECRET)?.category).toBe('transactional');
    expect(
      verifyUnsubscribeToken(marketing.replace('.marketing.', '.transactional.'), SECRET),
    ).toBeUndefined();
  });

  it('rejects truncated, extended and foreign tokens', () => {
    const token = signUnsubscribeToken(payload, SECRET);
    const candidates = [
      '',
      'v1',
      'v1...',
      token.slice(0, -1),
      `${token}A`,
      `${token}.extra`,
      token.replaceAll('.', '%2E'),
      'x'.repeat(100_000),
    ];

    for (const candidate of candidates) expect(verifyUnsubscribeToken(candidate, SECRET)).toBeUndefined();
  });

  it('refuses to sign a payload that would not survive the token format', () => {
    expect(() => signUnsubscribeToken({ ...payload, prospectId: 'a.b' }, SECRET)).toThrow(RangeError);
    expect(() => signUnsubscribeToken({ ...payload, emailHash: '' }, SECRET)).toThrow(RangeError);
    expect(() => signUnsubscribeToken(payload, '')).toThrow();
  });

  it('round-trips any payload and rejects it after any single change (property)', () => {
    const field = fc.stringMatching(/^[A-Za-z0-9_-]{1,128}$/);
    fc.assert(
      fc.property(
        field,
        field,
        fc.string({ minLength: 1, maxLength: 64 }),
        fc.nat(),
        fc.constantFrom(...`${URL_SAFE}.`),
        (prospectId, emailHash, secret, position, replacement) => {
          const token = signUnsubscribeToken({ prospectId, emailHash, category: 'transactional' }, secret);
          expect(verifyUnsubscribeToken(token, secret)).toEqual({
            prospectId,
            emailHash,
            category: 'transactional',
          });

          const index = position % token.length;
          fc.pre(token[index] !== replacement);
          const tampered = token.slice(0, index) + replacement + token.slice(index + 1);
          expect(verifyUnsubscribeToken(tampered, secret)).toBeUndefined();
        },
      ),
    );
  });
});
