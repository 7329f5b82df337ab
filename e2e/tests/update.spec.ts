// Issue 11, item 10: updates reach open tabs. The suite's server is
// replaced (same port and data) by a build of the same code with another
// version, as a deployment would; an open tab must show the update banner
// without a reload, and "Update" must load the new version and send what
// was pending, once. Figures go to artifacts/update.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { BrowserContext, Page, WebSocketRoute } from '@playwright/test';
import { article, expect, expectOnce, feedName, join, post, test, waitForOfflineCache } from '../fixtures';
import { buildServer, replaceServer } from '../server';

const artifacts = path.resolve(__dirname, '..', 'artifacts');
const RESULTS = path.join(artifacts, 'update.json');
const OTHER = `e2e-other-${Date.now().toString(36)}`;
let otherDir = '';
let otherBin = '';

/** Merges figures into artifacts/update.json. */
function record(key: string, value: unknown) {
  const all = fs.existsSync(RESULTS) ? JSON.parse(fs.readFileSync(RESULTS, 'utf8')) : {};
  all[key] = value;
  fs.writeFileSync(RESULTS, JSON.stringify(all, null, 2) + '\n');
}

test.beforeAll(async () => {
  test.setTimeout(300_000); // a go build on a busy machine
  otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'livefeed-e2e-other-'));
  otherBin = buildServer(otherDir, OTHER);
});

test.afterAll(async () => {
  if (otherDir) fs.rmSync(otherDir, { recursive: true, force: true });
});

/** The connection indicator (the update banner is a status region too). */
function conn(page: Page) {
  return page.getByRole('status').filter({ hasText: /^(Live|Connecting|Reconnecting|Offline|Update required)/ });
}

function banner(page: Page) {
  return page.getByRole('status').filter({ hasText: 'new version' });
}

/** The version the page runs (go-app's app script carries it). */
function running(page: Page): Promise<string> {
  return page.evaluate(() => (window as any).goappGetenv('GOAPP_VERSION') as string);
}

/** Records in the page when the update banner appears (window.__bannerAt, wall-clock ms). */
async function watchBanner(page: Page) {
  await page.evaluate(() => {
    const seen = () => {
      if (document.getElementById('update-banner') && !(window as any).__bannerAt) (window as any).__bannerAt = Date.now();
    };
    new MutationObserver(seen).observe(document.body, { childList: true, subtree: true });
    seen();
  });
}

/** Logs the service worker's update steps with their wall-clock times (window.__workerLog). */
async function watchWorker(page: Page) {
  await page.evaluate(async () => {
    const log: [string, number][] = ((window as any).__workerLog = []);
    const reg = await navigator.serviceWorker.getRegistration();
    reg?.addEventListener('updatefound', () => {
      log.push(['updatefound', Date.now()]);
      const w = reg.installing;
      w?.addEventListener('statechange', () => log.push([w.state, Date.now()]));
    });
  });
}

/** The worker log's steps as ms after t0. */
async function workerSteps(page: Page, t0: number): Promise<Record<string, number>> {
  const log: [string, number][] = await page.evaluate(() => (window as any).__workerLog ?? []);
  return Object.fromEntries(log.map(([step, at]) => [step, at - t0]));
}

/** Records when the page calls registration.update() (window.__updateCalls, wall-clock ms), in every page of ctx. */
async function spyOnUpdateChecks(ctx: BrowserContext) {
  await ctx.addInitScript(() => {
    const calls: number[] = ((window as any).__updateCalls = []);
    const update = ServiceWorkerRegistration.prototype.update;
    ServiceWorkerRegistration.prototype.update = function (this: ServiceWorkerRegistration) {
      calls.push(Date.now());
      return update.call(this);
    };
  });
}

/** Whether the page asked its worker registration for an update at or after t. */
async function checkedSince(page: Page, t: number): Promise<boolean> {
  return page.evaluate((t) => ((window as any).__updateCalls as number[]).some((at) => at >= t), t);
}

/** The texts of the feed's posts the server has stored. */
async function storedTexts(page: Page, feed: string): Promise<string[]> {
  const res = await page.request.get(`/api/feeds/${feed}`);
  expect(res.ok()).toBe(true);
  return ((await res.json()).posts ?? []).map((p: { text: string }) => p.text);
}

