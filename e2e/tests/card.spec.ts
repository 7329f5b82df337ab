import { type Locator } from '@playwright/test';
import { article, expect, feedName, join, post, status, test } from '../fixtures';

// The post card: links in text people write, long posts folded behind
// "Show more", relative times that move on.

/** Whether the post text of card is clipped (folded). */
async function clipped(card: Locator): Promise<boolean> {
  return card.locator('.post-text').evaluate((el) => el.scrollHeight > el.clientHeight + 1);
}

const longText = Array.from({ length: 30 }, (_, i) => `line ${i + 1} of a long post`).join('\n');

test('http and https URLs are links; other schemes stay text', async ({ browser }) => {
  const ctx = await browser.newContext();
  // The link's page, served here (no internet): it reports what it can see
  // of the page that opened it.
  await ctx.route('https://example.com/**', (r) =>
    r.fulfill({ contentType: 'text/html', body: '<title>example</title><p>example</p>' }),
  );
  const a = await join(ctx, 'Ada', feedName('links'));
  const text = 'see https://example.com/a_(b). and javascript:alert(1), data:text/html,<b>x</b>';
  await post(a, text);
  const card = article(a, 'see https://example.com');
  const link = card.getByRole('link', { name: 'https://example.com/a_(b)', exact: true });
  await expect(link).toHaveAttribute('href', 'https://example.com/a_(b)');
  await expect(link).toHaveAttribute('rel', 'noopener noreferrer nofollow ugc');
  await expect(link).toHaveAttribute('target', '_blank');
  await expect(card.getByRole('link')).toHaveCount(1);
  // The text around the link is the text as written.
  await expect(card.locator('.post-text')).toHaveText(text);

  await post(a, 'javascript:alert(1)');
  const js = article(a, 'javascript:alert(1)').filter({ hasNotText: 'example.com' });
  await expect(js.getByRole('link')).toHaveCount(0);
  await js.locator('.post-text').click(); // join's guard fails the test on any dialog
  await post(a, '<a href="javascript:alert(2)">click</a>');
  const markup = article(a, '<a href="javascript:alert(2)">click</a>');
  await expect(markup.getByRole('link')).toHaveCount(0);
  await expect(a.locator('article a[href^="javascript"], article a[href^="data"]')).toHaveCount(0);

  // The opened page cannot reach this one, nor learn where it came from.
  const [tab] = await Promise.all([ctx.waitForEvent('page'), link.click()]);
  await tab.waitForLoadState();
  expect(await tab.evaluate(() => [window.opener === null, document.referrer])).toEqual([true, '']);
  await ctx.close();
});

test('a long post folds behind Show more, and the fold follows the post', async ({ browser }) => {
  const feed = feedName('fold');
  const ctxA = await browser.newContext();
  const ctxB = await browser.newContext();
  const a = await join(ctxA, 'Ada', feed);
  const b = await join(ctxB, 'Bob', feed);
  await post(a, longText);
  const card = article(a, 'line 1 of a long post');
  const more = card.getByRole('button', { name: 'Show more' });
  await expect(more).toHaveAttribute('aria-expanded', 'false');
  const textId = await card.locator('.post-text').getAttribute('id');
  expect(textId).toBeTruthy();
  await expect(more).toHaveAttribute('aria-controls', textId!);
  expect(await clipped(card)).toBe(true);
  // All of the text is in the page (find, copy, screen readers).
  await expect(card.locator('.post-text')).toContainText('line 30 of a long post');

  await more.click();
  const less = card.getByRole('button', { name: 'Show less' });
  await expect(less).toHaveAttribute('aria-expanded', 'true');
  expect(await clipped(card)).toBe(false);

  // Posts arrive above it (the cards shift): it stays unfolded, the new
  // long post is folded, a short one has no button.
  await post(b, 'short and sweet');
  await post(b, longText.replaceAll('long post', 'long reply'));
  await expect(article(a, 'line 1 of a long reply')).toBeVisible();
  await expect(card.getByRole('button', { name: 'Show less' })).toHaveAttribute('aria-expanded', 'true');
  await expect(article(a, 'line 1 of a long reply').getByRole('button', { name: 'Show more' })).toHaveCount(1);
  await expect(article(a, 'short and sweet').getByRole('button', { name: /^Show/ })).toHaveCount(0);
  expect(await clipped(card)).toBe(false);

  // With the keyboard: Show less folds it back.
  await card.getByRole('button', { name: 'Show less' }).focus();
  await a.keyboard.press('Enter');
  await expect(card.getByRole('button', { name: 'Show more' })).toBeFocused();
  expect(await clipped(card)).toBe(true);
  await ctxA.close();
  await ctxB.close();
});

test('relative times move on: "just now" becomes "1 min ago"', async ({ browser }) => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.clock.install();
  await page.goto(`/f/${feedName('clock')}`);
  await page.getByRole('textbox', { name: 'Display name' }).fill('Tim');
  await page.getByRole('button', { name: 'Join' }).click();
  await expect(status(page)).toHaveText(/^Live/);
  await post(page, 'what time is it');
  const when = article(page, 'what time is it').locator('time');
  await expect(when).toHaveText('just now');
  await page.clock.fastForward('01:05');
  // The page's clock moves in 15 s steps: within one more step.
  await expect(when).toHaveText('1 min ago', { timeout: 30_000 });
  await ctx.close();
});
