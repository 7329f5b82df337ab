import path from 'node:path';
import { apiPosts, expect, feedName, join, test } from '../fixtures';

// The feed list: the feeds a person opened, kept across reloads, with live
// unread counts, switching without a reload, opening a feed by name, and a
// menu on a phone.

const shot = (name: string) => path.resolve(__dirname, '..', 'artifacts', name);

test('the feed list: open by name, unread counts, switch without a reload, leave', async ({ browser }) => {
  const home = feedName('home');
  const other = feedName('other');
  const ctxA = await browser.newContext();
  const ann = await join(ctxA, 'Ann', home);
  const nav = ann.getByRole('navigation', { name: 'Feeds' });
  await expect(nav.getByRole('link', { name: `#${home}` })).toHaveAttribute('aria-current', 'page');
  // Only feeds the person opened are listed (and followed).
  await expect(nav.getByRole('link')).toHaveCount(1);

  // A bad name gets the rule, and nothing opens.
  const field = nav.getByRole('textbox', { name: 'Feed name' });
  await field.fill('Bad Name!');
  await nav.getByRole('button', { name: 'Open feed' }).click();
  await expect(nav.getByRole('alert')).toContainText('A feed name is 1 to 32 characters long');
  expect(new URL(ann.url()).pathname).toBe(`/f/${home}`);

  // A good one opens in place: no reload (the marker survives).
  await ann.evaluate(() => ((window as any).__sameDocument = true));
  await field.fill(`#${other.toUpperCase()}`); // "#" and capitals: the name meant
  await nav.getByRole('button', { name: 'Open feed' }).click();
  await expect(ann).toHaveURL(new RegExp(`/f/${other}$`));
  await expect(ann.getByRole('heading', { level: 1 })).toContainText(other);
  await expect(nav.getByRole('link', { name: `#${other}` })).toHaveAttribute('aria-current', 'page');
  expect(await ann.evaluate(() => (window as any).__sameDocument)).toBe(true);

  // Bob posts twice in Ann's first feed: its link counts them, live.
  const ctxB = await browser.newContext();
  const bob = await join(ctxB, 'Bob', home);
  await apiPosts(ctxB.request, home, ['one for Ann.', 'two for Ann.']);
  await expect(nav.getByRole('link', { name: `#${home}, 2 unread posts` })).toBeVisible();
  await ann.screenshot({ path: shot('feeds-desktop.png') });

  // Switching back shows them, and they are read.
  await nav.getByRole('link', { name: `#${home}, 2 unread posts` }).click();
  await expect(ann.getByRole('article').first()).toContainText('two for Ann.');
  await expect(nav.getByRole('link', { name: `#${home}` })).toHaveAttribute('aria-current', 'page');
  expect(await ann.evaluate(() => (window as any).__sameDocument)).toBe(true);

  // The list survives a reload.
  await ann.reload();
  await expect(nav.getByRole('link', { name: `#${other}` })).toBeVisible();
  await expect(nav.getByRole('link', { name: `#${home}` })).toHaveAttribute('aria-current', 'page');

  // Leaving a feed takes it off, for good.
  await nav.getByRole('button', { name: `Leave #${other}` }).click();
  await expect(nav.getByRole('link', { name: `#${other}` })).toHaveCount(0);
  await ann.reload();
  await expect(nav.getByRole('link', { name: `#${home}` })).toBeVisible();
  await expect(nav.getByRole('link', { name: `#${other}` })).toHaveCount(0);
  await bob.close();
  await ctxA.close();
  await ctxB.close();
});

test('on a phone the feed list is a menu', async ({ browser }) => {
  for (const colorScheme of ['light', 'dark'] as const) {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme });
    const page = await join(ctx, 'Pia', 'main');
    const nav = page.getByRole('navigation', { name: 'Feeds' });
    const toggle = nav.getByRole('button', { name: /^Feeds/ });
    await expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await expect(nav.getByRole('link', { name: '#main' })).toBeHidden();
    await toggle.click();
    await expect(toggle).toHaveAttribute('aria-expanded', 'true');
    await expect(nav.getByRole('link', { name: '#main' })).toBeVisible();
    const box = await nav.getByRole('link', { name: '#main' }).boundingBox();
    expect(box!.height).toBeGreaterThanOrEqual(44);
    // Open another feed from the menu: it closes, and lists both.
    const other = feedName('phone');
    await nav.getByRole('textbox', { name: 'Feed name' }).fill(other);
    await nav.getByRole('button', { name: 'Open feed' }).click();
    await expect(page).toHaveURL(new RegExp(`/f/${other}$`));
    await expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await toggle.click();
    await page.screenshot({ path: shot(`feeds-phone-${colorScheme}.png`) });
    await nav.getByRole('link', { name: '#main' }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await ctx.close();
  }
});
