import path from 'node:path';
import { type Page } from '@playwright/test';
import { article, expect, feedName, join, post, status, test } from '../fixtures';

// Every click lands on the post its card shows, however the list moved
// underneath it. go-app reuses cards by position; each check here shifts
// the list, acts on a card, then reads what the server stored.

type StoredPost = { id: string; text: string; reactions?: { emoji: string; users: { id: string }[] }[] };

async function stored(page: Page, feed: string): Promise<StoredPost[]> {
  const res = await page.request.get(`/api/feeds/${feed}`);
  expect(res.status()).toBe(200);
  return (await res.json()).posts ?? [];
}

/** The emojis the server stored on the post with text, e.g. ["🎉"]. */
async function reactionsOn(page: Page, feed: string, text: string): Promise<string[]> {
  const p = (await stored(page, feed)).find((x) => x.text === text);
  if (!p) return ['<post missing>'];
  return (p.reactions ?? []).filter((r) => r.users.length > 0).map((r) => r.emoji).sort();
}

async function texts(page: Page, feed: string): Promise<string[]> {
  return (await stored(page, feed)).map((p) => p.text).sort();
}

test('a card acts on the post it shows after the list shifts', async ({ browser }) => {
  const feed = feedName('shift');
  const ctxW = await browser.newContext();
  const ctxX = await browser.newContext();
  const w = await join(ctxW, 'Wanda', feed);
  const x = await join(ctxX, 'Xavier', feed);

  await post(w, 'W-one');
  await post(w, 'W-two');
  await expect(article(w, 'W-two')).not.toContainText('Sending');
  await w.reload();
  await expect(status(w)).toHaveText(/^Live/);
  await expect(article(w, 'W-one')).toBeVisible();

  // 1. A post added on top: every card of Wanda's moves down by one.
  await post(x, 'X-three');
  await expect(article(w, 'X-three')).toBeVisible();
  // No one has reacted yet, so 🎉 is in the card's "Add reaction" picker.
  await article(w, 'W-two').getByRole('button', { name: 'Add reaction' }).click();
  await article(w, 'W-two').getByRole('button', { name: 'React with 🎉' }).click();
  await expect.poll(() => reactionsOn(w, feed, 'W-two')).toEqual(['🎉']);
  expect(await reactionsOn(w, feed, 'W-one')).toEqual([]);
  expect(await reactionsOn(w, feed, 'X-three')).toEqual([]);

  // Xavier reacts on a card that moved down too.
  await article(x, 'W-one').getByRole('button', { name: 'Add reaction' }).click();
  await article(x, 'W-one').getByRole('button', { name: 'React with 👍' }).click();
  await expect.poll(() => reactionsOn(x, feed, 'W-one')).toEqual(['👍']);
  expect(await reactionsOn(x, feed, 'W-two')).toEqual(['🎉']);

  // 2. Deleting the card that shows W-two deletes W-two, not W-one.
  await article(w, 'W-two').getByRole('button', { name: 'Delete' }).click();
  await expect(article(w, 'W-two')).toHaveCount(0);
  await expect.poll(() => texts(w, feed), { timeout: 15_000 }).toEqual(['W-one', 'X-three']);
  await expect(article(x, 'W-two')).toHaveCount(0);

  // 3. A post above deleted: W-one's card moves up. Edit reaches W-one.
  await post(w, 'W-four');
  await expect(article(x, 'W-four')).toBeVisible();
  await article(x, 'X-three').getByRole('button', { name: 'Delete' }).click();
  await expect.poll(() => texts(w, feed), { timeout: 15_000 }).toEqual(['W-four', 'W-one']);
  await expect(article(w, 'X-three')).toHaveCount(0);
  await article(w, 'W-one').getByRole('button', { name: 'Edit' }).click();
  await w.getByRole('textbox', { name: 'Edit post' }).fill('W-one edited');
  await w.getByRole('button', { name: 'Save' }).click();
  await expect.poll(() => texts(w, feed)).toEqual(['W-four', 'W-one edited']);

  // 4. After an edit (same card, new text) and a reload, 😮 lands on the
  // edited post.
  await w.reload();
  await expect(status(w)).toHaveText(/^Live/);
  await post(x, 'X-five');
  await expect(article(w, 'X-five')).toBeVisible();
  await article(w, 'W-one edited').getByRole('button', { name: 'Add reaction' }).click();
  await article(w, 'W-one edited').getByRole('button', { name: 'React with 😮' }).click();
  await expect.poll(() => reactionsOn(w, feed, 'W-one edited')).toEqual(['👍', '😮'].sort());
  expect(await reactionsOn(w, feed, 'W-four')).toEqual([]);
  expect(await reactionsOn(w, feed, 'X-five')).toEqual([]);

  await ctxW.close();
  await ctxX.close();
});

test('a delete can be undone before it is final', async ({ browser }) => {
  const feed = feedName('undo');
  const ctxA = await browser.newContext();
  const ctxB = await browser.newContext();
  const a = await join(ctxA, 'Ada', feed);
  const b = await join(ctxB, 'Bob', feed);
  await post(a, 'keep me');
  await post(a, 'drop me');
  await expect(article(b, 'drop me')).toBeVisible();

  // Delete, then Undo: the post comes back and the server never lost it.
  await article(a, 'keep me').getByRole('button', { name: 'Delete' }).click();
  await expect(article(a, 'keep me')).toHaveCount(0);
  const undo = a.getByRole('button', { name: /^Undo/ });
  await expect(undo).toHaveCount(1);
  await a.screenshot({ path: path.resolve(__dirname, '..', 'artifacts', 'undo.png') });
  await undo.click();
  await expect(article(a, 'keep me')).toBeVisible();
  await a.waitForTimeout(6_000); // past the undo window
  expect(await texts(a, feed)).toEqual(['drop me', 'keep me']);
  await expect(article(b, 'keep me')).toBeVisible();

  // Delete without undo: final once the window ends, for everyone.
  await article(a, 'drop me').getByRole('button', { name: 'Delete' }).click();
  await expect(a.getByRole('button', { name: /^Undo/ })).toHaveCount(1);
  await expect.poll(() => texts(a, feed), { timeout: 15_000 }).toEqual(['keep me']);
  await expect(article(b, 'drop me')).toHaveCount(0);
  await expect(a.getByRole('button', { name: /^Undo/ })).toHaveCount(0);

  // Closing the page inside the window does not drop the delete: it goes
  // into the outbox and out on the next visit.
  await article(a, 'keep me').getByRole('button', { name: 'Delete' }).click();
  await expect(a.getByRole('button', { name: /^Undo/ })).toHaveCount(1);
  await a.goto('about:blank');
  const again = await ctxA.newPage();
  await again.goto(`/f/${feed}`);
  await expect(status(again)).toHaveText(/^Live/);
  await expect.poll(() => texts(again, feed), { timeout: 15_000 }).toEqual([]);

  await ctxA.close();
  await ctxB.close();
});
