import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type BrowserContext, type Page } from '@playwright/test';
import { apiPosts, article, expect, feedName, join, post, test } from '../fixtures';

// Knowing what is new (issue 11, item 5; docs/whats-new.md): the count in
// the title and on the app badge while the tab is hidden, the "New since
// you left" divider after a reload, and notifications of mentions.

const artifacts = path.resolve(__dirname, '..', 'artifacts');
const dividerText = 'New since you left';

/**
 * Runs in every page of a context before the app: records what the app
 * does with the Badging API, window.focus and the Notification API
 * (window.__badges, __focus, __notes, __asked). Notifications are still
 * the browser's own (a subclass), so permissions and onclick behave as
 * they would.
 */
function recorder() {
  const w = window as any;
  w.__badges = [];
  w.__focus = 0;
  w.__notes = [];
  w.__asked = 0;
  const nav = navigator as any;
  nav.setAppBadge = (n?: number) => {
    w.__badges.push(n ?? 'flag');
    return Promise.resolve();
  };
  nav.clearAppBadge = () => {
    w.__badges.push('clear');
    return Promise.resolve();
  };
  const focus = window.focus.bind(window);
  window.focus = () => {
    w.__focus++;
    focus();
  };
  const Real = window.Notification;
  if (!Real) return;
  class Recorded extends Real {
    static requestPermission(...args: any[]) {
      w.__asked++;
      return (Real.requestPermission as any)(...args);
    }
    constructor(title: string, opts?: NotificationOptions) {
      super(title, opts);
      (this as any).__rec = { title, body: opts?.body, tag: opts?.tag, closed: false };
      w.__notes.push(this);
    }
    close() {
      (this as any).__rec.closed = true;
      super.close();
    }
  }
  w.Notification = Recorded;
}

/** The notifications the page created, as recorded. */
function notes(page: Page): Promise<{ title: string; body: string; tag: string; closed: boolean }[]> {
  return page.evaluate(() => (window as any).__notes.map((n: any) => n.__rec));
}

/**
 * Makes page hidden or visible as far as it can tell and fires
 * visibilitychange: headless Chromium has no real hidden state (see
 * e2e/README.md, resilience.spec.ts).
 */