/**
 * Routes the context's WebSockets through the test: hold.posts keeps post
 * actions from reaching the server (they stay pending in the page), and
 * hold.appVersion removes app_version from welcome (a server that does
 * not say). welcomes lists the app_version of each welcome the page got,
 * welcomeAt when (wall-clock ms).
 */
function relay() {
  const hold = { posts: false, appVersion: false };
  const held: string[] = [];
  const welcomes: string[] = [];
  const welcomeAt: number[] = [];
  const handler = (ws: WebSocketRoute) => {
    const server = ws.connectToServer();
    ws.onMessage((m) => {
      if (hold.posts && typeof m === 'string' && JSON.parse(m).type === 'post') {
        held.push(m);
        return;
      }
      server.send(m);
    });
    server.onMessage((m) => {
      if (typeof m === 'string') {
        const msg = JSON.parse(m);
        if (msg.type === 'welcome') {
          welcomes.push(msg.data.app_version ?? '');
          welcomeAt.push(Date.now());
          if (hold.appVersion) {
            delete msg.data.app_version;
            m = JSON.stringify(msg);
          }
        }
      }
      ws.send(m);
    });
  };
  return { hold, held, welcomes, welcomeAt, handler };
}

test('a new version reaches an open tab: the banner without a reload, and Update keeps a pending post', async ({ browser }) => {
  const feed = feedName('update');
  const ctx = await browser.newContext();
  const r = relay();
  await ctx.routeWebSocket(/\/ws$/, r.handler);
  await spyOnUpdateChecks(ctx);
  try {
    const a = await join(ctx, 'Ada', feed);
    await waitForOfflineCache(a);
    await a.reload(); // now the service worker controls the page
    await expect(conn(a)).toHaveText(/^Live/);
    expect(await a.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
    const before = await running(a);
    expect(before).not.toBe(OTHER);
    expect(r.welcomes.at(-1)).toBe(before);
    await expect(banner(a)).toHaveCount(0);

    // A post that cannot reach the server: pending in the outbox.
    r.hold.posts = true;
    await post(a, 'written before the update');
    await expect(article(a, 'written before the update')).toContainText('Sending');
    await watchBanner(a);
    await watchWorker(a);

    await replaceServer(otherBin);
    const swappedAt = Date.now();
    await expect(banner(a)).toBeVisible({ timeout: 60_000 });
    const bannerAt = await a.evaluate(() => (window as any).__bannerAt as number);
    expect(r.welcomes.at(-1)).toBe(OTHER);
    const welcomedAt = r.welcomeAt[r.welcomes.indexOf(OTHER)];
    const steps = await workerSteps(a, welcomedAt);
    // The welcome made the page look (the browser may look by itself
    // too, a moment after a page load).
    expect(await checkedSince(a, welcomedAt)).toBe(true);
    await expect(banner(a).getByRole('button', { name: 'Update' })).toBeVisible();
    await a.screenshot({ path: path.join(artifacts, 'update-banner.png') });
    const axe = await new AxeBuilder({ page: a }).include('#update-banner').analyze();
    expect(axe.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious').map((v) => v.id)).toEqual([]);
    // Still the old code, the post still pending and not on the server.
    expect(await running(a)).toBe(before);
    await expect(article(a, 'written before the update')).toContainText('Sending');
    expect(r.held.length).toBeGreaterThan(0);
    expect(await storedTexts(a, feed)).toEqual([]);

    r.hold.posts = false;
    await banner(a).getByRole('button', { name: 'Update' }).click();
    await expect.poll(() => running(a).catch(() => ''), { timeout: 30_000 }).toBe(OTHER);
    await expect(conn(a)).toHaveText(/^Live/);
    await expect(article(a, 'written before the update')).not.toContainText('Sending');
    await expectOnce(a, 'written before the update');
    await expect.poll(() => storedTexts(a, feed)).toEqual(['written before the update']);
    // The new version offers no update (it is the server's).
    await expect(banner(a)).toHaveCount(0);
    await a.screenshot({ path: path.join(artifacts, 'update-done.png') });
    record('welcomeToBanner', {
      swapToBannerMs: bannerAt - swappedAt,
      swapToWelcomeMs: welcomedAt - swappedAt,
      welcomeToBannerMs: bannerAt - welcomedAt,
      workerStepsAfterWelcomeMs: steps,
      note: 'ms from the other-version server answering /healthz (as the test saw it, polling every 100 ms) to the banner in the page: the reconnect (backoff) to the welcome, then registration.update(), the new worker installing the app and activating; loopback',
    });
  } finally {
    await replaceServer();
    await ctx.close();
  }
});

test('a tab that becomes visible looks for a new version (server that does not say its version, page not controlled)', async ({ browser }) => {
  const feed = feedName('update-visible');
  const ctx = await browser.newContext();
  const r = relay();
  r.hold.appVersion = true;
  await ctx.routeWebSocket(/\/ws$/, r.handler);
  await spyOnUpdateChecks(ctx);
  try {
    const a = await join(ctx, 'Ada', feed);
    await waitForOfflineCache(a); // a first visit: the worker does not control this page
    const before = await running(a);
    await a.evaluate(() => {
      let state: DocumentVisibilityState = 'visible';
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => state === 'hidden' });
      (window as any).__setVisibility = (s: DocumentVisibilityState) => {
        state = s;
        document.dispatchEvent(new Event('visibilitychange'));
      };
    });
    await a.evaluate(() => (window as any).__setVisibility('hidden'));
    await watchBanner(a);

    const connects = r.welcomes.length;
    await replaceServer(otherBin);
    // Back on the other version, which (through the relay) does not say so.
    await expect.poll(() => r.welcomes.length, { timeout: 30_000 }).toBeGreaterThan(connects);
    expect(r.welcomes.at(-1)).toBe(OTHER);
    await expect(conn(a)).toHaveText(/^Live/);
    await expect(banner(a)).toHaveCount(0);

    await watchWorker(a);
    const shownAt = Date.now();
    await a.evaluate(() => (window as any).__setVisibility('visible'));
    await expect(banner(a)).toBeVisible({ timeout: 60_000 });
    const bannerAt = await a.evaluate(() => (window as any).__bannerAt as number);
    const steps = await workerSteps(a, shownAt);
    expect(await checkedSince(a, shownAt)).toBe(true);
    await banner(a).getByRole('button', { name: 'Update' }).click();
    await expect.poll(() => running(a).catch(() => ''), { timeout: 30_000 }).toBe(OTHER);
    expect(before).not.toBe(OTHER);
    await expect(conn(a)).toHaveText(/^Live/);
    await expect(banner(a)).toHaveCount(0);
    record('visibleToBanner', {
      visibleToBannerMs: bannerAt - shownAt,
      workerStepsAfterVisibleMs: steps,
      note: 'ms from visibilitychange (visible) to the banner: registration.update(), install, activation; the page was not controlled (first visit); loopback',
    });
  } finally {
    await replaceServer();
    await ctx.close();
  }
});

