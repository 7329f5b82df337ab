// Measures the time from navigation to the first rendered post, cold (fresh
// browser profile: no HTTP cache, no service worker, no localStorage; only
// the session cookie) and warm (service worker cache and the cached feed),
// each the median of 5. Also records how the cold load fetched app.wasm (the
// Accept-Encoding Chromium sent, the Content-Encoding and bytes it got).
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

/** Milliseconds from the navigation's start to the first <article> on screen. */
async function firstPost(page: Page): Promise<number> {
  const h = await page.waitForFunction(
    () => (document.querySelector('article') ? performance.now() : 0),
    undefined,
    { polling: 'raf', timeout: 30_000 },
  );
  return Math.round((await h.jsonValue()) as number);
}

test('time to the first rendered post, cold and warm', async ({ browser, baseURL }) => {
  test.setTimeout(180_000);
  const feed = feedName('perf');
  const setup = await browser.newContext();
  const p0 = await join(setup, 'Perf', feed);
  for (let i = 1; i <= 3; i++) await post(p0, `perf post ${i}`);
  await expect(p0.getByRole('article').filter({ hasText: 'perf post 3' })).not.toContainText('Sending');
  const cookies = await setup.cookies();
  await setup.close();

  const cold: number[] = [];
  let wasm: Record<string, string | number> = {};
  for (let i = 0; i < RUNS; i++) {
    const ctx = await browser.newContext();
    await ctx.addCookies(cookies);
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

  const warm: number[] = [];
  const ctx = await browser.newContext();
  await ctx.addCookies(cookies);
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

  const result = { coldMs: median(cold), warmMs: median(warm), cold, warm, wasm, kbps: KBPS || undefined };
  console.log('first rendered post:', JSON.stringify(result));
  fs.mkdirSync(path.resolve(__dirname, '..', 'artifacts'), { recursive: true });
  fs.writeFileSync(path.resolve(__dirname, '..', 'artifacts', 'perf.json'), JSON.stringify(result, null, 2) + '\n');
});
