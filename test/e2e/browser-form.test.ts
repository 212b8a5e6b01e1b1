import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLocalToken } from '../../lib/edge/http/auth.js';
import { type LocalStack, startLocalStack } from '../support/local-stack.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let stack: LocalStack | undefined;
let browser: BrowserContext | undefined;
let profileDir: string | undefined;

beforeAll(async () => {
  // A missing browser is a failure, never a skip: the test proves the plain HTML form works.
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: run \`apt-get install -y chromium\` (.ci/run does) or set CHROMIUM_PATH`,
    );
  profileDir = mkdtempSync(join(tmpdir(), 'chromium-e2e-'));
  [stack, browser] = await Promise.all([
    startLocalStack(),
    // Playwright passes the fresh profile directory as --user-data-dir.
    chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
      ],
    }),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

describe('the example site in a real browser', () => {
  it('submits the plain HTML demo form across origins, lands on the thank-you page, and stores the prospect', async () => {
    const site = stack!.siteUrl;
    const page = await browser!.newPage();
    await page.goto(`${site}/`);
    const email = `browser-${Date.now()}@example.com`;
    await page.fill('input[name=email]', email);
    await page.fill('input[name=first_name]', 'Barbara');
    await page.fill('input[name=last_name]', 'Liskov');
    await page.fill('input[name=company]', 'Example Systems');
    await page.fill('input[name=job_title]', 'CTO');
    await page.fill('input[name=company_size]', '51-200');
    await page.check('input[name=consent]');
    // The form refuses (silently, as a bot) a post sooner than 2 s after the page was rendered.
    const renderedAt = Number(await page.inputValue('input[name=_ts]'));
    await page.waitForTimeout(Math.max(0, renderedAt + 2200 - Date.now()));

    const [thanks] = await Promise.all([
      page.waitForResponse((response) => response.url() === `${site}/thanks.html`),
      page.click('button[type=submit]'),
    ]);
    const post = thanks.request().redirectedFrom();
    expect(post?.method()).toBe('POST');
    expect(post?.url()).toBe(`${stack!.apiUrl}/v1/forms/demo-request`);
    expect((await post!.response())?.status()).toBe(303);
    await page.waitForURL(`${site}/thanks.html`);
    expect(await page.textContent('#thanks')).toBe('Thank you');

    const token = signLocalToken(['prospects:read']);
    const response = await fetch(`${stack!.apiUrl}/v1/prospects?email=${encodeURIComponent(email)}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    const prospect = (await response.json()) as { timeline: { items: unknown[] } };
    expect(prospect).toMatchObject({
      traits: { email, firstName: 'Barbara', lastName: 'Liskov', company: 'Example Systems', title: 'CTO' },
      consent: { formId: 'demo-request', marketing: true },
    });
    expect(prospect.timeline.items).toHaveLength(1);
    expect(prospect.timeline.items[0]).toMatchObject({
      type: 'form',
      name: 'demo-request',
      utm: { source: 'example-site' },
    });
  });
});
