import * as z from 'zod';
import { configIdSchema } from '../model/config-ids.js';
import type { FieldError } from '../model/errors.js';
import { escapeHtml } from '../util/html.js';
import { cleanLine } from '../util/text.js';

/**
 * Templates are configuration documents with `{{name}}` placeholders and nothing else: no logic, no helpers,
 * no unescaped output. Names may be dotted (`{{sequence.name}}`, `{{expectations.first-response}}`) and may
 * carry a default (`{{firstName|there}}`).
 */
export const TEMPLATE_FIELDS = ['subject', 'text', 'html'] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

export const SUBJECT_MAX_LENGTH = 200;

// Strict, like the other config kinds: a misspelt field is an error, not silently dropped.
export const templateSchema = z
  .strictObject({
    id: configIdSchema,
    subject: z
      .string()
      .min(1)
      .max(SUBJECT_MAX_LENGTH)
      .regex(/^[^\r\n]*$/, 'must be one line'),
    text: z.string().min(1).max(100_000),
    html: z.string().min(1).max(200_000),
  })
  .superRefine((template, ctx) => {
    for (const field of TEMPLATE_FIELDS) {
      for (const problem of parse(template[field]).problems) {
        ctx.addIssue({ code: 'custom', path: [field], message: problem });
      }
    }
  });

export type Template = z.infer<typeof templateSchema>;

export type TemplateValue = string | number | boolean | null | undefined | TemplateValues;
export type TemplateValues = { readonly [name: string]: TemplateValue };

export type RenderedTemplate = { subject: string; text: string; html: string };

/** Every placeholder name the template uses, sorted, each once. */
export function templatePlaceholders(template: Pick<Template, TemplateField>): string[] {
  const names = new Set<string>();
  for (const field of TEMPLATE_FIELDS) {
    for (const part of parse(template[field]).parts) if (typeof part !== 'string') names.add(part.name);
  }
  return [...names].sort();
}

/** Malformed braces and names outside `allowed`, so a template that cannot render fails at config time. */
export function validateTemplate(
  template: Pick<Template, TemplateField>,
  allowed: ReadonlySet<string> | ((name: string) => boolean),
): FieldError[] {
  const isAllowed = typeof allowed === 'function' ? allowed : (name: string) => allowed.has(name);
  const errors: FieldError[] = [];
  for (const field of TEMPLATE_FIELDS) {
    const { parts, problems } = parse(template[field]);
    const messages = [...problems];
    for (const part of parts) {
      if (messages.length >= MAX_PROBLEMS) break;
      if (typeof part !== 'string' && !isAllowed(part.name)) {
        messages.push(`unknown placeholder {{${part.name}}} at ${position(template[field], part.offset)}`);
      }
    }
    for (const message of messages) errors.push({ field, message });
  }
  return errors;
}

/**
 * Values are escaped for where they land: HTML-escaped in html, control characters dropped in text, and the
 * subject made one line of at most SUBJECT_MAX_LENGTH, so no value can add markup or a header. A value that
 * is missing (or not a string, number or boolean) renders as its default, else as nothing.
 */
export function renderTemplate(
  template: Pick<Template, TemplateField>,
  values: TemplateValues,
): RenderedTemplate {
  const render = (source: string, clean: (value: string) => string) =>
    parse(source)
      .parts.map((part) =>
        typeof part === 'string' ? part : clean(lookup(values, part.name) ?? part.fallback),
      )
      .join('');
  return {
    subject: cleanLine(
      render(template.subject, (value) => cleanLine(value, SUBJECT_MAX_LENGTH)),
      SUBJECT_MAX_LENGTH,
    ),
    text: render(template.text, plainText),
    html: render(template.html, (value) => escapeHtml(plainText(value))),
  };
}

// Tab and newline are text; every other control character is noise at best, a terminal escape at worst.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const TEXT_CONTROLS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

function plainText(value: string): string {
  return value.toWellFormed().replace(/\r\n?/g, '\n').replace(TEXT_CONTROLS, '');
}

// Own properties only: `{{constructor}}` must not reach Object.prototype.
function lookup(values: TemplateValues, name: string): string | undefined {
  let value: TemplateValue = Object.hasOwn(values, name) ? values[name] : undefined;
  if (value === undefined) {
    value = values;
    for (const segment of name.split('.')) {
      value = isValues(value) && Object.hasOwn(value, segment) ? value[segment] : undefined;
    }
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)))
    return String(value);
  return undefined;
}

const isValues = (value: TemplateValue): value is TemplateValues =>
  typeof value === 'object' && value !== null;

type Placeholder = { name: string; fallback: string; offset: number };
type Parsed = { parts: (string | Placeholder)[]; problems: string[] };

const NAME = '[A-Za-z][A-Za-z0-9_-]*(?:\\.[A-Za-z][A-Za-z0-9_-]*)*';
const PLACEHOLDER = new RegExp(`^\\s*(${NAME})\\s*(?:\\|([^{}\\r\\n]{0,200}))?$`);
// `{firstName}}`: a placeholder missing a brace. A general stray `}}` would flag CSS such as `@media{a{b:c}}`.
const MISSING_OPEN_BRACE = new RegExp(`(?<!\\{)\\{\\s*${NAME}\\s*(?:\\|[^{}\\r\\n]*)?\\}\\}`, 'g');

const MAX_PROBLEMS = 20;

// Malformed placeholders stay literal text in `parts`; validation reports them. Linear in the source length.
function parse(source: string): Parsed {
  const parts: (string | Placeholder)[] = [];
  const problems: string[] = [];
  // Positions cost a scan each: only for the problems that are kept.
  const problem = (message: string, offset: number) => {
    if (problems.length < MAX_PROBLEMS) problems.push(`${message} at ${position(source, offset)}`);
  };
  const literal = (text: string, offset: number) => {
    if (text === '') return;
    for (const match of text.matchAll(MISSING_OPEN_BRACE)) {
      problem(`"${match[0]}" is missing an opening brace`, offset + match.index);
    }
    parts.push(text);
  };

  let index = 0;
  let close = -1;
  while (index < source.length) {
    const open = source.indexOf('{{', index);
    if (open === -1) break;
    literal(source.slice(index, open), index);
    if (close < open + 2) close = source.indexOf('}}', open + 2);
    if (close === -1) {
      problem('"{{" is not closed', open);
      index = open;
      break;
    }
    const nextOpen = source.indexOf('{{', open + 2);
    if (nextOpen !== -1 && nextOpen < close) {
      problem('"{{" is not closed', open);
      parts.push(source.slice(open, nextOpen));
      index = nextOpen;
      continue;
    }
    const inner = source.slice(open + 2, close);
    const match = inner.startsWith('{') ? null : PLACEHOLDER.exec(inner);
    if (match?.[1]) {
      parts.push({ name: match[1], fallback: (match[2] ?? '').trim(), offset: open });
    } else {
      problem(
        inner.startsWith('{')
          ? 'triple braces (unescaped output) are not supported'
          : `"{{${inner.slice(0, 40)}}}" is not a placeholder name`,
        open,
      );
      parts.push(source.slice(open, close + 2));
    }
    index = close + 2;
  }
  literal(source.slice(index), index);
  return { parts, problems };
}

function position(source: string, offset: number): string {
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}
