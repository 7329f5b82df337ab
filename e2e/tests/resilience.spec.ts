// Browser resilience (issue 4): a hidden page and a page restored from the
// back/forward cache reconnect at once instead of waiting out their backoff;
// a page behind a black-holed network notices by heartbeat, shows
// "Reconnecting", then "Live" without a reload, and misses nothing. The
// figures go to artifacts/resilience.json.
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import {
  article,
  closeDetails,
  detail,
  expect,
  expectOnce,
  feedName,
  join,
  msUntilNextTry,
  openDetails,
  post,
  status,
  test,
} from '../fixtures';
import { FaultProxy } from '../faultproxy';
import { startExtraServer, stopExtraServer, type ServerState } from '../server';

const artifacts = path.resolve(__dirname, '..', 'artifacts');
const RESULTS = path.join(artifacts, 'resilience.json');

/** Merges figures into artifacts/resilience.json. */
function record(key: string, value: unknown) {
  fs.mkdirSync(artifacts, { recursive: true });
  const all = fs.existsSync(RESULTS) ? JSON.parse(fs.readFileSync(RESULTS, 'utf8')) : {};
  all[key] = value;
  fs.writeFileSync(RESULTS, JSON.stringify(all, null, 2) + '\n');
  console.log(`${key}: ${JSON.stringify(value)}`);
}

/**
 * How long the session must still have to wait before its next attempt
 * when the page comes back, so that a reconnect within a second can only be
 * the page's doing (RetryNow), not the backoff timer running out.
 */
const MIN_WAIT_LEFT = 2500;

/**
 * Takes the server down and waits until the page is in a backoff wait with
 * at least `longer` ms to go (the backoff grows while the server stays
 * down), then starts the server again. Returns the wait left afterwards.
 */
async function restartDuringLongBackoff(
  page: Page,
  server: { stop(): Promise<void>; restart(): Promise<void> },
  beforeRestart?: () => Promise<void>,
) {
  const longer = 8000;
  await server.stop();
  await expect(status(page)).toHaveText(/^Reconnecting/);
  // Delays are drawn from [0, min(30 s, 0.5 s·2^n)]: a draw of 8 s or more
  // comes within a few attempts.
  await expect
    .poll(() => msUntilNextTry(page), {
      timeout: 120_000,
      intervals: [100],
      message: 'a backoff wait of 8 s or more',
    })
    .toBeGreaterThan(longer);
  await beforeRestart?.();
  const t = Date.now();
  await server.restart();
  const restartMs = Date.now() - t;
  const waitLeftMs = await msUntilNextTry(page);
  // The server is back, but the page still waits: without the lifecycle
  // event it would stay "Reconnecting" for waitLeftMs more.
  expect(await status(page).textContent()).toMatch(/^Reconnecting/);
  expect(waitLeftMs, 'the session should still be waiting for its next attempt').toBeGreaterThan(MIN_WAIT_LEFT);
  return { restartMs, waitLeftMs };
}

/**
 * Runs trigger in the page and resolves with the milliseconds from it to
 * the indicator saying "Live" (observed on the DOM mutation itself), and
 * the wall-clock time that happened.
 */
async function timeToLive(page: Page, trigger: string): Promise<{ ms: number; at: number; text: string }> {
  return page.evaluate(
    (trigger) =>
      new Promise<{ ms: number; at: number; text: string }>((resolve) => {
        const text = () => document.getElementById('connection-status')?.textContent ?? '';
        const t0 = performance.now();
        const finish = (ms: number) => {
          obs.disconnect();
          clearTimeout(timer);
          resolve({ ms: Math.round(ms), at: Date.now(), text: text() });
        };
        const obs = new MutationObserver(() => {
          if (text().startsWith('Live')) finish(performance.now() - t0);
        });
        obs.observe(document.body, { subtree: true, childList: true, characterData: true });
        const timer = setTimeout(() => finish(-1), 15_000);
        (window as any)[trigger]();
      }),
    trigger,
  );
}

/** Replaces document.visibilityState and document.hidden with a switch the test controls (window.__setVisibility). */
async function emulateVisibility(page: Page) {
  await page.evaluate(() => {
    let state: DocumentVisibilityState = 'visible';
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => state === 'hidden' });
    const set = (s: DocumentVisibilityState) => {
      state = s;
      document.dispatchEvent(new Event('visibilitychange'));
    };
    (window as any).__setVisibility = set;
    (window as any).__hide = () => set('hidden');
    (window as any).__show = () => set('visible');
  });
}

