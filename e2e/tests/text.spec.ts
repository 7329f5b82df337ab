import path from 'node:path';
import { article, expect, feedName, join, post, test } from '../fixtures';

// Text people actually write: right-to-left text reads right to left, and a
// letter with 1,999 combining marks stays inside its card.
test('right-to-left text and combining floods', async ({ browser }) => {
  const ctx = await browser.newContext();
  const a = await join(ctx, 'Ada', feedName('text'));
  const arabic = 'مرحبا بالعالم';
  await post(a, arabic);
  const rtl = article(a, arabic).locator('.post-text');
  await expect(rtl).toHaveAttribute('dir', 'auto');
  expect(await rtl.evaluate((el) => el.matches(':dir(rtl)'))).toBe(true);

  const flood = 'Z' + '\u0301'.repeat(1999);
  await post(a, flood);
  const card = a.getByRole('article').first();
  await expect(card).toContainText('Z');
  const [c, t] = await Promise.all([card.boundingBox(), card.locator('.post-text').boundingBox()]);
  expect(c && t).toBeTruthy();
  // The text's box lies within the card's, and what it draws is clipped to it.
  expect(t!.y).toBeGreaterThanOrEqual(c!.y);
  expect(t!.y + t!.height).toBeLessThanOrEqual(c!.y + c!.height);
  expect(await card.locator('.post-text').evaluate((el) => getComputedStyle(el).overflow)).toBe('hidden');
  await a.screenshot({ path: path.resolve(__dirname, '..', 'artifacts', 'text.png') });
  await ctx.close();
});
