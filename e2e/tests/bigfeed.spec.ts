import path from 'node:path';
import { apiPosts, article, expect, feedName, join, test } from '../fixtures';

// A feed longer than the first screen: the list renders a page of posts
// and more as the reader scrolls down (app/ui/post-list.go), and every
// post can still be reached, by scrolling or by keyboard, and acted on.

const POSTS = 80; // listPage is 30: three pages
const PAGE = 30;

test('a long feed renders a page at a time and every post stays reachable', async ({ browser }) => {
  test.setTimeout(120_000);
  const feed = feedName('big');
  const ctxO = await browser.newContext();
  const olga = await join(ctxO, 'Olga', feed);
  await apiPosts(ctxO.request, feed, Array.from({ length: POSTS }, (_, i) => `big post ${i + 1}.`));

  const ctx = await browser.newContext();
  const page = await join(ctx, 'Reader', feed);
  const articles = page.getByRole('article');
  await expect(articles.first()).toContainText(`big post ${POSTS}.`);
  const first = await articles.count();
  expect(first).toBeGreaterThanOrEqual(PAGE);
  expect(first).toBeLessThan(POSTS);

  // Scrolling down renders the rest, down to the oldest post.
  for (let i = 0; i < 20 && !(await article(page, 'big post 1.').count()); i++) {
    await page.mouse.wheel(0, 4000);
    await page.waitForTimeout(150);
  }
  await expect(articles).toHaveCount(POSTS);
  await expect(article(page, 'big post 1.')).toBeVisible();

  // A reaction far down the list lands on that post.
  const old = article(page, 'big post 3.');
  await old.getByRole('button', { name: 'Add reaction' }).click();
  await old.getByRole('button', { name: 'React with 🎉' }).click();
  await expect
    .poll(async () => {
      const posts: { text: string; reactions?: { emoji: string; users: unknown[] }[] }[] =
        (await (await page.request.get(`/api/feeds/${feed}`)).json()).posts ?? [];
      return posts
        .filter((p) => (p.reactions ?? []).some((r) => r.emoji === '🎉' && r.users.length > 0))
        .map((p) => p.text);
    })
    .toEqual(['big post 3.']);

  // Back at the top, the list is one page again, and a new post arrives
  // on top of it.
  await page.evaluate(() => window.scrollTo(0, 0));
  await expect.poll(() => articles.count()).toBeLessThan(POSTS);
  await olga.request.post(`/api/feeds/${feed}/posts`, { data: { text: 'newest of all.' } });
  await expect(articles.first()).toContainText('newest of all.');
  await page.screenshot({ path: path.resolve(__dirname, '..', 'artifacts', 'bigfeed-top.png') });

  // Without scrolling: the "Show older posts" button renders the next
  // page for a keyboard.
  const more = page.getByRole('button', { name: 'Show older posts' });
  const before = await articles.count();
  await more.focus();
  await page.keyboard.press('Enter');
  await expect.poll(() => articles.count()).toBeGreaterThan(before);
  await ctx.close();
  await ctxO.close();
});
