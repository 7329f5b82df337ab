import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type APIRequest, type Page } from '@playwright/test';
import { apiPosts, article, closeDetails, expect, feedName, join, openDetails, post, status, test } from '../fixtures';

// Accessibility: no critical or serious axe-core violation on the sign-in
// page, the feed (light and dark), the feed with the connection details
// open, and the feed on a phone. Then (issue 11, item 9): the skip link,
// tap targets on a phone, new posts announced politely and together, the
// character counter speaking only near its limit, errors in people's
// words, and the connection details' "Technical details" fold.

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
  // Buttons fade their colours (0.15 s, .btn's transition): check the
  // theme as it settles, not a frame of the fade (axe once caught the feed
  // list's "Open feed" half-way).
  await a.waitForTimeout(300);
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

test('a skip link to the compose box is the first focusable element, shown when focused', async ({ browser }) => {
  const ctx = await browser.newContext();
  const a = await join(ctx, 'Ada', feedName('skip'));
  await a.reload(); // the focus starts at the top of the document
  await expect(a.getByRole('textbox', { name: 'Write a post' })).toBeVisible();
  // The wasm has taken over the prerendered page (a CI run read the link's
  // box while the takeover replaced it: null).
  await expect(status(a)).toHaveText(/^Live/);
  const skip = a.getByRole('link', { name: 'Skip to the compose box' });
  await expect.poll(async () => {
    const b = await skip.boundingBox();
    return b ? b.y + b.height : Infinity;
  }).toBeLessThanOrEqual(0); // off screen
  await a.keyboard.press('Tab');
  await expect(skip).toBeFocused();
  const shown = (await skip.boundingBox())!;
  expect(shown.y).toBeGreaterThanOrEqual(0);
  expect(shown.height).toBeGreaterThanOrEqual(44);
  await a.screenshot({ path: path.join(artifacts, 'skip-link.png'), clip: { x: 0, y: 0, width: 1100, height: 120 } });
  await a.keyboard.press('Enter');
  await expect(a.getByRole('textbox', { name: 'Write a post' })).toBeFocused();
  await ctx.close();
});

/** An API client signed in as name (a bearer token, as bots use). */
async function apiUser(playwright: { request: APIRequest }, name: string) {
  const baseURL = process.env.LIVEFEED_URL;
  const signIn = await playwright.request.newContext({ baseURL });
  const res = await signIn.post('/api/session', { data: { name } });
  expect(res.ok(), await res.text()).toBeTruthy();
  const { token } = await res.json();
  await signIn.dispose();
  return playwright.request.newContext({ baseURL, extraHTTPHeaders: { Authorization: `Bearer ${token}` } });
}

/** The buttons and links outside posts smaller than 44 × 44 CSS pixels. */
async function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('button, a[href], summary, [role="button"], input[type="submit"]')) {
      if (el.closest('article')) continue; // the post card's own
      const r = el.getBoundingClientRect();
      if ((r.width === 0 && r.height === 0) || getComputedStyle(el).visibility === 'hidden') continue; // not shown
      if (r.width < 44 || r.height < 44) {
        const name = (el.getAttribute('aria-label') || el.textContent || '').trim();
        out.push(`${el.tagName.toLowerCase()} "${name}" ${Math.round(r.width)}×${Math.round(r.height)}`);
      }
    }
    return out;
  });
}

