import type { BrowserContext, Page } from '@playwright/test';
import { apiPosts, expect, feedName, guardXSS, join, status, test, waitForOfflineCache } from '../fixtures';

// The first paint (issue 17, item 4; app/ui/first-paint.go): a feed page
// comes prerendered for its reader with their feed's newest posts, so the
// posts are on screen before the wasm has started, and the wasm takes over
// without a flash, a jump or a lost keystroke. The service worker never
// keeps a reader's page (app/ui/worker.go).

/** Stalls every download of app.wasm in ctx until the returned release is called. */
async function stallWasm(ctx: BrowserContext): Promise<() => void> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  await ctx.route('**/web/app.wasm', async (route) => {
    await released;
    await route.continue();
  });
  return release;
}

/** Whether the app's own code has started (app/cmd/wasm marks it). */
async function wasmStarted(page: Page): Promise<boolean> {
  return page.evaluate(() => performance.getEntriesByName('livefeed:main').length > 0);
}

/** Records, from the first post on screen on, every animation frame that has no post (a flash). */
async function watchFlashes(ctx: BrowserContext) {
  await ctx.addInitScript(() => {
    const w = window as unknown as { __flashes: number; __seen: boolean };
    w.__flashes = 0;
    w.__seen = false;
    const tick = () => {
      const has = !!document.querySelector('article');
      if (has) w.__seen = true;
      else if (w.__seen) w.__flashes++;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

test('the feed is on screen before the wasm starts, and the wasm takes over without a flash, a jump or a lost keystroke', async ({ browser }) => {
  const feed = feedName('paint');
  const setup = await browser.newContext();
  const writer = await join(setup, 'Painter', feed);
  await apiPosts(
    writer.request,
    feed,
    Array.from({ length: 24 }, (_, i) => `first paint post ${i + 1}: ${'a line of text that wraps '.repeat(3)}`),
  );
  await expect(writer.getByRole('article').first()).toContainText('first paint post 24');
  const cookies = await setup.cookies();
  await setup.close();

  // Cold: a fresh profile with only the session cookie, the wasm stalled.
  const ctx = await browser.newContext();
  await ctx.addCookies(cookies);
  await watchFlashes(ctx);
  const release = await stallWasm(ctx);
  const page = await ctx.newPage();
  guardXSS(page);
  await page.goto(`/f/${feed}`);
  const first = page.getByRole('article').first();
  await expect(first).toContainText('first paint post 24');
  await expect(page.getByText('Painter').first()).toBeVisible();
  expect(await wasmStarted(page)).toBe(false);
  await expect(page.locator('#app-wasm-loader')).toBeHidden();
  // At most FirstPaintPosts (20) posts prerendered.
  expect(await page.getByRole('article').count()).toBe(20);

  // The reader types, and scrolls a little, before the wasm has started.
  const box = page.getByRole('textbox', { name: 'Write a post' });
  await box.click();
  await page.keyboard.type('typed before the wasm, ');
  await page.evaluate(() => window.scrollTo(0, 240));
  await page.waitForTimeout(100); // a frame or two, for the screenshot
  const before = {
    box: await first.boundingBox(),
    scrollY: await page.evaluate(() => window.scrollY),
    shot: await first.screenshot(),
  };
  expect(before.scrollY).toBe(240);
  await test.info().attach('before-takeover', { body: await page.screenshot(), contentType: 'image/png' });

  // The wasm starts while the reader goes on typing.
  const typing = page.keyboard.type('and while it starts.', { delay: 40 });
  release();
  await typing;
  await expect.poll(() => wasmStarted(page), { timeout: 30_000 }).toBe(true);
  await expect(status(page)).toHaveText(/^Live/);
  await expect(page.locator('[data-first-paint]')).toHaveCount(0); // the app's own elements now
  await page.keyboard.type(' And after.');
  await expect(box).toHaveValue('typed before the wasm, and while it starts. And after.');
  await expect(box).toBeFocused();

  const after = {
    box: await first.boundingBox(),
    scrollY: await page.evaluate(() => window.scrollY),
    shot: await first.screenshot(),
  };
  await test.info().attach('after-takeover', { body: await page.screenshot(), contentType: 'image/png' });
  expect(after.scrollY).toBe(before.scrollY);
  expect(after.box).toEqual(before.box);
  expect(after.shot.equals(before.shot), 'the first post looks the same before and after the takeover').toBe(true);
  expect(await page.evaluate(() => (window as unknown as { __flashes: number }).__flashes), 'frames without a post').toBe(0);

  // What was typed is the app's draft: it posts.
  await page.getByRole('button', { name: 'Post', exact: true }).click();
  await expect(page.getByRole('article').filter({ hasText: 'typed before the wasm' })).not.toContainText('Sending');
  await ctx.close();
});

test('a shared device: after sign-out no page, cached or not, shows the last reader', async ({ browser }) => {
  const feed = feedName('shared');
  const ctx = await browser.newContext();
  const a = await join(ctx, 'Ann Secret', feed);
  await apiPosts(a.request, feed, ['ann private words']);
  await expect(a.getByRole('article').first()).toContainText('ann private words');
  await waitForOfflineCache(a);
  // The cached shell is the page for no one.
  const shell = await a.evaluate(async () => {
    const r = await caches.match('/', { ignoreVary: true });
    return r ? r.text() : '';
  });
  expect(shell).toContain('Loading');
  expect(shell).not.toContain('Ann Secret');
  expect(shell).not.toContain('data-first-paint');

  // A reload through the worker: Ann's page, from the network.
  await a.reload();
  await expect(a.getByRole('article').first()).toContainText('ann private words');

  await a.getByRole('button', { name: 'Sign out' }).click();
  await expect(a.getByRole('textbox', { name: 'Display name' })).toBeVisible();
  // The next person on the device, the wasm stalled: the prerendered page
  // is the sign-in's, online and offline.
  const release = await stallWasm(ctx);
  for (const offline of [false, true]) {
    await ctx.setOffline(offline);
    const p = await ctx.newPage();
    await p.goto(`/f/${feed}`);
    const html = await p.content();
    expect(html, `offline ${offline}`).not.toContain('Ann Secret');
    expect(html, `offline ${offline}`).not.toContain('ann private words');
    await p.close();
  }
  await ctx.setOffline(false);
  release();
  await ctx.close();
});
