import busboy from 'busboy';
import { badRequest, unsupportedMediaType } from './errors.js';

export type FormFields = Record<string, string | string[]>;

export const MAX_JSON_DEPTH = 32;
const MAX_FIELDS = 200;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8(bytes: Buffer, field = 'body'): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw badRequest([{ field, message: 'is not valid UTF-8' }]);
  }
}

/**
 * Parses JSON after checking its nesting depth by a linear scan, so a 10,000-deep document is refused
 * before any recursive code (parser, validator, marshaller) walks it.
 */
export function parseJson(text: string, field = 'body'): unknown {
  const depth = maxNestingDepth(text);
  if (depth > MAX_JSON_DEPTH) {
    throw badRequest([{ field, message: `is nested more than ${MAX_JSON_DEPTH} levels deep` }]);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const detail =
      error instanceof SyntaxError ? error.message.replace(/^.*?(at position \d+).*$/s, '$1') : '';
    throw badRequest([
      { field, message: `is not valid JSON${detail.startsWith('at position') ? ` (${detail})` : ''}` },
    ]);
  }
}

export function maxNestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 92 /* \ */) i++;
      else if (char === 34 /* " */) inString = false;
    } else if (char === 34) inString = true;
    else if (char === 123 /* { */ || char === 91 /* [ */) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (char === 125 /* } */ || char === 93 /* ] */) depth--;
  }
  return deepest;
}

export function parseUrlEncoded(text: string): FormFields {
  const fields: FormFields = Object.create(null);
  let count = 0;
  for (const [name, value] of new URLSearchParams(text)) {
    if (++count > MAX_FIELDS)
      throw badRequest([{ field: 'body', message: `has more than ${MAX_FIELDS} fields` }]);
    addField(fields, name, value);
  }
  return fields;
}

export function parseMultipart(bytes: Buffer, contentType: string): Promise<FormFields> {
  return new Promise((resolve, reject) => {
    const fields: FormFields = Object.create(null);
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { 'content-type': contentType },
        limits: { fields: MAX_FIELDS, fieldSize: 64 * 1024, files: 0 },
        defCharset: 'utf8',
        defParamCharset: 'utf8',
      });
    } catch {
      reject(
        badRequest([{ field: 'content-type', message: 'multipart/form-data needs a boundary parameter' }]),
      );
      return;
    }
    parser.on('field', (name, value) => addField(fields, name, value));
    parser.on('fieldsLimit', () =>
      reject(badRequest([{ field: 'body', message: `has more than ${MAX_FIELDS} fields` }])),
    );
    parser.on('filesLimit', () =>
      reject(badRequest([{ field: 'body', message: 'file uploads are not accepted' }])),
    );
    parser.on('error', () =>
      reject(badRequest([{ field: 'body', message: 'is not valid multipart/form-data' }])),
    );
    parser.on('close', () => resolve(fields));
    parser.end(bytes);
  });
}

function addField(fields: FormFields, name: string, value: string): void {
  const existing = fields[name];
  if (existing === undefined) fields[name] = value;
  else if (Array.isArray(existing)) existing.push(value);
  else fields[name] = [existing, value];
}

export type ParsedBody = { kind: 'json'; value: unknown } | { kind: 'form'; value: FormFields };

const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'application/json'];

/** JSON, urlencoded or multipart, by Content-Type; anything else is 415. */
export async function parseFormBody(bytes: Buffer, contentTypeHeader: string): Promise<ParsedBody> {
  const type = contentTypeHeader.split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json'))
    return { kind: 'json', value: parseJson(decodeUtf8(bytes)) };
  if (type === 'application/x-www-form-urlencoded')
    return { kind: 'form', value: parseUrlEncoded(decodeUtf8(bytes)) };
  if (type === 'multipart/form-data')
    return { kind: 'form', value: await parseMultipart(bytes, contentTypeHeader) };
  throw unsupportedMediaType(FORM_TYPES);
}