test('tap targets: on a 390 × 844 phone every button and link outside the posts is at least 44 × 44', async ({ browser, playwright }) => {
  const feed = feedName('tap');
  const bob = await apiUser(playwright, 'Bob');
  await apiPosts(bob, feed, Array.from({ length: 35 }, (_, i) => `Older post ${i + 1}`));

  const signIn = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })).newPage();
  await signIn.goto(`/f/${feed}`);
  await expect(signIn.getByRole('button', { name: 'Join' })).toBeVisible();
  expect(await smallTargets(signIn), 'sign-in page').toEqual([]);

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const p = await join(phone, 'Pat', feed);
  await expect(article(p, 'Older post 35')).toBeVisible();
  // The list shows 30 posts, then "Show older posts" (far below, until
  // the reader comes near it: the check reads every element's box).
  await expect(p.getByRole('button', { name: 'Show older posts' })).toHaveCount(1);
  expect(await smallTargets(p), 'feed').toEqual([]);
  await openDetails(p);
  expect(await smallTargets(p), 'connection details, technical details open').toEqual([]);
  await closeDetails(p);
  // Scrolled down, a new post's pill.
  await p.evaluate(() => window.scrollTo(0, 1500));
  await apiPosts(bob, feed, ['While Pat scrolls']);
  const pill = p.getByRole('button', { name: /1 new post$/ });
  await expect(pill).toBeVisible();
  // Measured at rest: while the pill drops in (a translateY animation),
  // its box is a transformed one, whose height can come out a rounding
  // under 44 (a fresh-clone CI run reported it as 135×44: just under).
  await p.waitForFunction(() => document.getAnimations().filter((x) => (x.effect as KeyframeEffect)?.target?.closest?.('.pill')).length === 0);
  expect(await smallTargets(p), 'scrolled, with the pill').toEqual([]);
  // The taller top bar does not cover the pill.
  const bar = (await p.locator('.topbar').boundingBox())!;
  expect((await pill.boundingBox())!.y).toBeGreaterThanOrEqual(bar.y + bar.height);
  await p.screenshot({ path: path.join(artifacts, 'phone-scrolled.png') });
  await phone.close();
  await signIn.context().close();
  await bob.dispose();
});

/** Records every text the new-posts live region takes. */
async function recordAnnouncements(page: Page) {
  await page.evaluate(() => {
    const w = window as any;
    const el = document.getElementById('announcer')!;
    w.__said = [];
    new MutationObserver(() => {
      const t = (el.textContent ?? '').trim();
      if (t) w.__said.push(t);
    }).observe(el, { subtree: true, childList: true, characterData: true });
  });
}

test('new posts by others are announced politely, together, once; the pill does not announce again', async ({ browser, playwright }) => {
  const feed = feedName('announce');
  const bob = await apiUser(playwright, 'Bob');
  await apiPosts(bob, feed, Array.from({ length: 12 }, (_, i) => `Already there ${i + 1}`));

  const ctx = await browser.newContext();
  const a = await join(ctx, 'Ada', feed);
  await expect(article(a, 'Already there 12')).toBeVisible();
  const region = a.locator('#announcer');
  await expect(region).toHaveAttribute('aria-live', 'polite');
  await expect(region).toHaveText(''); // the feed as it opens is not news
  await recordAnnouncements(a);

  await post(a, 'Ada’s own post'); // never announced to Ada
  await apiPosts(bob, feed, ['Burst one', 'Burst two', 'Burst three']);
  await expect(article(a, 'Burst three')).toBeVisible();
  await expect(region).toHaveText('3 new posts from Bob');
  expect(await a.evaluate(() => (window as any).__said)).toEqual(['3 new posts from Bob']);

  // Scrolled away, a new post waits behind the pill: announced once, by
  // the region; the pill is in no live region.
  await a.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  await apiPosts(bob, feed, ['While Ada reads below']);
  const pill = a.getByRole('button', { name: /1 new post$/ });
  await expect(pill).toBeVisible();
  await expect(region).toHaveText('1 new post from Bob');
  expect(await a.evaluate(() => (window as any).__said)).toEqual(['3 new posts from Bob', '1 new post from Bob']);
  expect(await pill.evaluate((el) => el.closest('[aria-live]') === null)).toBe(true);
  await ctx.close();
  await bob.dispose();
});

