import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Page } from '@playwright/test';
import { expect, guardXSS, test, waitForOfflineCache } from '../fixtures';

// The PWA itself (issue 11, PWA polish; issue 3, the not-found page):
// installable with no errors, a manifest with an id and icon purposes,
// every precached resource local and cached, go-app's scripts and our
// stylesheet compressed, no bogus og tags, and a styled 404 page.

const artifacts = path.resolve(__dirname, '..', 'artifacts');

/** Waits until the page's service worker is active. */
async function workerReady(page: Page) {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
}

test('installable: Chromium reports no installability errors', async ({ baseURL, browser }) => {
  // Playwright's contexts are off the record, where Chromium always
  // reports "in-incognito": a persistent context (a real profile) is what
  // a person installs from.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'livefeed-pwa-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    ...test.info().project.use.launchOptions,
    headless: true,
    baseURL,
  });
  try {
    const page = await ctx.newPage();
    await page.goto('/');
    await workerReady(page);
    const cdp = await ctx.newCDPSession(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    console.log(`installability errors (persistent profile): ${installabilityErrors.length} ${JSON.stringify(installabilityErrors)}`);
    expect(installabilityErrors).toEqual([]);
    const manifest = await cdp.send('Page.getAppManifest');
    expect(manifest.url).toBe(`${baseURL}/manifest.webmanifest`);
    expect(manifest.errors).toEqual([]);
    const { appId } = await cdp.send('Page.getAppId');
    expect(appId).toBe(`${baseURL}/`);
  } finally {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  // In the suite's usual (off-the-record) context, nothing but that.
  const otr = await browser.newContext();
  const page = await otr.newPage();
  await page.goto('/');
  await workerReady(page);
  const cdp = await otr.newCDPSession(page);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  console.log(`installability errors (off the record): ${JSON.stringify(installabilityErrors)}`);
  expect(installabilityErrors.filter((e) => e.errorId !== 'in-incognito')).toEqual([]);
  await otr.close();
});

test('manifest: an id, icon purposes, every precached resource local and cached', async ({ page, request }) => {
  const res = await request.get('/manifest.webmanifest');
  expect(res.status()).toBe(200);
  expect(res.headers()['content-type']).toBe('application/manifest+json');
  const m = await res.json();
  expect(m.id).toBe('/');
  expect(m.start_url).toBe('/');
  const purposes = Object.fromEntries(m.icons.map((i: { src: string; purpose: string }) => [i.src, i.purpose]));
  expect(purposes).toEqual({
    '/web/icon-maskable-512.png': 'maskable',
    '/web/icon.svg': 'any',
    '/web/icon-512.png': 'any',
    '/web/icon-192.png': 'any',
  });

  // The worker's precache list: all local, all fetchable.
  const worker = await (await request.get('/app-worker.js')).text();
  const list: string[] = JSON.parse(/const resourcesToCache = (\[.*\]);/.exec(worker)![1]);
  expect(list).toEqual(expect.arrayContaining(['/', '/manifest.webmanifest', '/app.js', '/wasm_exec.js', '/web/app.css', '/app.css']));
  for (const u of list) {
    expect(u.startsWith('/') && !u.startsWith('//'), u).toBe(true);
    expect((await request.get(u)).status(), u).toBe(200);
  }
  for (const icon of m.icons) expect(list, icon.src).toContain(icon.src);

  // The browser caches every one of them (compressed responses included).
  await page.goto('/');
  await waitForOfflineCache(page);
  const missing = await page.evaluate(async (urls) => {
    const c = await caches.open((await caches.keys())[0]);
    const out: string[] = [];
    for (const u of urls) if (!(await c.match(u))) out.push(u);
    return out;
  }, list);
  expect(missing).toEqual([]);
});

