import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundProperties } from '../../lib/capture/properties.js';

describe('boundProperties', () => {
  it('drops prototype keys without touching any prototype', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1, "ok": 2}');
    const { properties, truncated } = boundProperties(input);
    expect(properties).toEqual({ ok: 2 });
    expect(truncated).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('drops non-finite numbers and repairs lone surrogates', () => {
    expect(boundProperties({ big: Number.POSITIVE_INFINITY, text: 'a\uDC00' }).properties).toEqual({
      text: 'a\uFFFD',
    });
  });

  it('bounds depth', () => {
    let nested: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 20; i++) nested = { nested };
    expect(JSON.stringify(boundProperties({ nested }).properties).split('{').length - 1).toBeLessThanOrEqual(
      7,
    );
  });

  it('always fits the byte limit and always serialises to well-formed JSON', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue()),
        fc.integer({ min: 64, max: 4096 }),
        (input, limit) => {
          const { properties } = boundProperties(input, limit);
          const text = JSON.stringify(properties);
          expect(Buffer.byteLength(text)).toBeLessThanOrEqual(limit);
          expect(text.isWellFormed()).toBe(true);
        },
      ),
    );
  });
});
