import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type APIRequest, type Page } from '@playwright/test';
import { apiPosts, article, closeDetails, expect, feedName, join, openDetails, post, test } from '../fixtures';

// Accessibility: no critical or serious axe-core violation on the sign-in
// page, the feed (light and dark), the feed with the connection details
// open, and the feed on a phone. Then (issue 11, item 9): errors in
// people's words.

const artifacts = path.resolve(__dirname, '..', 'artifacts');

const found: string[] = [];

/** Runs axe on page; the test fails at its end with every page's findings. */
async function serious(page: Page, what: string) {
  const res = await new AxeBuilder({ page }).analyze();
  const bad = res.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious');
  const summary = bad.map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  console.log(`axe ${what}: ${res.violations.length} violations, ${bad.length} critical or serious${summary.length ? '\n  ' + summary.join('\n  ') : ''}`);
  found.push(...summary.map((s) => `${what}: ${s}`));
}

test('no critical or serious accessibility violations', async ({ browser }) => {
  const feed = feedName('a11y');
  const signIn = await (await browser.newContext()).newPage();
  await signIn.goto(`/f/${feed}`);
  await expect(signIn.getByRole('textbox', { name: 'Display name' })).toBeVisible();
  await serious(signIn, 'sign-in');

  const ctxA = await browser.newContext();
  const ctxB = await browser.newContext();
  const a = await join(ctxA, 'Ada', feed);
  const b = await join(ctxB, 'Bob', feed);
  await post(a, 'Accessible to everyone');
  await post(b, 'Reactions, edit and delete are buttons');
  await expect(a.getByRole('article').filter({ hasText: 'Reactions, edit' })).toBeVisible();
  // The new posts' highlight has faded (the live dot pulses for ever).
  await a.waitForFunction(
    () => document.getAnimations().filter((x) => (x.effect as KeyframeEffect)?.target?.closest?.('article')).length === 0,
  );
  await serious(a, 'feed, light');
  await a.emulateMedia({ colorScheme: 'dark' });
  await serious(a, 'feed, dark');
  await a.emulateMedia({ colorScheme: 'light' });
  await openDetails(a);
  await serious(a, 'feed, connection details open');

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const p = await join(phone, 'Pat', feed);
  await expect(p.getByRole('article').filter({ hasText: 'Accessible' })).toBeVisible();
  await serious(p, 'feed, phone');
  await p.screenshot({ path: path.resolve(__dirname, '..', 'artifacts', 'phone.png'), fullPage: true });
  for (const c of [ctxA, ctxB, phone]) await c.close();
  expect(found).toEqual([]);
});

test('errors are in people’s words', async ({ page }) => {
  await page.goto(`/f/${feedName('words')}`);
  await page.getByRole('button', { name: 'Join' }).click();
  await expect(page.getByRole('alert')).toHaveText('Please enter a display name.');
  await page.getByRole('textbox', { name: 'Display name' }).fill('x'.repeat(60));
  await page.getByRole('button', { name: 'Join' }).click();
  await expect(page.getByRole('alert')).toHaveText('That name is too long: a display name can have at most 40 characters.');
});

