import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhookSignature } from '../../lib/edge/http/webhook-signature.js';

const NEW_SECRET = 'whsec-new-0123456789abcdef';
const OLD_SECRET = 'whsec-old-0123456789abcdef';
const now = 1_780_000_000;
const body = '{"type":"customer.created","data":{"email":"ada@example.com","plan":"pro"}}';
const hex = (header: string) => header.split('v1=')[1]!;

describe('verifyWebhookSignature', () => {
  it('accepts a body signed with the current secret and returns its timestamp', () => {
    const header = signWebhook(body, NEW_SECRET, now - 5);

    expect(verifyWebhookSignature(header, body, [NEW_SECRET], now)).toEqual({ ok: true, timestamp: now - 5 });
  });

  it('accepts either secret while ours rotate', () => {
    const secrets = [NEW_SECRET, OLD_SECRET];

    expect(verifyWebhookSignature(signWebhook(body, OLD_SECRET, now), body, secrets, now).ok).toBe(true);
    expect(verifyWebhookSignature(signWebhook(body, NEW_SECRET, now), body, secrets, now).ok).toBe(true);
  });

  it('rejects a secret that has been retired', () => {
    const header = signWebhook(body, OLD_SECRET, now);

    expect(verifyWebhookSignature(header, body, [NEW_SECRET], now)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('accepts several v1 signatures when one of them is right, as a sender rotating its secret sends', () => {
    const header = `t=${now},v1=${hex(signWebhook(body, 'someone-else', now))},v1=${hex(signWebhook(body, OLD_SECRET, now))}`;

    expect(verifyWebhookSignature(header, body, [OLD_SECRET], now).ok).toBe(true);
  });

  it('ignores schemes it does not know and spaces around entries', () => {
    const header = `t=${now}, v0=not-a-signature , v1=${hex(signWebhook(body, NEW_SECRET, now)).toUpperCase()}`;

    expect(verifyWebhookSignature(header, body, [NEW_SECRET], now).ok).toBe(true);
  });

  it('rejects a tampered body', () => {
    const header = signWebhook(body, NEW_SECRET, now);

    expect(verifyWebhookSignature(header, body.replace('pro', 'ent'), [NEW_SECRET], now)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifyWebhookSignature(header, `${body} `, [NEW_SECRET], now).ok).toBe(false);
  });

  it('rejects a timestamp changed to replay an old request', () => {
    const header = signWebhook(body, NEW_SECRET, now - 3600).replace(`t=${now - 3600}`, `t=${now}`);

    expect(verifyWebhookSignature(header, body, [NEW_SECRET], now)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('rejects any change to any character of the signature (property)', () => {
    const signature = hex(signWebhook(body, NEW_SECRET, now));
    fc.assert(
      fc.property(fc.nat({ max: 63 }), fc.constantFrom(...'0123456789abcdef'), (index, digit) => {
        fc.pre(signature[index] !== digit);
        const tampered = signature.slice(0, index) + digit + signature.slice(index + 1);

        expect(verifyWebhookSignature(`t=${now},v1=${tampered}`, body, [NEW_SECRET], now)).toEqual({
          ok: false,
          reason: 'mismatch',
        });
      }),
    );
  });

  it('signs the raw bytes, so a body that is not UTF-8 still verifies', () => {
    const bytes = Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x7d]);
    const header = signWebhook(bytes, NEW_SECRET, now);

    expect(verifyWebhookSignature(header, bytes, [NEW_SECRET], now).ok).toBe(true);
    expect(verifyWebhookSignature(header, bytes.toString('utf8'), [NEW_SECRET], now).ok).toBe(false);
    expect(
      verifyWebhookSignature(signWebhook(body, NEW_SECRET, now), Buffer.from(body), [NEW_SECRET], now).ok,
    ).toBe(true);
  });

  it('accepts a timestamp up to the tolerance away, in the past or the future', () => {
    for (const t of [now - 300, now + 300])
      expect(verifyWebhookSignature(signWebhook(body, NEW_SECRET, t), body, [NEW_SECRET], now).ok).toBe(true);
  });

  it('rejects a correctly signed request from beyond the tolerance, in the past or the future', () => {
    for (const t of [now - 301, now + 301])
      expect(verifyWebhookSignature(signWebhook(body, NEW_SECRET, t), body, [NEW_SECRET], now)).toEqual({
        ok: false,
        reason: 'expired',
      });
    const header = signWebhook(body, NEW_SECRET, now - 60);
    expect(verifyWebhookSignature(header, body, [NEW_SECRET], now, 30)).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('says mismatch, not expired, for an old request with a wrong signature', () => {
    const header = signWebhook(body, 'guess', now - 3600);

    expect(verifyWebhookSignature(header, body, [NEW_SECRET], now)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('says missing when there is no header', () => {
    for (const header of [undefined, '', '   '])
      expect(verifyWebhookSignature(header, body, [NEW_SECRET], now)).toEqual({
        ok: false,
        reason: 'missing',
      });
  });

  it('says malformed for headers that are not t=...,v1=...', () => {
    const signature = hex(signWebhook(body, NEW_SECRET, now));
    const headers = [
      'Bearer abc',
      `v1=${signature}`,
      `t=${now}`,
      `t=${now},v1=`,
      `t=${now},v1=${signature.slice(1)}`,
      `t=${now},v1=${signature.slice(2)}zz`,
      `t=-5,v1=${signature}`,
      `t=1.5,v1=${signature}`,
      `t=${now},t=${now},v1=${signature}`,
      `t=${now},v1=${signature},${'v0=x,'.repeat(500)}`,
    ];
    for (const header of headers)
      expect(verifyWebhookSignature(header, body, [NEW_SECRET], now), header.slice(0, 40)).toEqual({
        ok: false,
        reason: 'malformed',
      });
  });

  it('refuses to verify without a secret rather than accepting anything', () => {
    expect(() => verifyWebhookSignature(signWebhook(body, NEW_SECRET, now), body, [], now)).toThrow();
    expect(() => verifyWebhookSignature(signWebhook(body, NEW_SECRET, now), body, [''], now)).toThrow();
  });
});

describe('signWebhook', () => {
  it('produces t=<seconds>,v1=<64 hex digits>', () => {
    expect(signWebhook(body, NEW_SECRET, now)).toMatch(new RegExp(`^t=${now},v1=[0-9a-f]{64}$`));
  });

  it('signs "t.body" with HMAC-SHA256, so any client can produce it', () => {
    const expected = createHmac('sha256', NEW_SECRET).update(`${now}.${body}`).digest('hex');

    expect(signWebhook(body, NEW_SECRET, now)).toBe(`t=${now},v1=${expected}`);
  });
});
