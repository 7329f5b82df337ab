import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type Locator, type Page } from '@playwright/test';
import { article, expect, feedName, join, post, status, test } from '../fixtures';

// The post card: links in text people write, long posts folded behind
// "Show more", and reactions as people know them (only those a post has,
// who gave them, an "Add reaction" picker that works with a keyboard).

const artifacts = path.resolve(__dirname, '..', 'artifacts');
const EMOJIS = ['👍', '❤️', '😂', '🎉', '😮', '😢']; // protocol.Reactions

type Stored = { text: string; reactions?: { emoji: string; users: { name: string }[] }[] };

/** What the server stored on the post with text: emoji → names. */
async function storedReactions(page: Page, feed: string, text: string): Promise<Record<string, string[]>> {
  const res = await page.request.get(`/api/feeds/${feed}`);
  expect(res.status()).toBe(200);
  const p = ((await res.json()).posts as Stored[]).find((x) => x.text === text);
  if (!p) return { '<post missing>': [] };
  const out: Record<string, string[]> = {};
  for (const r of p.reactions ?? []) if (r.users.length) out[r.emoji] = r.users.map((u) => u.name).sort();
  return out;
}

/** The reaction buttons a card shows (not the picker's). */
function reactions(card: Locator) {
  return card.getByRole('button', { name: new RegExp(`^(${EMOJIS.join('|')})`) });
}

function picker(card: Locator) {
  return card.getByRole('toolbar', { name: 'Pick a reaction' });
}

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

test('reactions: only those given, who gave them, added from the picker', async ({ browser }) => {
  const feed = feedName('react');
  const ctxA = await browser.newContext();
  const ctxB = await browser.newContext();
  const a = await join(ctxA, 'Ada', feed);
  const b = await join(ctxB, 'Bob', feed);
  await post(a, 'react to me');
  await post(a, 'or to me');
  const cardB = article(b, 'react to me');
  await expect(cardB).toBeVisible();
  await expect(reactions(cardB)).toHaveCount(0);
  await expect(picker(cardB)).toHaveCount(0);

  const add = cardB.getByRole('button', { name: 'Add reaction' });
  await expect(add).toHaveAttribute('aria-expanded', 'false');
  await add.click();
  await expect(add).toHaveAttribute('aria-expanded', 'true');
  await expect(picker(cardB)).toBeVisible();
  for (const e of EMOJIS) {
    await expect(picker(cardB).getByRole('button', { name: `React with ${e}`, exact: true })).toHaveAttribute('aria-pressed', 'false');
  }
  await picker(cardB).getByRole('button', { name: 'React with 🎉' }).click();
  await expect(picker(cardB)).toHaveCount(0);
  await expect(add).toBeFocused();
  const partyB = cardB.getByRole('button', { name: /^🎉/ });
  await expect(partyB).toHaveText(/🎉\s*1/);
  await expect(partyB).toHaveAttribute('aria-pressed', 'true');
  await expect(partyB).toHaveAccessibleName('🎉 1');
  await expect(partyB).toHaveAccessibleDescription('You reacted with 🎉');
  await expect.poll(() => storedReactions(b, feed, 'react to me')).toEqual({ '🎉': ['Bob'] });
  expect(await storedReactions(b, feed, 'or to me')).toEqual({});

  // Ada sees who gave it: on hover (the title), and a screen reader reads
  // it after the button's name (the title is its description).
  const cardA = article(a, 'react to me');
  const partyA = cardA.getByRole('button', { name: /^🎉/ });
  await expect(partyA).toHaveAccessibleName('🎉 1');
  await expect(partyA).toHaveAttribute('title', 'Bob reacted with 🎉');
  await expect(partyA).toHaveAccessibleDescription('Bob reacted with 🎉');
  await expect(partyA).toHaveAttribute('aria-pressed', 'false');
  await partyA.click();
  await expect(partyA).toHaveAccessibleName('🎉 2');
  await expect(partyA).toHaveAccessibleDescription('You and Bob reacted with 🎉');
  await expect(partyB).toHaveAccessibleDescription('You and Ada reacted with 🎉');
  await expect.poll(() => storedReactions(a, feed, 'react to me')).toEqual({ '🎉': ['Ada', 'Bob'] });

  // One picker at a time: opening another closes the first.
  await cardA.getByRole('button', { name: 'Add reaction' }).click();
  await expect(picker(cardA)).toBeVisible();
  const other = article(a, 'or to me');
  await other.getByRole('button', { name: 'Add reaction' }).click();
  await expect(picker(other)).toBeVisible();
  await expect(a.getByRole('toolbar', { name: 'Pick a reaction' })).toHaveCount(1);
  // A press outside closes it.
  await a.mouse.click(5, 300);
  await expect(a.getByRole('toolbar')).toHaveCount(0);
  // The picker shows the user's own: 🎉 is pressed in the first post's.
  await cardA.getByRole('button', { name: 'Add reaction' }).click();
  await expect(picker(cardA).getByRole('button', { name: 'React with 🎉' })).toHaveAttribute('aria-pressed', 'true');
  // Taking a reaction back from the picker: Bob's stays.
  await picker(cardA).getByRole('button', { name: 'React with 🎉' }).click();
  await expect(partyA).toHaveAccessibleName('🎉 1');
  await expect(partyA).toHaveAccessibleDescription('Bob reacted with 🎉');
  await expect.poll(() => storedReactions(a, feed, 'react to me')).toEqual({ '🎉': ['Bob'] });
  await ctxA.close();
  await ctxB.close();
});