async function setHidden(page: Page, hidden: boolean) {
  await page.evaluate((h) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

async function recordingContext(browser: import('@playwright/test').Browser, opts = {}): Promise<BrowserContext> {
  const ctx = await browser.newContext(opts);
  await ctx.addInitScript(recorder);
  return ctx;
}

test('while the tab is hidden, the title and the app badge count posts by others', async ({ browser }) => {
  const feed = feedName('count');
  const ctxA = await recordingContext(browser);
  const ctxB = await browser.newContext();
  const a = await join(ctxA, 'Ada', feed);
  const b = await join(ctxB, 'Bob', feed);
  const title = `#${feed} · Livefeed`;
  await expect(a).toHaveTitle(title);

  await setHidden(a, true);
  await post(b, 'Bob while Ada is away, one');
  await apiPosts(ctxA.request, feed, ['Ada from her phone']); // her own: not counted
  await post(b, 'Bob while Ada is away, two');
  await expect(a).toHaveTitle(`(2) ${title}`);
  await expect(article(a, 'Ada from her phone')).toBeVisible();
  await expect(article(a, 'away, two')).toBeVisible();
  await expect(a).toHaveTitle(`(2) ${title}`);
  await expect.poll(() => a.evaluate(() => (window as any).__badges.at(-1))).toBe(2);

  // Visible again: cleared.
  await setHidden(a, false);
  await expect(a).toHaveTitle(title);
  await expect.poll(() => a.evaluate(() => (window as any).__badges.at(-1))).toBe('clear');

  // Ada was at the top: she has seen them; hidden again, the count starts
  // from there.
  await setHidden(a, true);
  await post(b, 'Bob while Ada is away, three');
  await expect(article(a, 'away, three')).toBeVisible();
  await expect(a).toHaveTitle(`(1) ${title}`);
  await expect(a.getByText(dividerText)).toHaveCount(0); // a short absence sets none
  await expect.poll(() => a.evaluate(() => (window as any).__badges.at(-1))).toBe(1);
  await setHidden(a, false);
  await expect(a).toHaveTitle(title);
  for (const c of [ctxA, ctxB]) await c.close();
});

/** Where the divider is: the texts of the posts right above and right below it, on screen and in the DOM. */
async function aroundDivider(page: Page) {
  const at = await page.evaluate(() => {
    const dividers = [...document.querySelectorAll('.seen-divider')];
    if (dividers.length !== 1) return { count: dividers.length, above: '', below: '', next: '' };
    const d = dividers[0].getBoundingClientRect();
    const arts = [...document.querySelectorAll('article')].map((el) => ({ el, r: el.getBoundingClientRect() }));
    const below = arts.filter((x) => x.r.top >= d.bottom).sort((x, y) => x.r.top - y.r.top)[0];
    const above = arts.filter((x) => x.r.bottom <= d.top).sort((x, y) => y.r.bottom - x.r.bottom)[0];
    const next = dividers[0].nextElementSibling;
    return {
      count: 1,
      above: above?.el.textContent ?? '',
      below: below?.el.textContent ?? '',
      next: next?.tagName === 'ARTICLE' ? next.textContent ?? '' : '',
    };
  });
  return at;
}

/** Checks that the divider is the only one, right below the post with text above and right above the one with text below. */
async function expectDivider(page: Page, above: string, below: string) {
  const at = await aroundDivider(page);
  expect(at.count, 'dividers').toBe(1);
  expect(at.above, 'the post right above the divider').toContain(above);
  expect(at.below, 'the post right below the divider').toContain(below);
  expect(at.next, 'the element after the divider').toContain(below);
}

test('after a reload, "New since you left" sits above the newest post the reader had seen', async ({ browser }) => {
  const feed = feedName('divider');
  const ctxA = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const ctxB = await browser.newContext();
  const a = await join(ctxA, 'Ada', feed);
  await join(ctxB, 'Bob', feed);
  const seen = ['Seen one', 'Seen two', 'Seen three', 'Seen four', 'Seen five'];
  await apiPosts(ctxB.request, feed, seen);
  await expect(article(a, 'Seen five')).toBeVisible(); // Ada at the top: seen
  await expect(a.getByText(dividerText)).toHaveCount(0); // a first visit has none
  await expect
    .poll(() => a.evaluate((f) => Object.keys(localStorage).some((k) => k.endsWith(`/seen/${f}`)), feed))
    .toBe(true);
  await a.close();

  // Away: Bob posts twice, Ada once from elsewhere.
  await apiPosts(ctxB.request, feed, ['Unseen one', 'Unseen two']);
  await apiPosts(ctxA.request, feed, ['Ada from elsewhere']);

  const a2 = await ctxA.newPage();
  await a2.goto(`/f/${feed}`);
  await expect(article(a2, 'Ada from elsewhere')).toBeVisible();
  await expect(a2.getByText(dividerText, { exact: true })).toBeVisible();
  await expectDivider(a2, 'Unseen one', 'Seen five');

  // Posts arriving on top leave it where it is.
  await apiPosts(ctxB.request, feed, ['Live after the reload']);
  await expect(article(a2, 'Live after the reload')).toBeVisible();
  await expectDivider(a2, 'Unseen one', 'Seen five');

  // Screenshots (phone, phone dark, desktop) and axe with the divider,
  // without scrolling (leaving the top and coming back would take it
  // away), once the new posts' highlight is over.
  await a2.waitForFunction(() => document.querySelector('.post-fresh') === null);
  await a2.screenshot({ path: path.join(artifacts, 'whatsnew-divider-phone.png'), fullPage: true });
  await a2.emulateMedia({ colorScheme: 'dark' });
  await a2.screenshot({ path: path.join(artifacts, 'whatsnew-divider-dark.png'), fullPage: true });
  const dark = await new AxeBuilder({ page: a2 }).analyze();
  await a2.emulateMedia({ colorScheme: 'light' });
  await a2.setViewportSize({ width: 1100, height: 900 });
  await a2.screenshot({ path: path.join(artifacts, 'whatsnew-divider.png'), fullPage: true });
  const light = await new AxeBuilder({ page: a2 }).analyze();
  for (const res of [light, dark]) {
    const bad = res.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious');
    expect(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  }
  await expectDivider(a2, 'Unseen one', 'Seen five');

  // Read on (scroll away from the top), then back to the top: gone.
  await a2.setViewportSize({ width: 390, height: 844 });
  await a2.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await apiPosts(ctxB.request, feed, ['While Ada reads below']);
  await expect(a2.getByRole('button', { name: '1 new post' })).toBeVisible(); // she is away from the top
  await expect(a2.getByText(dividerText)).toHaveCount(1);
  await a2.evaluate(() => window.scrollTo(0, 0));
  await expect(article(a2, 'While Ada reads below')).toBeVisible();
  await expect(a2.getByText(dividerText)).toHaveCount(0);

  // And it stays gone after a reload: she has seen everything.
  await a2.reload();
  await expect(article(a2, 'While Ada reads below')).toBeVisible();
  await expect(a2.getByRole('status').filter({ hasText: /^Live/ })).toBeVisible();
  await expect(a2.getByText(dividerText)).toHaveCount(0);
  for (const c of [ctxA, ctxB]) await c.close();
});

test('visible again after a minute or more hidden (not 50 s): the divider marks what came meanwhile', async ({ browser }) => {
  const feed = feedName('away');
  const ctxA = await browser.newContext();
  const ctxB = await browser.newContext();
  // The page's clock is Playwright's, so that a minute can pass at once.
  const a = await ctxA.newPage();
  await a.clock.install();
  await a.goto(`/f/${feed}`);
  await a.getByRole('textbox', { name: 'Display name' }).fill('Ada');
  await a.getByRole('button', { name: 'Join' }).click();
  await expect(a.getByRole('status').filter({ hasText: /^Live/ })).toBeVisible();
  await join(ctxB, 'Bob', feed);
  await apiPosts(ctxB.request, feed, ['Before Ada left']);
  await expect(article(a, 'Before Ada left')).toBeVisible();

  // 50 s away: too short to set the divider.
  await setHidden(a, true);
  await apiPosts(ctxB.request, feed, ['During a short absence']);
  await expect(a).toHaveTitle(`(1) #${feed} · Livefeed`);
  await a.clock.fastForward('00:50');
  await setHidden(a, false);
  await expect(a).toHaveTitle(`#${feed} · Livefeed`);
  await apiPosts(ctxB.request, feed, ['After the short absence']);
  await expect(article(a, 'After the short absence')).toBeVisible();
  await expect(a.getByText(dividerText)).toHaveCount(0);

  // A minute (awayFor): the divider sits above what she saw last.
  await setHidden(a, true);
  await apiPosts(ctxB.request, feed, ['While Ada was away']);
  await expect(a).toHaveTitle(`(1) #${feed} · Livefeed`);
  await a.clock.fastForward('01:00');
  await setHidden(a, false);
  await expect(a).toHaveTitle(`#${feed} · Livefeed`);
  await expectDivider(a, 'While Ada was away', 'After the short absence');
  for (const c of [ctxA, ctxB]) await c.close();
});

test('mentions: one notification per post that mentions the reader, only while hidden, never for their own', async ({
  browser,
  baseURL,
}) => {
  const feed = feedName('mention');
  const ctxA = await recordingContext(browser);
  await ctxA.grantPermissions(['notifications'], { origin: baseURL });
  const ctxB = await browser.newContext();
  const a = await join(ctxA, 'Ada Lovelace', feed);
  const b = await join(ctxB, 'Bob', feed);
  const title = `#${feed} · Livefeed`;

  const toggle = a.getByRole('button', { name: 'Notify me of mentions' });
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  expect(await a.evaluate(() => (window as any).__asked)).toBe(0); // granted already: nothing to ask
  await a.screenshot({ path: path.join(artifacts, 'whatsnew-mentions-on.png'), clip: { x: 0, y: 0, width: 1100, height: 320 } });

  // Visible: nothing.
  await post(b, '@Ada Lovelace while you are looking');
  await expect(article(a, 'while you are looking')).toBeVisible();
  expect(await notes(a)).toEqual([]);

  await setHidden(a, true);
  await post(b, 'Hello everyone');
  await post(b, '@ada lovelace are you there?');
  await post(b, 'mail ada@lovelace.example about it'); // not a mention
  await apiPosts(ctxA.request, feed, ['Note to self, @Ada Lovelace']); // her own
  await expect(a).toHaveTitle(`(3) ${title}`);
  await expect(article(a, 'Note to self')).toBeVisible();
  expect(await notes(a)).toEqual([
    { title: `Bob mentioned you in #${feed}`, body: '@ada lovelace are you there?', tag: expect.stringMatching(/^livefeed-mention:/), closed: false },
  ]);

  // A click on it focuses the tab and closes it.
  await a.evaluate(() => (window as any).__notes[0].dispatchEvent(new Event('click')));
  expect(await a.evaluate(() => (window as any).__focus)).toBe(1);
  expect((await notes(a))[0].closed).toBe(true);

  // Another one, still hidden; back on the page, it is closed.
  await post(b, 'Thanks @Ada Lovelace!');
  await expect(a).toHaveTitle(`(4) ${title}`);
  await expect.poll(async () => (await notes(a)).length).toBe(2);
  expect((await notes(a))[1]).toMatchObject({ body: 'Thanks @Ada Lovelace!', closed: false });
  await setHidden(a, false);
  await expect.poll(async () => (await notes(a))[1].closed).toBe(true);

  // The choice outlives a reload.
  await a.reload();
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');

  // Turned off: nothing more.
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  await setHidden(a, true);
  await post(b, '@Ada Lovelace once more');
  await expect(a).toHaveTitle(`(1) ${title}`);
  await expect(article(a, 'once more')).toBeVisible();
  expect(await notes(a)).toEqual([]);
  for (const c of [ctxA, ctxB]) await c.close();
});

test('mentions: the permission is asked for on a click only', async ({ browser }) => {
  const feed = feedName('ask');
  const ctx = await recordingContext(browser);
  const a = await join(ctx, 'Ada', feed);
  const toggle = a.getByRole('button', { name: 'Notify me of mentions' });
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  expect(await a.evaluate(() => (window as any).__asked)).toBe(0);
  await toggle.click();
  await expect.poll(() => a.evaluate(() => (window as any).__asked)).toBe(1);
  // Headless Chromium answers without a prompt; whatever it says, the
  // toggle shows the outcome.
  const perm = await a.evaluate(() => Notification.permission);
  await expect(toggle).toHaveAttribute('aria-pressed', perm === 'granted' ? 'true' : 'false');
  if (perm === 'denied') await expect(a.getByText(/Notifications are blocked/)).toBeVisible();
  await ctx.close();
});