test('without a service worker the banner comes from the server’s version, and Update reloads once', async ({ browser }) => {
  const feed = feedName('update-nosw');
  const ctx = await browser.newContext({ serviceWorkers: 'block' });
  const r = relay();
  await ctx.routeWebSocket(/\/ws$/, r.handler);
  try {
    const a = await join(ctx, 'Ada', feed);
    expect(await a.evaluate(async () => !(await navigator.serviceWorker?.getRegistration()))).toBe(true);
    const before = await running(a);
    await post(a, 'before the swap');
    await expect(article(a, 'before the swap')).not.toContainText('Sending');
    await watchBanner(a);

    await replaceServer(otherBin);
    const swappedAt = Date.now();
    await expect(banner(a)).toBeVisible({ timeout: 60_000 });
    const bannerAt = await a.evaluate(() => (window as any).__bannerAt as number);
    const welcomedAt = r.welcomeAt[r.welcomes.indexOf(OTHER)];
    expect(await running(a)).toBe(before);
    await banner(a).getByRole('button', { name: 'Update' }).click();
    await expect.poll(() => running(a).catch(() => ''), { timeout: 30_000 }).toBe(OTHER);
    await expect(conn(a)).toHaveText(/^Live/);
    // The reload brought the server's version: nothing more to offer.
    await expect(banner(a)).toHaveCount(0);
    await expectOnce(a, 'before the swap');
    record('noWorkerBanner', {
      swapToBannerMs: bannerAt - swappedAt,
      welcomeToBannerMs: bannerAt - welcomedAt,
      note: 'ms from the other-version server answering /healthz (as the test saw it, polling every 100 ms: the page may reconnect first) and from its welcome to the banner, service workers blocked; loopback',
    });
  } finally {
    await replaceServer();
    await ctx.close();
  }
});
