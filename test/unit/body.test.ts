import { describe, expect, it } from 'vitest';
import {
  MAX_JSON_DEPTH,
  maxNestingDepth,
  parseFormBody,
  parseJson,
  parseUrlEncoded,
} from '../../lib/edge/http/body.js';
import { HttpError } from '../../lib/edge/http/errors.js';

const statusOf = async (action: () => unknown) => {
  try {
    await action();
  } catch (error) {
    return error instanceof HttpError
      ? { status: error.statusCode, errors: error.errors }
      : { status: 500, errors: [] };
  }
  return { status: 200, errors: [] };
};

describe('parseJson', () => {
  it('refuses 10,000-deep JSON with a 400 before parsing it', async () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const result = await statusOf(() => parseJson(deep));
    expect(result.status).toBe(400);
    expect(result.errors[0]?.message).toContain(`${MAX_JSON_DEPTH} levels`);
  });

  it('ignores brackets inside strings when measuring depth', () => {
    expect(maxNestingDepth('{"a":"[[[[{{{{\\"]]"}')).toBe(1);
  });

  it('reports malformed JSON as a 400 on body', async () => {
    expect(await statusOf(() => parseJson('{"email": '))).toMatchObject({
      status: 400,
      errors: [{ field: 'body' }],
    });
  });

  it('parses huge numbers to Infinity rather than failing', () => {
    expect(parseJson('{"n": 1e400}')).toEqual({ n: Number.POSITIVE_INFINITY });
  });
});

describe('parseUrlEncoded', () => {
  it('keeps __proto__ as an ordinary field without touching any prototype', () => {
    const fields = parseUrlEncoded('__proto__=polluted&constructor=x&email=a%40b.com');
    expect(Object.getPrototypeOf(fields)).toBeNull();
    expect(Object.getOwnPropertyDescriptor(fields, '__proto__')?.value).toBe('polluted');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('collects repeated fields into a list', () => {
    expect(parseUrlEncoded('tag=a&tag=b').tag).toEqual(['a', 'b']);
  });
});

describe('parseFormBody', () => {
  it('parses multipart/form-data fields', async () => {
    const boundary = 'XyZ';
    const body = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="email"\r\n\r\nada@example.com\r\n--${boundary}\r\nContent-Disposition: form-data; name="first_name"\r\n\r\nAda 😀\r\n--${boundary}--\r\n`,
    );
    const parsed = await parseFormBody(body, `multipart/form-data; boundary=${boundary}`);
    expect(parsed).toEqual({
      kind: 'form',
      value: expect.objectContaining({ email: 'ada@example.com', first_name: 'Ada 😀' }),
    });
  });

  it('refuses file uploads in multipart forms', async () => {
    const boundary = 'b';
    const body = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="cv"; filename="cv.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n--${boundary}--\r\n`,
    );
    expect(
      (await statusOf(() => parseFormBody(body, `multipart/form-data; boundary=${boundary}`))).status,
    ).toBe(400);
  });

  it('answers 415 naming content-type for anything else', async () => {
    expect(await statusOf(() => parseFormBody(Buffer.from('<x/>'), 'application/xml'))).toMatchObject({
      status: 415,
      errors: [{ field: 'content-type' }],
    });
  });

  it('answers 400 for bytes that are not UTF-8', async () => {
    expect(
      (await statusOf(() => parseFormBody(Buffer.from([0x7b, 0xff, 0x7d]), 'application/json'))).status,
    ).toBe(400);
  });
});
