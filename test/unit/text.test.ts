import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanLine, cleanText, isEmailAddress, normaliseEmail } from '../../lib/util/text.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const hasControl = (value: string) => /[\u0000-\u001F\u007F-\u009F]/.test(value);
const isWellFormed = (value: string) => value.isWellFormed();

describe('cleanLine', () => {
  it('removes control characters and line breaks, collapses spacing', () => {
    expect(cleanLine('  Ada\u0000 \r\n Lovelace\u0007 ')).toBe('Ada Lovelace');
  });

  it('repairs lone surrogates into U+FFFD', () => {
    expect(cleanLine('a\uD800b')).toBe('a\uFFFDb');
  });

  it('never cuts a surrogate pair when truncating', () => {
    expect(cleanLine('ab😀', 3)).toBe('ab');
  });

  it('always yields well-formed single-line text within the limit, and is idempotent', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.integer({ min: 1, max: 300 }),
        (input, max) => {
          const cleaned = cleanLine(input, max);
          expect(hasControl(cleaned)).toBe(false);
          expect(isWellFormed(cleaned)).toBe(true);
          expect(cleaned.length).toBeLessThanOrEqual(max);
          expect(cleanLine(cleaned, max)).toBe(cleaned);
        },
      ),
    );
  });
});

describe('cleanText', () => {
  it('keeps line breaks but normalises CRLF and drops other controls', () => {
    expect(cleanText('line one\r\nline\u0000 two')).toBe('line one\nline two');
  });
});

describe('normaliseEmail', () => {
  it('lower-cases, trims and folds full-width forms', () => {
    expect(normaliseEmail('  Ada@Example.COM ')).toBe('ada@example.com');
    expect(normaliseEmail('ａｄａ@example.com')).toBe('ada@example.com');
  });

  it('is idempotent and case-insensitive for any address', () => {
    fc.assert(
      fc.property(fc.emailAddress(), (email) => {
        const once = normaliseEmail(email);
        expect(normaliseEmail(once)).toBe(once);
        expect(normaliseEmail(email.toUpperCase())).toBe(normaliseEmail(email.toLowerCase()));
      }),
    );
  });
});

describe('isEmailAddress', () => {
  it('accepts ordinary addresses and refuses obvious non-addresses', () => {
    expect(isEmailAddress('ada.lovelace+demo@example.co.uk')).toBe(true);
    for (const bad of [
      'ada',
      'ada@',
      '@example.com',
      'ada@example',
      'a b@example.com',
      'ada@@example.com',
      `${'a'.repeat(250)}@example.com`,
    ]) {
      expect(isEmailAddress(bad)).toBe(false);
    }
  });
});
