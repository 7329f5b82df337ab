// Measures the time from navigation to the first post on screen, cold (fresh
// browser profile: no HTTP cache, no service worker, no localStorage; only
// the session cookie) and warm (service worker cache and the cached feed),
// each the median of 5. The page is prerendered with the reader's posts
// (app/ui/first-paint.go), so the first post is on screen before the wasm
// starts: each load also records when the app's own code started
// (livefeed:main, app/cmd/wasm) and when it had taken the page over (the
// prerendered root replaced; "-" on a server that does not prerender
// posts), which was the time to the first post before. Also records how
// the cold load fetched app.wasm (the
// Accept-Encoding Chromium sent, the Content-Encoding and bytes it got).
// Figures only, printed and written, never asserted against a time.
// PERF_KBPS=N throttles the cold loads' downloads to N kbit/s (Chromium's
// network emulation, 40 ms latency), to see what the wasm's size costs on a
// real link rather than on loopback. Writes artifacts/perf.json.
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, feedName, join, post, test, waitForOfflineCache } from '../fixtures';

const RUNS = 5;
const KBPS = Number(process.env.PERF_KBPS ?? 0);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Records, from the document's start, the first animation frame with an
 * <article> (rAF callbacks run just before the frame is painted) and the
 * first without the prerendered root once it was there (the app's takeover).
 */
const watchFrames = () => {
  const w = window as unknown as Record<string, number>;
  let prerendered = false;
  // performance.now(), not the callback's frame time: that is when the
  // frame was due, which a long task (the wasm's start) can leave behind.
  const tick = () => {
    const t = performance.now();
    if (!w.__firstPost && document.querySelector('article')) w.__firstPost = t;
    const root = document.querySelector('[data-first-paint]');
    if (root) prerendered = true;
    else if (prerendered && !w.__takeover && document.querySelector('.app')) w.__takeover = t;
    if (!w.__firstPost || (prerendered && !w.__takeover)) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
};

type Load = { firstPost: number; wasmMain: number | null; takeover: number | null };

/** When the first post was on screen, the app's code started and it took over (ms from the navigation's start). */
async function firstPost(page: Page): Promise<Load> {
  const h = await page.waitForFunction(
    () => {
      const w = window as unknown as Record<string, number>;
      const main = performance.getEntriesByName('livefeed:main')[0];
      // Done once the post is on screen and the app has started.
      if (!w.__firstPost || !main) return null;
      if (document.querySelector('[data-first-paint]')) return null;
      return { firstPost: w.__firstPost, wasmMain: main.startTime, takeover: w.__takeover ?? null };
    },
    undefined,
    { polling: 'raf', timeout: 30_000 },
  );
  const v = (await h.jsonValue()) as Load;
  const r = (x: number | null) => (x == null ? null : Math.round(x));
  return { firstPost: r(v.firstPost)!, wasmMain: r(v.wasmMain), takeover: r(v.takeover) };
}

test('time to the first post on screen, cold and warm', async ({ browser, baseURL }) => {
  test.setTimeout(180_000);
  const feed = feedName('perf');
  const setup = await browser.newContext();
  const p0 = await join(setup, 'Perf', feed);
  for (let i = 1; i <= 3; i++) await post(p0, `perf post ${i}`);
  await expect(p0.getByRole('article').filter({ hasText: 'perf post 3' })).not.toContainText('Sending');
  const cookies = await setup.cookies();
  await setup.close();

  const cold: Load[] = [];
  let wasm: Record<string, string | number> = {};
  for (let i = 0; i < RUNS; i++) {
    const ctx = await browser.newContext();
    await ctx.addCookies(cookies);
    await ctx.addInitScript(watchFrames);
    const page = await ctx.newPage();
    if (KBPS > 0) {
      const cdp = await ctx.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 40,
        downloadThroughput: (KBPS * 1000) / 8,
        uploadThroughput: (KBPS * 1000) / 8,
      });
    }
    const wasmResponse = page.waitForResponse((r) => new URL(r.url()).pathname === '/web/app.wasm');
    await page.goto(`${baseURL}/f/${feed}`);
    cold.push(await firstPost(page));
    const res = await wasmResponse;
    wasm = {
      acceptEncoding: (await res.request().allHeaders())['accept-encoding'] ?? '',
      contentEncoding: (await res.allHeaders())['content-encoding'] ?? 'identity',
      transferredBytes: (await res.request().sizes()).responseBodySize,
    };
    await ctx.close();
  }

  const warm: Load[] = [];
  const ctx = await browser.newContext();
  await ctx.addCookies(cookies);
  await ctx.addInitScript(watchFrames);
  const page = await ctx.newPage();
  await page.goto(`${baseURL}/f/${feed}`);
  await firstPost(page);
  await waitForOfflineCache(page);
  await page.reload(); // now controlled by the service worker
  await firstPost(page);
  for (let i = 0; i < RUNS; i++) {
    await page.reload();
    warm.push(await firstPost(page));
  }
  await ctx.close();

  const figures = (xs: Load[]) => ({
    firstPostMs: median(xs.map((x) => x.firstPost)),
    wasmMainMs: median(xs.map((x) => x.wasmMain ?? NaN)),
    takeoverMs: xs.every((x) => x.takeover != null) ? median(xs.map((x) => x.takeover!)) : null,
    // How many loads had the post on screen before the app's code ran.
    beforeWasm: xs.filter((x) => x.wasmMain != null && x.firstPost < x.wasmMain).length,
  });
  const c = figures(cold);
  const w = figures(warm);
  const result = {
    coldMs: c.firstPostMs,
    warmMs: w.firstPostMs,
    coldFigures: c,
    warmFigures: w,
    cold,
    warm,
    wasm,
    kbps: KBPS || undefined,
    server: process.env.LIVEFEED_BIN ?? 'bin/livefeed',
  };
  console.log('first post on screen:', JSON.stringify(result));
  fs.mkdirSync(path.resolve(__dirname, '..', 'artifacts'), { recursive: true });
  fs.writeFileSync(path.resolve(__dirname, '..', 'artifacts', 'perf.json'), JSON.stringify(result, null, 2) + '\n');
});
