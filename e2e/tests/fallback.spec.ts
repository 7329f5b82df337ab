// The HTTP fallback (issue 15): a page whose WebSockets are blocked goes
// Live over plain HTTP by itself, collaborates both ways with a WebSocket
// user, sends posts written offline once, and moves up to a WebSocket
// without a reload (and without a duplicate) once WebSockets get through;
// the service worker never touches the stream, however long it is held.
import type { BrowserContext, Page, WebSocketRoute } from '@playwright/test';
import { article, detail, expect, expectOnce, feedName, join, openDetails, post, status, test, waitForOfflineCache } from '../fixtures';

/**
 * Blocks the context's WebSockets as a proxy that refuses the upgrade
 * does (each one fails at once) until block.on is set false; from then
 * on they reach the server.
 */
async function blockWebSockets(ctx: BrowserContext) {
  const block = { on: true, refused: 0 };
  await ctx.routeWebSocket(/\/ws$/, (ws: WebSocketRoute) => {
    if (block.on) {
      block.refused++;
      ws.close({ code: 1008, reason: 'blocked by the test' });
      return;
    }
    ws.connectToServer(); // no handlers: messages flow both ways as they are
  });
  return block;
}

/** The texts of the feed's posts as the server stores them. */
async function stored(page: Page, feed: string): Promise<string[]> {
  const res = await page.request.get(`/api/feeds/${feed}`);
  expect(res.ok()).toBe(true);
  return ((await res.json()).posts ?? []).map((p: { text: string }) => p.text);
}

/** Expects every text in the server's feed exactly once. */
async function storedOnce(page: Page, feed: string, texts: string[]) {
  const all = await stored(page, feed);
  for (const t of texts) expect(all.filter((x) => x === t), `"${t}" stored once`).toHaveLength(1);
}

test('blocked WebSocket: Live over HTTP, both ways with a WebSocket user, offline posts once, then up to a WebSocket', async ({ browser }) => {
  test.setTimeout(150_000);
  const feed = feedName('fallback');
  const httpCtx = await browser.newContext();
  const block = await blockWebSockets(httpCtx);
  const wsCtx = await browser.newContext();
  try {
    const t0 = Date.now();
    const ada = await join(httpCtx, 'Ada', feed); // join waits for Live
    console.log(`time to Live with WebSockets blocked: ${Date.now() - t0} ms (sign-in included), ${block.refused} refused`);
    await openDetails(ada);
    await expect(detail(ada, 'transport')).toHaveText('HTTP stream');
    const bob = await join(wsCtx, 'Bob', feed);
    await openDetails(bob);
    await expect(detail(bob, 'transport')).toHaveText('WebSocket');

    // Both ways, live.
    await post(ada, 'from Ada over HTTP');
    await expectOnce(bob, 'from Ada over HTTP');
    await post(bob, 'from Bob over a WebSocket');
    await expectOnce(ada, 'from Bob over a WebSocket');

    // Written offline, sent once when back.
    await httpCtx.setOffline(true);
    await expect(status(ada)).toHaveText(/^Offline/);
    await post(ada, 'offline one');
    await post(ada, 'offline two');
    await expect(article(ada, 'offline one')).toContainText('Sending');
    await httpCtx.setOffline(false);
    await expect(status(ada)).toHaveText(/^Live/);
    for (const t of ['offline one', 'offline two']) {
      await expect(article(ada, t)).not.toContainText('Sending');
      await expectOnce(ada, t);
      await expectOnce(bob, t);
    }
    await expect(detail(ada, 'transport')).toHaveText('HTTP stream');

    // WebSockets get through again: up without a reload.
    block.on = false;
    await expect(detail(ada, 'transport')).toHaveText('WebSocket', { timeout: 45_000 });
    await expect(status(ada)).toHaveText(/^Live/);
    await post(bob, 'after the move');
    await expectOnce(ada, 'after the move');
    await post(ada, 'from Ada over a WebSocket');
    await expectOnce(bob, 'from Ada over a WebSocket');
    const texts = ['from Ada over HTTP', 'from Bob over a WebSocket', 'offline one', 'offline two', 'after the move', 'from Ada over a WebSocket'];
    for (const t of texts) await expectOnce(ada, t);
    await storedOnce(ada, feed, texts);
    expect(await stored(ada, feed)).toHaveLength(texts.length);
  } finally {
    await httpCtx.close();
    await wsCtx.close();
  }
});