test('the reaction picker works with the keyboard alone', async ({ browser }) => {
  const feed = feedName('keys');
  const ctx = await browser.newContext();
  const a = await join(ctx, 'Kim', feed);
  await post(a, 'keyboard only');
  const card = article(a, 'keyboard only');
  const add = card.getByRole('button', { name: 'Add reaction' });
  const pick = (e: string) => picker(card).getByRole('button', { name: `React with ${e}`, exact: true });

  // Enter opens it, the focus moves to its first emoji.
  await add.focus();
  await a.keyboard.press('Enter');
  await expect(pick('👍')).toBeFocused();
  // One tab stop; arrows, Home and End move, wrapping around.
  await expect(picker(card).locator('[tabindex="0"]')).toHaveCount(1);
  for (const [key, e] of [
    ['ArrowRight', '❤️'], ['ArrowRight', '😂'], ['ArrowRight', '🎉'], ['ArrowLeft', '😂'],
    ['End', '😢'], ['ArrowRight', '👍'], ['ArrowLeft', '😢'], ['Home', '👍'], ['ArrowDown', '❤️'], ['ArrowUp', '👍'],
  ]) {
    await a.keyboard.press(key);
    await expect(pick(e)).toBeFocused();
  }
  // Escape closes it and gives the focus back.
  await a.keyboard.press('Escape');
  await expect(picker(card)).toHaveCount(0);
  await expect(add).toBeFocused();
  await expect(add).toHaveAttribute('aria-expanded', 'false');

  // Space opens it; Enter on an emoji reacts, closes, gives the focus back.
  await a.keyboard.press('Space');
  await expect(pick('👍')).toBeFocused();
  for (let i = 0; i < 3; i++) await a.keyboard.press('ArrowRight');
  await expect(pick('🎉')).toBeFocused();
  await a.keyboard.press('Enter');
  await expect(picker(card)).toHaveCount(0);
  await expect(add).toBeFocused();
  await expect(card.getByRole('button', { name: /^🎉/ })).toHaveAttribute('aria-pressed', 'true');
  await expect.poll(() => storedReactions(a, feed, 'keyboard only')).toEqual({ '🎉': ['Kim'] });

  // Tab moves out of it, and that closes it.
  await a.keyboard.press('Enter');
  await expect(pick('👍')).toBeFocused();
  await a.keyboard.press('Tab');
  await expect(picker(card)).toHaveCount(0);
  await expect(add).toHaveAttribute('aria-expanded', 'false');
  // Shift+Tab from the picker goes back to "Add reaction", which keeps it
  // open until pressed again.
  await add.focus();
  await a.keyboard.press('Enter');
  await expect(pick('👍')).toBeFocused();
  await a.keyboard.press('Shift+Tab');
  await expect(add).toBeFocused();
  await expect(picker(card)).toHaveCount(1);
  await a.keyboard.press('Enter');
  await expect(picker(card)).toHaveCount(0);
  await ctx.close();
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

test('cards on a desktop, a phone and in the dark: screenshots, tap targets, axe', async ({ browser }) => {
  test.setTimeout(180_000); // three browsers and four axe runs
  const feed = feedName('cards');
  const ctxA = await browser.newContext();
  const ctxB = await browser.newContext();
  const a = await join(ctxA, 'Ada', feed);
  const b = await join(ctxB, 'Bob', feed);
  await post(a, longText);
  await post(b, 'Release notes are at https://example.com/notes_(v2). Thoughts?');
  await post(a, 'Short one, with reactions 🎉');
  const short = article(b, 'Short one');
  for (const [page, e] of [[a, '🎉'], [b, '🎉'], [b, '❤️']] as const) {
    const card = article(page, 'Short one');
    const shown = card.getByRole('button', { name: new RegExp(`^${e}`) });
    if (await shown.count()) await shown.click();
    else {
      await card.getByRole('button', { name: 'Add reaction' }).click();
      await picker(card).getByRole('button', { name: `React with ${e}` }).click();
    }
  }
  await expect(short.getByRole('button', { name: /^🎉/ })).toHaveAccessibleDescription('You and Ada reacted with 🎉');
  await expect(article(a, 'Short one').getByRole('button', { name: /^❤️/ })).toHaveAccessibleDescription('Bob reacted with ❤️');
  await a.waitForFunction(
    () => document.getAnimations().filter((x) => (x.effect as KeyframeEffect)?.target?.closest?.('article')).length === 0,
  );

  const found: string[] = [];
  const axe = async (page: Page, what: string) => {
    const res = await new AxeBuilder({ page }).analyze();
    for (const v of res.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious')) {
      found.push(`${what}: ${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    }
  };
  await article(a, 'Short one').getByRole('button', { name: 'Add reaction' }).click();
  await expect(picker(article(a, 'Short one'))).toBeVisible();
  await a.screenshot({ path: path.join(artifacts, 'card-desktop.png'), fullPage: true });
  await axe(a, 'desktop, picker open');
  await a.emulateMedia({ colorScheme: 'dark' });
  await a.screenshot({ path: path.join(artifacts, 'card-dark.png'), fullPage: true });
  await axe(a, 'dark, picker open');

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, colorScheme: 'light' });
  const p = await join(phone, 'Pat', feed);
  const card = article(p, 'Short one');
  await expect(card).toBeVisible();
  await card.getByRole('button', { name: 'Add reaction' }).tap();
  await expect(picker(card)).toBeVisible();
  // Every reaction control is at least 44 px square on a phone.
  const targets = card.locator('.reactions button');
  expect(await targets.count()).toBe(2 + 1 + EMOJIS.length); // 🎉, ❤️, Add reaction, the picker
  for (const box of await targets.evaluateAll((els) => els.map((el) => el.getBoundingClientRect().toJSON()))) {
    expect(Math.min(box.width, box.height), JSON.stringify(box)).toBeGreaterThanOrEqual(44);
  }
  const fold = article(p, 'line 1 of a long post').getByRole('button', { name: 'Show more' });
  expect(Math.min(...Object.values((await fold.boundingBox())!).slice(2))).toBeGreaterThanOrEqual(44);
  await p.screenshot({ path: path.join(artifacts, 'card-phone.png'), fullPage: true });
  await axe(p, 'phone, picker open');
  await p.emulateMedia({ colorScheme: 'dark' });
  await p.screenshot({ path: path.join(artifacts, 'card-phone-dark.png'), fullPage: true });
  await axe(p, 'phone dark, picker open');
  for (const c of [ctxA, ctxB, phone]) await c.close();
  expect(found).toEqual([]);
});
