import { test as base, expect, type APIRequestContext, type BrowserContext, type Page } from '@playwright/test';
import { restartServer, stopServer } from './server';

export { expect };

/** The tests' fixtures: baseURL points at the server the global setup started. */
export const test = base.extend<{ server: { stop: () => Promise<void>; restart: () => Promise<void> } }>({
  baseURL: async ({}, use) => {
    const url = process.env.LIVEFEED_URL;
    if (!url) throw new Error('LIVEFEED_URL is not set: the global setup did not run');
    await use(url);
  },
  server: async ({}, use) => {
    await use({
      stop: async () => {
        await stopServer();
      },
      restart: async () => {
        await restartServer();
      },
    });
    // Leave a running server for the next test, whatever happened.
    await restartServer();
  },
});

/** A fresh feed name for one test. */
export function feedName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
}

/** Fails the test if the page runs script from user content. */
export function guardXSS(page: Page) {
  page.on('dialog', async (d) => {
    await d.dismiss();
    throw new Error(`unexpected dialog: ${d.message()}`);
  });
}

export function status(page: Page) {
  // Other status regions may exist (DESIGN.md): this is the one whose text
  // starts so.
  return page.getByRole('status').filter({ hasText: /^\s*(Live|Connecting|Reconnecting|Offline)/ });
}

/** Opens feed in a new page of context and signs in as name. */
export async function join(context: BrowserContext, name: string, feed: string): Promise<Page> {
  const page = await context.newPage();
  guardXSS(page);
  await page.goto(`/f/${feed}`);
  await page.getByRole('textbox', { name: 'Display name' }).fill(name);
  await page.getByRole('button', { name: 'Join' }).click();
  await expect(status(page)).toHaveText(/^Live/);
  return page;
}

/**
 * Posts texts to feed over the HTTP API, in order, as the user signed in
 * on req; a 429 (the API's per-user rate) is waited out and the post sent
 * again.
 */
export async function apiPosts(req: APIRequestContext, feed: string, texts: string[]) {
  for (const text of texts) {
    for (;;) {
      const r = await req.post(`/api/feeds/${feed}/posts`, { data: { text } });
      if (r.status() === 429) {
        await new Promise((res) => setTimeout(res, Number(r.headers()['retry-after'] ?? 1) * 1000));
        continue;
      }
      expect(r.ok(), await r.text()).toBeTruthy();
      break;
    }
  }
}

/** Writes a post with the compose box. */
export async function post(page: Page, text: string) {
  const box = page.getByRole('textbox', { name: 'Write a post' });
  await box.fill(text);
  await page.getByRole('button', { name: 'Post', exact: true }).click();
  await expect(box).toHaveValue('');
}

export function article(page: Page, text: string) {
  return page.getByRole('article').filter({ hasText: text });
}

/** Asserts that text is shown in exactly one post, now and a moment later. */
export async function expectOnce(page: Page, text: string) {
  await expect(article(page, text)).toHaveCount(1);
  await page.waitForTimeout(750);
  await expect(article(page, text)).toHaveCount(1);
}

/** Waits until the service worker has cached the app, so it opens offline. */
export async function waitForOfflineCache(page: Page) {
  await expect
    .poll(
      () =>
        page.evaluate(async () => {
          if (!('serviceWorker' in navigator)) return 'no service worker';
          const reg = await navigator.serviceWorker.getRegistration();
          if (!reg || !reg.active) return 'worker not active';
          for (const key of await caches.keys()) {
            const c = await caches.open(key);
            const need = ['/', '/web/app.wasm', '/app.js', '/wasm_exec.js', '/web/app.css'];
            const hits = await Promise.all(need.map((u) => c.match(u)));
            if (hits.every(Boolean)) return 'ready';
          }
          return 'cache incomplete';
        }),
      { timeout: 45_000, intervals: [250] },
    )
    .toBe('ready');
}

/**
 * Opens the "Connection details" panel (if closed) and its "Technical
 * details" fold, where the session's counters are, and returns the panel.
 */
export async function openDetails(page: Page) {
  const toggle = page.getByRole('button', { name: 'Connection details', exact: true });
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  const panel = page.getByRole('region', { name: 'Connection details' });
  await expect(panel).toBeVisible();
  const fold = panel.locator('details.diag-tech');
  if ((await fold.getAttribute('open')) === null) await fold.locator('summary').click();
  await expect(fold).toHaveAttribute('open', '');
  return panel;
}

/** One value of the connection details panel (data-k="key"), e.g. "reconnects". */
export function detail(page: Page, key: string) {
  return page.locator(`#connection-details [data-k="${key}"]`);
}

/** Milliseconds until the session's next connection attempt (from the open details panel); negative when none is scheduled. */
export async function msUntilNextTry(page: Page): Promise<number> {
  return page.evaluate(() => {
    const at = Number(document.getElementById('connection-details')?.dataset.nextTry ?? 0);
    return at > 0 ? at - Date.now() : -1;
  });
}

/** Closes the "Connection details" panel (it covers part of the page). */
export async function closeDetails(page: Page) {
  const toggle = page.getByRole('button', { name: 'Connection details', exact: true });
  if ((await toggle.getAttribute('aria-expanded')) === 'true') await toggle.click();
  await expect(page.getByRole('region', { name: 'Connection details' })).toHaveCount(0);
}