test('the character counter speaks only near its limit, once per step', async ({ browser }) => {
  const ctx = await browser.newContext();
  const a = await join(ctx, 'Ada', feedName('counter'));
  const box = a.getByRole('textbox', { name: 'Write a post' });
  const counter = a.locator('#compose-counter');
  const note = a.locator('#compose-counter-note');
  await expect(counter).not.toHaveAttribute('aria-live', /.*/); // the visible counter is not a live region
  await expect(note).toHaveAttribute('aria-live', 'polite');
  await box.fill('x'.repeat(1000));
  await expect(counter).toHaveText('1000 / 2000');
  await expect(note).toHaveText('');
  await box.fill('x'.repeat(1850));
  await expect(note).toHaveText('150 characters left');
  await box.fill('x'.repeat(1890)); // the same step: nothing new to say
  await expect(counter).toHaveText('1890 / 2000');
  await expect(note).toHaveText('150 characters left');
  await box.fill('x'.repeat(1901));
  await expect(note).toHaveText('99 characters left');
  await box.fill('x'.repeat(2001));
  await expect(note).toHaveText('1 character over the limit');
  await box.fill('short again');
  await expect(note).toHaveText('');
  await ctx.close();
});

test('errors are in people’s words', async ({ page }) => {
  await page.goto(`/f/${feedName('words')}`);
  await page.getByRole('button', { name: 'Join' }).click();
  await expect(page.getByRole('alert')).toHaveText('Please enter a display name.');
  await page.getByRole('textbox', { name: 'Display name' }).fill('x'.repeat(60));
  await page.getByRole('button', { name: 'Join' }).click();
  await expect(page.getByRole('alert')).toHaveText('That name is too long: a display name can have at most 40 characters.');
});

test('connection details: plain words first, developer terms folded under "Technical details"', async ({ browser }) => {
  const feed = feedName('fold');
  const ctx = await browser.newContext();
  const a = await join(ctx, 'Ada', feed);
  await post(a, 'A post to show in the details');
  await a.getByRole('button', { name: 'Connection details', exact: true }).click();
  const panel = a.getByRole('region', { name: 'Connection details' });
  await expect(panel).toBeVisible();
  await expect(panel).toContainText('Connected. Changes by everyone appear as they happen.');
  for (const label of ['Connection', 'Last problem', 'Network', 'Waiting to send', 'Posts saved on this device']) {
    await expect(panel.getByText(label, { exact: true })).toBeVisible();
  }
  const fold = panel.locator('details.diag-tech');
  await expect(fold).not.toHaveAttribute('open', /.*/);
  for (const term of ['Replayed', 'Duplicates', 'Gaps', 'Position', 'Last error']) {
    await expect(panel.getByText(term, { exact: true })).toBeHidden();
  }
  const settle = () =>
    a.waitForFunction(
      () => document.getAnimations().filter((x) => (x.effect as KeyframeEffect)?.target?.closest?.('article, .diag')).length === 0,
    );
  await settle();
  await a.screenshot({ path: path.join(artifacts, 'details-folded.png') });
  const before = found.length;
  await serious(a, 'connection details, folded');
  await fold.locator('summary', { hasText: 'Technical details' }).click();
  for (const term of ['Replayed', 'Duplicates', 'Gaps', 'Position', 'Last error']) {
    await expect(panel.getByText(term, { exact: true })).toBeVisible();
  }
  await a.screenshot({ path: path.join(artifacts, 'details-technical.png') });
  // The fold stays open when the indicator changes around the panel (its
  // "Offline" hint comes before the toggle, and go-app draws the panel anew).
  await ctx.setOffline(true);
  await expect(a.getByRole('status').filter({ hasText: /^Offline/ })).toBeVisible();
  await expect(panel).toContainText('Your device is offline.');
  await expect(fold).toHaveAttribute('open', /.*/);
  await expect(panel.getByText('Replayed', { exact: true })).toBeVisible();
  await ctx.setOffline(false);
  await expect(panel).toContainText('Connected.');
  await a.emulateMedia({ colorScheme: 'dark' });
  await a.waitForTimeout(300); // colour transitions
  await a.screenshot({ path: path.join(artifacts, 'details-technical-dark.png') });
  await serious(a, 'connection details, technical, dark');

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const p = await join(phone, 'Pat', feed);
  await openDetails(p);
  await p.waitForFunction(
    () => document.getAnimations().filter((x) => (x.effect as KeyframeEffect)?.target?.closest?.('article, .diag')).length === 0,
  );
  await p.screenshot({ path: path.join(artifacts, 'details-technical-phone.png') });
  await phone.close();
  await ctx.close();
  expect(found.slice(before)).toEqual([]);
});
