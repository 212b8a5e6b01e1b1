import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MailRetryableError } from '../../lib/mail/errors.js';
import type { OutgoingMail } from '../../lib/mail/mail-provider.js';
import { outboxFileName, outboxProvider } from '../../lib/mail/outbox-provider.js';

const mail = (overrides: Partial<OutgoingMail> = {}): OutgoingMail => ({
  to: 'ada@example.com',
  from: 'Example Inc. <onboarding@example.com>',
  subject: 'Welcome aboard, Ada',
  text: 'Hello Ada,\nwelcome.',
  html: '<p>Hello Ada,</p>',
  headers: {
    'List-Unsubscribe': '<http://localhost:3000/v1/unsubscribe?token=abc.def>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  },
  tags: { prospectId: 'p-1', sequenceId: 'saas-midmarket', step: '0' },
  idempotencyKey: 'p-1#saas-midmarket#0',
  ...overrides,
});

const sentAt = new Date('2025-01-31T09:30:00.000Z');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outbox-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('outboxProvider', () => {
  it('writes one .eml named by time and key that parses back to the message', async () => {
    const outbox = outboxProvider({ dir: join(dir, 'nested'), now: () => sentAt });

    const { providerMessageId } = await outbox.send(mail());

    const files = await readdir(join(dir, 'nested'));
    expect(files).toEqual(['2025-01-31T09-30-00.000Z-p-1-saas-midmarket-0.eml']);
    const parsed = await simpleParser(await readFile(join(dir, 'nested', files[0] ?? '')));
    expect(parsed.messageId).toBe(providerMessageId);
    expect(providerMessageId).toMatch(/^<p-1-saas-midmarket-0\.[0-9a-f]{16}@example\.com>$/);
    expect(parsed.to).toMatchObject({ value: [{ address: 'ada@example.com' }] });
    expect(parsed.subject).toBe('Welcome aboard, Ada');
    expect(parsed.date).toEqual(sentAt);
    expect(parsed.text).toBe('Hello Ada,\nwelcome.');
    expect(parsed.html).toBe('<p>Hello Ada,</p>');
    expect(parsed.headers.get('list')).toEqual({
      unsubscribe: { url: 'http://localhost:3000/v1/unsubscribe?token=abc.def' },
      'unsubscribe-post': { name: 'List-Unsubscribe=One-Click' },
    });
  });

  it('keeps a re-send as a second file with the same Message-ID', async () => {
    const times = [new Date('2025-01-31T09:30:00Z'), new Date('2025-01-31T09:31:00Z')];
    const outbox = outboxProvider({ dir, now: () => times.shift() ?? sentAt });

    const first = await outbox.send(mail());
    const second = await outbox.send(mail());

    expect(second.providerMessageId).toBe(first.providerMessageId);
    expect(await readdir(dir)).toHaveLength(2);
  });

  it('reports a directory it cannot write to as retryable and leaves no temporary file', async () => {
    const blocker = join(dir, 'not-a-directory');
    await writeFile(blocker, '');
    const outbox = outboxProvider({ dir: blocker, now: () => sentAt });

    await expect(outbox.send(mail())).rejects.toBeInstanceOf(MailRetryableError);
    expect(await readdir(dir)).toEqual(['not-a-directory']);
  });
});

describe('outboxFileName', () => {
  it('keeps path separators and other unsafe characters out of the name', () => {
    expect(outboxFileName(sentAt, '../../etc/passwd#x y')).toBe(
      '2025-01-31T09-30-00.000Z-etc-passwd-x-y.eml',
    );
  });
});