/** Logs each change of the indicator's text with its wall-clock time (window.__statusLog). */
async function recordStatus(page: Page) {
  await page.evaluate(() => {
    const w = window as any;
    const read = () => document.getElementById('connection-status')?.textContent ?? '';
    let last = read();
    w.__statusLog = [{ t: Date.now(), text: last }];
    new MutationObserver(() => {
      const now = read();
      if (now !== last) {
        last = now;
        w.__statusLog.push({ t: Date.now(), text: now });
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

async function statusLog(page: Page): Promise<{ t: number; text: string }[]> {
  return page.evaluate(() => (window as any).__statusLog);
}

test('a hidden page reconnects within a second of becoming visible after a server restart', async ({ browser, server }) => {
  test.setTimeout(180_000);
  const feed = feedName('hidden');
  const ctx = await browser.newContext();
  const a = await join(ctx, 'Ada', feed);
  await post(a, 'before the restart');
  await expect(article(a, 'before the restart')).not.toContainText('Sending');
  await emulateVisibility(a);
  await openDetails(a);

  await a.evaluate(() => (window as any).__hide());
  expect(await a.evaluate(() => document.visibilityState)).toBe('hidden');
  const { restartMs, waitLeftMs } = await restartDuringLongBackoff(a, server, async () => {
    await a.screenshot({ path: path.join(artifacts, 'diagnostics-reconnecting.png') });
  });
  const nextTryAt = Date.now() + waitLeftMs;

  const live = await timeToLive(a, '__show');
  expect(live.ms, `the page did not say "Live" within 15 s of becoming visible (it said "${live.text}")`).toBeGreaterThanOrEqual(0);
  record('hiddenToLive', {
    visibleToLiveMs: live.ms,
    backoffWaitLeftMs: waitLeftMs,
    serverRestartMs: restartMs,
    note: 'ms from visibilitychange (visible) to the indicator saying Live, while the session had backoffWaitLeftMs still to wait',
  });
  // It came from the visibility event, not from the backoff running out...
  expect(live.at).toBeLessThan(nextTryAt - 500);
  // ...and within a second.
  expect(live.ms).toBeLessThan(1000);

  // The details panel saw it all: one reconnect, one resume, no gaps.
  await expect(detail(a, 'state')).toHaveText('Live');
  await expect(detail(a, 'connects')).toHaveText('2');
  await expect(detail(a, 'reconnects')).toHaveText('1');
  await expect(detail(a, 'resumes')).toHaveText('1');
  await expect(detail(a, 'gaps')).toHaveText('0');
  await expect(detail(a, 'history-gone')).toHaveText('0');
  await expect(detail(a, 'last-error')).not.toHaveText(/^None/);
  await expectOnce(a, 'before the restart');
  await closeDetails(a);
  await post(a, 'after the restart');
  await expect(article(a, 'after the restart')).not.toContainText('Sending');
  await ctx.close();
});

test('a page restored from the back/forward cache reconnects at once', async ({ playwright, server, baseURL }, testInfo) => {
  test.setTimeout(180_000);
  // Playwright turns the back/forward cache off by default.
  const b = await playwright.chromium.launch({
    ...testInfo.project.use.launchOptions,
    headless: true,
    ignoreDefaultArgs: ['--disable-back-forward-cache'],
  });
  try {
    const ctx = await b.newContext({ baseURL });
    const feed = feedName('bfcache');
    const a = await join(ctx, 'Ada', feed);
    await openDetails(a);
    await a.evaluate(() => {
      const w = window as any;
      w.__shows = [];
      window.addEventListener('pageshow', (e) => w.__shows.push(e.persisted));
      // Measured from the restore: when pageshow fires, time to "Live".
      w.__restored = new Promise<{ ms: number; at: number }>((resolve) => {
        window.addEventListener('pageshow', (e) => {
          if (!e.persisted) return;
          const t0 = performance.now();
          const read = () => document.getElementById('connection-status')?.textContent ?? '';
          const obs = new MutationObserver(() => {
            if (read().startsWith('Live')) {
              obs.disconnect();
              resolve({ ms: Math.round(performance.now() - t0), at: Date.now() });
            }
          });
          obs.observe(document.body, { subtree: true, childList: true, characterData: true });
        });
      });
    });
    const { waitLeftMs } = await restartDuringLongBackoff(a, server);
    const nextTryAt = Date.now() + waitLeftMs;

    // Away and back quickly: a long absence would also look like a clock
    // jump (the session reconnects after one of more than 5 s by itself).
    const left = Date.now();
    await a.goto('/robots.txt');
    await a.goBack({ waitUntil: 'commit' });
    const awayMs = Date.now() - left;
    expect(await a.evaluate(() => (window as any).__shows)).toEqual([true]);
    const live = await a.evaluate(() => (window as any).__restored as Promise<{ ms: number; at: number }>);
    record('bfcacheToLive', {
      pageshowToLiveMs: live.ms,
      awayMs,
      backoffWaitLeftMs: waitLeftMs,
      note: 'ms from pageshow (persisted) to the indicator saying Live, while the session had backoffWaitLeftMs still to wait',
    });
    expect(awayMs).toBeLessThan(4000);
    expect(live.at).toBeLessThan(nextTryAt - 500);
    expect(live.ms).toBeLessThan(1000);
    await expect(detail(a, 'reconnects')).toHaveText('1');
    await ctx.close();
  } finally {
    await b.close();
  }
});

test.describe('through the fault proxy', () => {
  // A server of its own with a 1 s heartbeat (detection in about 1.5 s),
  // and the proxy in front of it.
  let srv: ServerState;
  let proxy: FaultProxy;
  test.beforeAll(async () => {
    srv = await startExtraServer('heartbeat-1s', ['--heartbeat', '1s']);
    proxy = await FaultProxy.start(`127.0.0.1:${srv.port}`, path.join(artifacts, 'faultproxy.log'));
  });
  test.afterAll(async () => {
    await proxy?.stop();
    if (srv) await stopExtraServer(srv);
  });
  // On a failure, what each page showed: the indicator's history, the
  // posts, and the session's counters.
  let watched: Page[] = [];
  test.beforeEach(() => {
    watched = [];
  });
  test.afterEach(async ({}, testInfo) => {
    if (testInfo.status === testInfo.expectedStatus) return;
    for (const [i, p] of watched.entries()) {
      const state = await p
        .evaluate(() => ({
          url: location.href,
          statusLog: (window as any).__statusLog,
          posts: [...document.querySelectorAll('article')].map((a) => a.textContent),
        }))
        .catch((e) => ({ error: String(e) }));
      const panel = await openDetails(p)
        .then((d) => d.innerText())
        .catch((e) => String(e));
      const file = testInfo.outputPath(`page-${i}.json`);
      fs.writeFileSync(file, JSON.stringify({ ...state, panel }, null, 2) + '\n');
      await testInfo.attach(`page-${i}.json`, { path: file, contentType: 'application/json' });
    }
  });

  test('a black-holed network: "Reconnecting", then "Live" without a reload; nothing missed or doubled', async ({ browser }) => {
    const feed = feedName('blackhole');
    // Ada reaches the server through the proxy (she signs in there too:
    // the page, its cookie and its WebSocket all go to the proxy's address);
    // Bob directly.
    const ctxA = await browser.newContext({ baseURL: proxy.url });
    const ctxB = await browser.newContext({ baseURL: srv.url });
    const a = await join(ctxA, 'Ada', feed);
    const b = await join(ctxB, 'Bob', feed);
    watched = [a, b];
    await expect(b.getByText('2 online')).toBeVisible();
    await post(b, 'before the black hole');
    await expect(article(a, 'before the black hole')).toBeVisible();
    await a.evaluate(() => ((window as any).__sameDocument = true));
    await recordStatus(a);

    const holeAt = Date.now();
    await proxy.blackhole(true);
    await expect(status(a)).toHaveText(/^Reconnecting/, { timeout: 10_000 });
    const noticed = (await statusLog(a)).find((e) => e.text.startsWith('Reconnecting'))!;
    const detectMs = noticed.t - holeAt;
    // What the session saw, from the details panel (which covers the
    // compose box, so it is closed again).
    await openDetails(a);
    const why = (await detail(a, 'last-error').locator('.diag-error').textContent()) ?? '';
    await closeDetails(a);
    // The server notices too (its pings go unanswered) and drops Ada.
    await expect(b.getByText('1 online')).toBeVisible({ timeout: 10_000 });

    // Meanwhile Bob posts, and Ada writes into her outbox.
    await post(b, 'during the black hole 1');
    await post(b, 'during the black hole 2');
    await post(a, 'Ada wrote this in the dark');
    await expect(article(a, 'Ada wrote this in the dark')).toContainText('Sending');
    await a.waitForTimeout(1000);
    await expect(article(a, 'during the black hole')).toHaveCount(0);
    await expect(status(a)).toHaveText(/^Reconnecting/);

    const healAt = Date.now();
    await proxy.blackhole(false);
    await expect(status(a)).toHaveText(/^Live/, { timeout: 30_000 });
    const back = (await statusLog(a)).find((e) => e.t >= healAt && e.text.startsWith('Live'))!;
    record('blackHole', {
      heartbeatMs: 1000,
      detectMs,
      detectedBy: why.includes('heartbeat') ? 'client heartbeat deadline' : `connection closed (${why})`,
      healToLiveMs: back.t - healAt,
      note: 'detectMs: from black-holing the proxy to the indicator saying Reconnecting (bound: 1.5 heartbeat intervals after the last frame received)',
    });
    // Detected within two heartbeat intervals.
    expect(detectMs).toBeLessThan(2000);

    // No reload, and every post exactly once on both pages.
    expect(await a.evaluate(() => (window as any).__sameDocument)).toBe(true);
    for (const p of [a, b]) {
      await expectOnce(p, 'before the black hole');
      await expectOnce(p, 'during the black hole 1');
      await expectOnce(p, 'during the black hole 2');
      await expectOnce(p, 'Ada wrote this in the dark');
    }
    await expect(article(a, 'Ada wrote this in the dark')).not.toContainText('Sending');
    await expect(b.getByText('2 online')).toBeVisible();
    await openDetails(a);
    await expect(detail(a, 'reconnects')).not.toHaveText('0');
    await expect(detail(a, 'gaps')).toHaveText('0');
    await expect(detail(a, 'duplicates')).toHaveText('0');
    await expect(detail(a, 'history-gone')).toHaveText('0');
    expect(Number(await detail(a, 'replayed').textContent())).toBeGreaterThanOrEqual(2);
    await closeDetails(a);

    // Live both ways again.
    await post(a, 'after the black hole');
    await expectOnce(b, 'after the black hole');
    await ctxA.close();
    await ctxB.close();
  });

  test('a cut connection: "Reconnecting", then "Live" without a reload', async ({ browser }) => {
    const feed = feedName('cut');
    const ctx = await browser.newContext({ baseURL: proxy.url });
    const a = await join(ctx, 'Ada', feed);
    watched = [a];
    await post(a, 'before the cut');
    await expect(article(a, 'before the cut')).not.toContainText('Sending');
    await a.evaluate(() => ((window as any).__sameDocument = true));
    await recordStatus(a);
    const cutAt = Date.now();
    await proxy.cut();
    // The reconnect may be quick: read the transitions from the log.
    await expect
      .poll(async () => (await statusLog(a)).map((e) => e.text.replace(/ —.*|…/, '')).filter((t, i, xs) => t !== xs[i - 1]), {
        timeout: 15_000,
      })
      .toEqual(['Live', 'Reconnecting', 'Live']);
    const log = await statusLog(a);
    record('cut', { cutToLiveMs: log[log.length - 1].t - cutAt });
    expect(await a.evaluate(() => (window as any).__sameDocument)).toBe(true);
    await expectOnce(a, 'before the cut');
    await ctx.close();
  });
});

test('the connection details panel', async ({ browser }) => {
  const feed = feedName('details');
  const ctx = await browser.newContext();
  const a = await join(ctx, 'Ada', feed);
  await post(a, 'A post to show the feed position');
  await expect(article(a, 'A post to show the feed position')).not.toContainText('Sending');
  const toggle = a.getByRole('button', { name: 'Connection details', exact: true });
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await expect(a.getByRole('region', { name: 'Connection details' })).toHaveCount(0);
  const panel = await openDetails(a);
  await expect(detail(a, 'state')).toHaveText('Live');
  await expect(detail(a, 'connects')).toHaveText('1');
  await expect(detail(a, 'reconnects')).toHaveText('0');
  await expect(detail(a, 'position')).toHaveText(/^\d+$/);
  await expect(detail(a, 'cached')).toHaveText('1');
  await expect(detail(a, 'last-error')).toHaveText('None');
  for (const label of ['Resumes', 'History gone', 'Replayed', 'Duplicates', 'Gaps', 'Last catch-up', 'Next try', 'Attempt']) {
    await expect(panel.getByText(label, { exact: true })).toBeVisible();
  }
  // It follows the feed live (Bob posts: the open panel covers Ada's compose box).
  const before = Number(await detail(a, 'position').textContent());
  const ctxB = await browser.newContext();
  const b = await join(ctxB, 'Bob', feed);
  await post(b, 'And one more');
  await expect.poll(async () => Number(await detail(a, 'position').textContent())).toBeGreaterThan(before);
  await expect(detail(a, 'cached')).toHaveText('2');
  await ctxB.close();

  await a.waitForFunction(
    () => document.getAnimations().filter((x) => (x.effect as KeyframeEffect)?.target?.closest?.('article, .diag')).length === 0,
  );
  await a.screenshot({ path: path.join(artifacts, 'diagnostics.png') });
  await a.emulateMedia({ colorScheme: 'dark' });
  await a.waitForTimeout(300); // colour transitions
  await a.screenshot({ path: path.join(artifacts, 'diagnostics-dark.png') });
  await a.emulateMedia({ colorScheme: 'light' });

  // On a phone-sized screen it fits the width.
  const ctxN = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const n = await join(ctxN, 'Ada', feed);
  const narrow = await openDetails(n);
  const box = (await narrow.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(390);
  await n.waitForFunction(
    () => document.getAnimations().filter((x) => (x.effect as KeyframeEffect)?.target?.closest?.('article, .diag')).length === 0,
  );
  await n.screenshot({ path: path.join(artifacts, 'diagnostics-narrow.png') });
  await ctxN.close();

  // Escape closes it and gives the focus back to the toggle; so does Close.
  await panel.getByRole('button', { name: 'Close' }).focus();
  await a.keyboard.press('Escape');
  await expect(panel).toHaveCount(0);
  await expect(toggle).toBeFocused();
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await toggle.press('Enter');
  await expect(panel).toBeVisible();
  await panel.getByRole('button', { name: 'Close' }).click();
  await expect(panel).toHaveCount(0);
  await expect(toggle).toBeFocused();
  await ctx.close();
});

test.describe('a page shown again', () => {
  // The default heartbeat (10 s): without a probe, a silently dead
  // connection would be noticed only after 15 s.
  let srv: ServerState;
  let proxy: FaultProxy;
  test.beforeAll(async () => {
    srv = await startExtraServer('heartbeat-default', []);
    proxy = await FaultProxy.start(`127.0.0.1:${srv.port}`, path.join(artifacts, 'faultproxy-probe.log'));
  });
  test.afterAll(async () => {
    await proxy?.stop();
    if (srv) await stopExtraServer(srv);
  });

  test('probes its connection: one that died silently while hidden is replaced within seconds', async ({ browser }) => {
    const feed = feedName('probe');
    const ctxA = await browser.newContext({ baseURL: proxy.url });
    const ctxB = await browser.newContext({ baseURL: srv.url });
    const a = await join(ctxA, 'Ada', feed);
    const b = await join(ctxB, 'Bob', feed);
    await post(b, 'before hiding');
    await expect(article(a, 'before hiding')).toBeVisible();
    await emulateVisibility(a);
    await recordStatus(a);

    // Shown again on a healthy connection: the server answers the probe
    // and nothing changes.
    await a.evaluate(() => (window as any).__hide());
    await a.evaluate(() => (window as any).__show());
    await a.waitForTimeout(4000);
    await expect(status(a)).toHaveText(/^Live/);
    expect((await statusLog(a)).map((e) => e.text.replace(/ —.*|…/, ''))).toEqual(['Live']);

    // Hidden, the network goes silent (no close, no error), and Bob posts.
    await a.evaluate(() => (window as any).__hide());
    await proxy.blackhole(true);
    await post(b, 'while Ada was away');
    await a.waitForTimeout(1000);
    await expect(status(a)).toHaveText(/^Live/); // it cannot know yet
    const shownAt = Date.now();
    await a.evaluate(() => (window as any).__show());
    await expect(status(a)).toHaveText(/^Reconnecting/, { timeout: 15_000 });
    const noticed = (await statusLog(a)).find((e) => e.text.startsWith('Reconnecting'))!;
    const detectMs = noticed.t - shownAt;
    await proxy.blackhole(false);
    await expect(status(a)).toHaveText(/^Live/, { timeout: 30_000 });
    record('probe', {
      shownToReconnectingMs: detectMs,
      probeTimeoutMs: 3000,
      heartbeatDeadlineMs: 15000,
      note: 'ms from visibilitychange (visible) on a silently dead connection to the indicator saying Reconnecting',
    });
    // The probe's answer is due within 3 s; the heartbeat deadline would
    // have been 15 s.
    expect(detectMs).toBeGreaterThanOrEqual(2500);
    expect(detectMs).toBeLessThan(6000);
    await expectOnce(a, 'before hiding');
    await expectOnce(a, 'while Ada was away');
    await ctxA.close();
    await ctxB.close();
  });
});