test('compressed: app.js, wasm_exec.js and app.css come brotli-encoded to Chromium, gzip to gzip clients', async ({ browser, request }) => {
  const files = ['/app.js', '/wasm_exec.js', '/web/app.css', '/app.css'];
  // A fresh context: the first load comes from the network, not the worker.
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const enc: Record<string, string> = {};
  page.on('response', async (r) => {
    const p = new URL(r.url()).pathname;
    if (files.includes(p) || p === '/web/app.wasm') enc[p] = (await r.allHeaders())['content-encoding'] ?? 'identity';
  });
  await page.goto('/');
  await expect(page.getByRole('textbox', { name: 'Display name' })).toBeVisible();
  const sizes = await page.evaluate((names) =>
    performance
      .getEntriesByType('resource')
      .map((e) => e as PerformanceResourceTiming)
      .filter((e) => names.includes(new URL(e.name).pathname))
      .map((e) => ({ path: new URL(e.name).pathname, encoded: e.encodedBodySize, decoded: e.decodedBodySize })),
  files);
  console.log(`as Chromium loads them: ${JSON.stringify(enc)} ${JSON.stringify(sizes)}`);
  for (const f of files) expect(enc[f], f).toBe('br');
  expect(enc['/web/app.wasm']).toBe('br');
  for (const s of sizes) expect(s.encoded, s.path).toBeLessThan(s.decoded);
  await ctx.close();

  for (const f of files) {
    for (const [accept, want] of [
      ['gzip', 'gzip'],
      ['br', 'br'],
      ['identity', undefined],
    ]) {
      const r = await request.get(f, { headers: { 'Accept-Encoding': accept! } });
      expect(r.status(), f).toBe(200);
      const h = r.headers();
      expect(h['content-encoding'], `${f} ${accept}`).toBe(want);
      expect(h['vary'], f).toBe('Accept-Encoding');
      expect(h['content-type'], f).toBe(f.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8');
      expect(h['etag'], f).toMatch(/^"[0-9a-f]+(-br|-gzip)?"$/);
    }
  }
});

test('no og:url or og:image without --public-url', async ({ request }) => {
  for (const p of ['/', '/f/team']) {
    const page = await (await request.get(p)).text();
    expect(page, p).not.toContain('property="og:url"');
    expect(page, p).not.toContain('property="og:image"');
    expect(page, p).not.toContain('content="https://"');
    expect(page, p).toContain('property="og:title"');
  }
});

test('not found: a styled 404 page, without the wasm, with a link back to the main feed', async ({ page, baseURL }) => {
  guardXSS(page);
  const problems: string[] = [];
  page.on('console', (m) => {
    // Chromium logs the 404 of the page itself as a console error.
    if (m.type() === 'error' && !/status of 404/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  const res = await page.goto('/f/Bad Name!!');
  expect(res!.status()).toBe(404);
  expect(res!.headers()['content-type']).toBe('text/html; charset=utf-8');
  await expect(page.getByRole('heading', { level: 1, name: 'Feed not found' })).toBeVisible();
  await expect(page.getByText('1 to 32 characters long')).toBeVisible();
  await expect(page.locator('.notfound-path')).toHaveText('/f/Bad Name!!');
  // The app's stylesheet applies (the CSP lets it), and no script runs.
  expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(245, 246, 250)');
  expect(await page.evaluate(() => document.scripts.length)).toBe(0);
  const axe = await new AxeBuilder({ page }).analyze();
  const bad = axe.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious');
  console.log(`axe not-found: ${axe.violations.length} violations, ${bad.length} critical or serious`);
  expect(bad.map((v) => v.id)).toEqual([]);
  await page.screenshot({ path: path.join(artifacts, 'not-found.png'), fullPage: true });
  const home = page.getByRole('link', { name: 'Back to the main feed' });
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect(home).toHaveCSS('background-color', 'rgb(129, 140, 248)'); // its transition has ended
  await page.screenshot({ path: path.join(artifacts, 'not-found-dark.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(home).toHaveCSS('background-color', 'rgb(79, 70, 229)');
  await page.screenshot({ path: path.join(artifacts, 'not-found-phone.png'), fullPage: true });
  expect(problems).toEqual([]);

  // The app itself (not signed in here: its session check answers 401,
  // which Chromium logs).
  await home.click();
  await expect(page).toHaveURL(`${baseURL}/`);
  await expect(page.getByRole('textbox', { name: 'Display name' })).toBeVisible();

  problems.length = 0;
  const other = await page.goto('/nope');
  expect(other!.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Back to the main feed' })).toHaveAttribute('href', '/');
  expect(problems).toEqual([]);
});
