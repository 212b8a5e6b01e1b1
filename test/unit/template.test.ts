import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { outboxProvider } from '../../lib/mail/outbox-provider.js';
import {
  renderTemplate,
  type Template,
  templatePlaceholders,
  templateSchema,
  validateTemplate,
} from '../../lib/onboarding/template.js';

const welcome: Template = {
  id: 'welcome',
  subject: 'Welcome to {{sequence.name}}, {{firstName|there}}',
  text: 'Hi {{firstName|there}},\n{{expectations.first-response}}\nLeave: {{unsubscribeUrl}}',
  html: '<p>Hi {{ firstName | there }},</p><p>{{expectations.first-response}}</p><a href="{{unsubscribeUrl}}">Leave</a>',
};

const allowed = new Set([
  'firstName',
  'company',
  'expectations.first-response',
  'unsubscribeUrl',
  'sequence.name',
]);

const values = {
  firstName: 'Ada',
  sequence: { name: 'Midmarket onboarding' },
  'expectations.first-response': 'A specialist replies within 1 business day.',
  unsubscribeUrl: 'https://api.example.com/v1/unsubscribe?token=a&b=c',
};

describe('renderTemplate', () => {
  it('fills flat and nested dotted names and escapes values in html only', () => {
    expect(renderTemplate(welcome, values)).toEqual({
      subject: 'Welcome to Midmarket onboarding, Ada',
      text: 'Hi Ada,\nA specialist replies within 1 business day.\nLeave: https://api.example.com/v1/unsubscribe?token=a&b=c',
      html: '<p>Hi Ada,</p><p>A specialist replies within 1 business day.</p><a href="https://api.example.com/v1/unsubscribe?token=a&amp;b=c">Leave</a>',
    });
  });

  it('escapes markup in a name in html and keeps it literal in text', () => {
    const rendered = renderTemplate(welcome, { ...values, firstName: `<script>alert("x")</script>'&` });

    expect(rendered.html).toContain('<p>Hi &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&amp;,</p>');
    expect(rendered.html).not.toContain('<script>');
    expect(rendered.text).toContain(`Hi <script>alert("x")</script>'&,`);
  });

  it('uses the default when a value is missing, empty-string when it has none', () => {
    const rendered = renderTemplate(welcome, { sequence: { name: 'Onboarding' } });

    expect(rendered.subject).toBe('Welcome to Onboarding, there');
    expect(rendered.text).toBe('Hi there,\n\nLeave: ');
  });

  it('renders numbers and booleans, and treats objects as missing', () => {
    const template = { ...welcome, subject: '{{company|your team}} {{firstName}} {{sequence.name}}' };

    expect(
      renderTemplate(template, { company: { name: 'x' }, firstName: 42, sequence: { name: true } }).subject,
    ).toBe('your team 42 true');
  });

  it('never reads inherited properties such as constructor', () => {
    const template = {
      ...welcome,
      subject: 'a{{constructor}}b{{firstName.constructor|c}}',
      text: '{{toString}}',
    };

    const rendered = renderTemplate(template, { firstName: 'Ada' });

    expect(rendered.subject).toBe('abc');
    expect(rendered.text).toBe('');
  });

  it('makes the subject one line without control characters, at most 200 characters', () => {
    const rendered = renderTemplate(welcome, {
      ...values,
      firstName: `Ada\r\nBcc: x@evil.example\u0007${'y'.repeat(300)}`,
    });

    expect(rendered.subject).toMatch(/^Welcome to Midmarket onboarding, Ada Bcc: x@evil\.exampley+$/);
    expect(rendered.subject).toHaveLength(200);
  });

  it('drops control characters from text values but keeps line breaks', () => {
    const rendered = renderTemplate(
      { ...welcome, text: '[{{firstName}}]' },
      { firstName: 'A\u0000d\u001b[31ma\r\nB\tc' },
    );

    expect(rendered.text).toBe('[Ad[31ma\nB\tc]');
  });

  it('cannot add a header through a name, in the message as sent', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'template-'));
    try {
      const firstName = 'Ada\r\nBcc: x@evil.example\r\nX-Injected: yes';
      const rendered = renderTemplate(welcome, { ...values, firstName });

      await outboxProvider({ dir }).send({
        ...rendered,
        to: 'ada@example.com',
        from: 'Example Inc. <onboarding@example.com>',
        headers: {},
        tags: {},
        idempotencyKey: 'k-1',
      });

      const [file] = await readdir(dir);
      const raw = await readFile(join(dir, file ?? ''), 'utf8');
      const parsed = await simpleParser(raw);
      expect(parsed.bcc).toBeUndefined();
      expect(parsed.headers.has('x-injected')).toBe(false);
      expect(parsed.subject).toBe('Welcome to Midmarket onboarding, Ada Bcc: x@evil.example X-Injected: yes');
      const headerBlock = raw.slice(0, raw.indexOf('\r\n\r\n'));
      expect(headerBlock).not.toMatch(/^(bcc|x-injected):/im);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('validateTemplate', () => {
  it('accepts a template whose placeholders are all allowed', () => {
    expect(validateTemplate(welcome, allowed)).toEqual([]);
  });

  it('reports unknown placeholders with the field and position', () => {
    const template = { ...welcome, html: '<p>Hi {{firstName}}</p>\n<p>{{lastName}} at {{company.size}}</p>' };

    expect(validateTemplate(template, allowed)).toEqual([
      { field: 'html', message: 'unknown placeholder {{lastName}} at line 2, column 4' },
      { field: 'html', message: 'unknown placeholder {{company.size}} at line 2, column 20' },
    ]);
  });

  it('accepts a predicate for families of names', () => {
    const template = { ...welcome, text: '{{expectations.anything}} {{traits.title}}' };

    expect(
      validateTemplate(template, (name) => allowed.has(name) || name.startsWith('expectations.')),
    ).toEqual([{ field: 'text', message: 'unknown placeholder {{traits.title}} at line 1, column 27' }]);
  });

  it.each([
    ['Hi {{firstName', '"{{" is not closed at line 1, column 4'],
    ['Hi {{firstName {{company}}', '"{{" is not closed at line 1, column 4'],
    ['Hi {firstName}} there', '"{firstName}}" is missing an opening brace at line 1, column 4'],
    ['Hi {{first name}}', '"{{first name}}" is not a placeholder name at line 1, column 4'],
    ['Hi {{}}', '"{{}}" is not a placeholder name at line 1, column 4'],
    ['Hi {{{firstName}}}', 'triple braces (unescaped output) are not supported at line 1, column 4'],
  ])('reports malformed braces in %j', (text, message) => {
    expect(validateTemplate({ ...welcome, text }, allowed)).toContainEqual({ field: 'text', message });
  });

  it('reports at most 20 problems per field for a pathological template', () => {
    const html = `${'{{'.repeat(50_000)}}}${'{x}}'.repeat(10_000)}`;
    const text = '{{unknown}}'.repeat(10_000);

    const errors = validateTemplate({ ...welcome, text, html }, allowed);

    expect(errors.filter((error) => error.field === 'text')).toHaveLength(20);
    expect(errors.filter((error) => error.field === 'html')).toHaveLength(20);
  });

  it('leaves single braces alone, CSS included', () => {
    const html =
      '<style>@media (max-width:600px){.x{width:100%}}</style><p>{{firstName}} {not a placeholder}</p>';

    expect(validateTemplate({ ...welcome, html }, allowed)).toEqual([]);
  });
});

describe('templatePlaceholders', () => {
  it('lists each name once, sorted', () => {
    expect(templatePlaceholders(welcome)).toEqual([
      'expectations.first-response',
      'firstName',
      'sequence.name',
      'unsubscribeUrl',
    ]);
  });
});

describe('templateSchema', () => {
  it('accepts a well-formed template', () => {
    expect(templateSchema.parse(welcome)).toEqual(welcome);
  });

  it('rejects malformed braces at config time with the field path', () => {
    const result = templateSchema.safeParse({ ...welcome, html: '<p>{{firstName</p>' });

    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['html', '"{{" is not closed at line 1, column 4'],
    ]);
  });

  it('rejects fields it does not know, such as a misspelt one', () => {
    const result = templateSchema.safeParse({ ...welcome, htlm: '<p></p>' });

    expect(result.success).toBe(false);
  });

  it('rejects a multi-line subject and an id that is not lower-case-hyphen', () => {
    const result = templateSchema.safeParse({ ...welcome, id: 'Welcome Mail', subject: 'a\nb' });

    expect(result.error?.issues.map((issue) => issue.path.join('.')).sort()).toEqual(['id', 'subject']);
  });
});
