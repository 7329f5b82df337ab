import path from 'node:path';
import { type BrowserContext } from '@playwright/test';
import { apiPosts, article, expect, feedName, join, test } from '../fixtures';

// History beyond the newest 500 posts (a snapshot's worth): the reader
// pages back to the feed's first post, live posts keep arriving meanwhile,
// and actions on old posts land on them.

const POSTS = 560;
const WRITERS = 4;

type Stored = { text: string; reactions?: { emoji: string; users: unknown[] }[] };

test('paging back to the beginning of a feed of 560 posts', async ({ browser }) => {
  test.setTimeout(240_000);
  const feed = feedName('hist');
  const writers: BrowserContext[] = [];
  for (let w = 0; w < WRITERS; w++) {
    const ctx = await browser.newContext();
    await join(ctx, `Writer${w}`, feed);
    writers.push(ctx);
  }
  // The writers post at once, so the log interleaves them: the order to
  // expect is the server's own, read by paging its history.
  const mine = (w: number) => Array.from({ length: POSTS / WRITERS }, (_, k) => `h${k * WRITERS + w + 1}.`);
  await Promise.all(writers.map((ctx, w) => apiPosts(ctx.request, feed, mine(w))));
  const all: Stored[] = [];
  {
    // The server's newest-first order of every post, paging its history.
    let before = Number.MAX_SAFE_INTEGER;
    for (;;) {
      const h = await (await writers[0].request.get(`/api/feeds/${feed}/history?before=${before}`)).json();
      all.push(...h.posts);
      if (h.end) break;
      before = h.posts[h.posts.length - 1].pos;
    }
  }
  expect(all).toHaveLength(POSTS);

  const ctx = await browser.newContext();
  const page = await join(ctx, 'Reader', feed);
  const articles = page.getByRole('article');
  await expect(articles.first()).toContainText(all[0].text);

  // Scroll down until the feed's first post and the end marker show.
  const end = page.getByText('Beginning of the feed');
  let newPosted = false;
  for (let i = 0; i < 200 && !(await end.isVisible()); i++) {
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await page.waitForTimeout(100);
    if (!newPosted && (await articles.count()) > 500) {
      // Older pages are loading now: a live post arrives meanwhile.
      await writers[1].request.post(`/api/feeds/${feed}/posts`, { data: { text: 'live while paging.' } });
      newPosted = true;
    }
  }
  await expect(end).toBeVisible();
  expect(newPosted).toBe(true);
  await page.screenshot({ path: path.resolve(__dirname, '..', 'artifacts', 'history-end.png') });

  // Every post once, in the server's order. The live post waits above,
  // as the reader is scrolled away from the top.
  await expect(articles).toHaveCount(POSTS);
  const shown = await articles.evaluateAll((els) => els.map((e) => e.querySelector('.post-text')?.textContent ?? ''));
  expect(shown).toEqual(all.map((p) => p.text));
  await expect(page.getByRole('button', { name: '1 new post' })).toBeVisible();

  // A reaction to the oldest post, which only history brought, lands on it.
  const oldest = all[all.length - 1].text;
  await article(page, oldest).getByRole('button', { name: 'Add reaction' }).click();
  await article(page, oldest).getByRole('button', { name: 'React with 🎉' }).click();
  await expect
    .poll(async () => {
      const h = await (await page.request.get(`/api/feeds/${feed}/history?before=${Number.MAX_SAFE_INTEGER}`)).json();
      let before = Number.MAX_SAFE_INTEGER;
      const reacted: string[] = [];
      for (let p = h; ; ) {
        for (const x of p.posts as Stored[]) if ((x.reactions ?? []).some((r) => r.emoji === '🎉' && r.users.length)) reacted.push(x.text);
        if (p.end) break;
        before = p.posts[p.posts.length - 1].pos;
        p = await (await page.request.get(`/api/feeds/${feed}/history?before=${before}`)).json();
      }
      return reacted;
    })
    .toEqual([oldest]);
  await expect(article(page, oldest).getByRole('button', { name: /^🎉/ })).toHaveAttribute('aria-pressed', 'true');

  // Back to the top: the live post is there.
  await page.getByRole('button', { name: '1 new post' }).click();
  await expect(articles.first()).toContainText('live while paging.');
  await ctx.close();
  for (const w of writers) await w.close();
});