test('the service worker leaves the stream alone, held for two minutes', async ({ browser }) => {
  const holdMs = 120_000;
  test.setTimeout(holdMs + 90_000);
  const feed = feedName('swstream');
  const ctx = await browser.newContext();
  await blockWebSockets(ctx);
  try {
    const page = await join(ctx, 'Sam', feed);
    await waitForOfflineCache(page);
    // The worker controls a page from its next load on.
    const downlinks: { fromWorker: boolean; url: string }[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/api/live/down')) downlinks.push({ fromWorker: r.fromServiceWorker(), url: r.url() });
    });
    await page.reload();
    await expect(status(page)).toHaveText(/^Live/);
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null), 'the page is controlled by the worker').toBe(true);
    await openDetails(page);
    await expect(detail(page, 'transport')).toHaveText('HTTP stream');
    expect(downlinks.length).toBeGreaterThan(0);
    const opened = downlinks.length;

    // Posts keep arriving over the one stream for the whole hold.
    const start = Date.now();
    for (let i = 0; Date.now() - start < holdMs; i++) {
      const text = `held ${i}`;
      const r = await page.request.post(`/api/feeds/${feed}/posts`, { data: { text } });
      expect(r.ok(), await r.text()).toBe(true);
      await expect(article(page, text)).toHaveCount(1);
      await page.waitForTimeout(15_000);
    }
    console.log(`stream held ${Date.now() - start} ms; downlink requests ${downlinks.length} (${opened} before the hold)`);
    expect(downlinks.filter((d) => d.fromWorker), 'downlink responses the worker answered').toEqual([]);
    expect(downlinks.length, 'the stream was not cut and opened again during the hold').toBe(opened);
    await expect(status(page)).toHaveText(/^Live/);
  } finally {
    await ctx.close();
  }
});

test("a browser's own EventSource reads the stream live, and resumes polls by its own Last-Event-ID", async ({ browser }) => {
  const feed = feedName('eventsource');
  const ctx = await browser.newContext();
  try {
    const page = await join(ctx, 'Eve', feed); // signed in: the cookie
    // Two EventSources of the page's origin, with its cookie: a stream,
    // and polls (each response ends after its first batch; the browser
    // asks again by itself, sending the last id it saw as Last-Event-ID).
    await page.evaluate((feed) => {
      const w = window as unknown as { got: Record<string, { text: string; pos: number; id: string }[]>; opens: Record<string, number> };
      w.got = { stream: [], poll: [] };
      w.opens = { stream: 0, poll: 0 };
      for (const mode of ['stream', 'poll']) {
        const es = new EventSource(`/api/live/down?mode=${mode}&live=${feed}`);
        es.onmessage = (e) => {
          const m = JSON.parse(e.data);
          if (m.type === 'welcome') w.opens[mode]++;
          if (m.type === 'event') w.got[mode].push({ text: m.data.text, pos: m.data.pos, id: e.lastEventId });
        };
      }
    }, feed);
    const got = (mode: string) => page.evaluate((mode) => (window as unknown as { got: Record<string, { text: string; pos: number; id: string }[]> }).got[mode], mode);
    const opens = (mode: string) => page.evaluate((mode) => (window as unknown as { opens: Record<string, number> }).opens[mode], mode);
    await expect.poll(() => opens('poll')).toBeGreaterThan(0);
    await expect.poll(() => opens('stream')).toBe(1);
    const texts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const text = `to EventSource ${i}`;
      const r = await page.request.post(`/api/feeds/${feed}/posts`, { data: { text } });
      expect(r.ok(), await r.text()).toBe(true);
      texts.push(text);
      await expect.poll(async () => (await got('stream')).map((e) => e.text)).toEqual(texts);
      // The poll's next request resumes from the browser's cursor.
      await expect.poll(async () => (await got('poll')).map((e) => e.text), { timeout: 30_000 }).toEqual(texts);
    }
    const polls = await got('poll');
    console.log(`EventSource: ${await opens('poll')} poll requests, stream opened once; cursor ${polls[2].id}`);
    expect(await opens('stream'), 'the stream stayed open').toBe(1);
    expect(await opens('poll'), 'the polls were asked again by the browser').toBeGreaterThan(1);
    for (const e of polls) expect(e.id, 'the cursor names the position and the log epoch').toMatch(new RegExp(`^${feed}:${e.pos};[0-9a-f]+\\.[0-9a-z]+$`));
  } finally {
    await ctx.close();
  }
});
