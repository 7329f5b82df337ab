import path from 'node:path';
import { type Page } from '@playwright/test';
import { article, expect, feedName, join, post, status, test } from '../fixtures';

// Leaving safely (issue 11, item 8): signing out with changes not sent yet
// warns first and never drops them silently; after signing out nothing of
// the person is left in the browser's storage, a reload shows the sign-in
// page, and the session sends nothing more.

const artifacts = path.resolve(__dirname, '..', 'artifacts');

/** The localStorage keys of Livefeed (all of them start with "livefeed:"). */
async function livefeedKeys(page: Page): Promise<string[]> {
  return page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('livefeed:')).sort());
}

/** The signed-in user's id, from the app's cached sign-in. */
async function userId(page: Page): Promise<string> {
  const id = await page.evaluate(() => JSON.parse(localStorage.getItem('livefeed:user') ?? '{}').id ?? '');
  expect(id).not.toBe('');
  return id;
}

/** What the server holds of feed: the texts of its posts, newest first. */
async function serverTexts(page: Page, feed: string): Promise<string[]> {
  const r = await page.request.get(`/api/feeds/${feed}`);
  if (r.status() === 404) return [];
  const body = await r.json();
  return ((body.posts ?? []) as { text: string }[]).map((p) => p.text);
}

function signInField(page: Page) {
  return page.getByRole('textbox', { name: 'Display name' });
}

test('with nothing unsent, Sign out is immediate and leaves nothing of the person in the browser', async ({ browser }) => {
  const feed = feedName('leave');
  const ctx = await browser.newContext();
  const a = await join(ctx, 'Ada', feed);
  await post(a, 'Sent before leaving');
  await expect(article(a, 'Sent before leaving')).not.toContainText('Sending');
  const id = await userId(a);
  // The session has cached the feed and written its outbox.
  await expect.poll(() => livefeedKeys(a)).toContain(`livefeed:${id}:livefeed/feed/${feed}`);
  expect(await livefeedKeys(a)).toContain(`livefeed:${id}:livefeed/outbox`);

  await a.getByRole('button', { name: 'Sign out' }).click();
  await expect(signInField(a)).toBeVisible();
  await expect(a.getByRole('dialog')).toHaveCount(0);
  await expect(signInField(a)).toBeFocused();
  // Nothing is left: no feed, no outbox, no cached sign-in (and, once the
  // server has been told, no note that it still must be).
  await expect.poll(() => livefeedKeys(a)).toEqual([]);
  expect((await a.request.get('/api/session')).status()).toBe(401);

  await a.reload();
  await expect(signInField(a)).toBeVisible();
  await expect(a.getByRole('article')).toHaveCount(0);
  await ctx.close();
});

test('unsent changes: Sign out warns; Stay keeps them; Sign out anyway drops them and nothing is sent', async ({ browser }) => {
  const feed = feedName('unsent');
  const ctx = await browser.newContext();
  const a = await join(ctx, 'Ada', feed);
  const sent: string[] = [];
  a.on('websocket', (ws) => ws.on('framesent', (f) => sent.push(String(f.payload))));
  await post(a, 'Kept on the server');
  await expect(article(a, 'Kept on the server')).not.toContainText('Sending');

  await ctx.setOffline(true);
  await expect(status(a)).toHaveText(/^Offline/);
  await post(a, 'Written offline');
  await expect(article(a, 'Written offline')).toContainText('Sending');
  // A delete still in its undo window counts too.
  await article(a, 'Kept on the server').getByRole('button', { name: 'Delete' }).click();
  await expect(a.getByRole('button', { name: 'Undo' })).toBeVisible();

  const signOut = a.getByRole('button', { name: 'Sign out' });
  await signOut.click();
  const dialog = a.getByRole('dialog', { name: '2 changes are not sent yet' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('If you sign out now, they are lost.');
  // The focus is in the dialog, on the safe choice.
  await expect(dialog.getByRole('button', { name: 'Stay signed in' })).toBeFocused();
  await a.screenshot({ path: path.join(artifacts, 'leave-dialog.png') });
  await a.emulateMedia({ colorScheme: 'dark' });
  await a.screenshot({ path: path.join(artifacts, 'leave-dialog-dark.png') });
  await a.emulateMedia({ colorScheme: 'light' });

  // Escape is "Stay": the focus goes back to Sign out, nothing is lost.
  await a.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(signOut).toBeFocused();
  await expect(article(a, 'Written offline')).toContainText('Sending');
  await expect(status(a)).toHaveText(/^Offline/);
  await signOut.click();
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Stay signed in' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(article(a, 'Written offline')).toContainText('Sending');

  await signOut.click();
  await dialog.getByRole('button', { name: 'Sign out anyway' }).click();
  await expect(signInField(a)).toBeVisible();
  await expect(a.getByRole('dialog')).toHaveCount(0);
  // Nothing of Ada is left but the note that the server must still hear of
  // the sign-out (it could not be told while offline).
  expect(await livefeedKeys(a)).toEqual(['livefeed:sign-out-pending']);

  // Back online, a reload tells the server first: the sign-in page, not
  // Ada signed in again by her cookie.
  await ctx.setOffline(false);
  const reloaded = await a.reload();
  // Nor prerendered for her (app/ui/first-paint.go): the browser's
  // sign-out-pending cookie has the page prerendered for no one.
  const html = (await reloaded?.text()) ?? '';
  expect(html).toContain('<body');
  expect(html).not.toContain('data-first-paint');
  expect(html).not.toContain('Written offline');
  await expect(signInField(a)).toBeVisible();
  await expect.poll(() => livefeedKeys(a)).toEqual([]);
  expect((await ctx.cookies()).map((c) => c.name)).not.toContain('livefeed_sign_out_pending');
  expect((await a.request.get('/api/session')).status()).toBe(401);
  await expect(a.getByRole('article')).toHaveCount(0);

  // Bob signs in on the same page and is live: the dropped changes were
  // never sent, by Ada's stopped session or by anyone.
  await signInField(a).fill('Bob');
  await a.getByRole('button', { name: 'Join' }).click();
  await expect(status(a)).toHaveText(/^Live/);
  await expect(article(a, 'Kept on the server')).toBeVisible();
  await expect(article(a, 'Written offline')).toHaveCount(0);
  expect(await serverTexts(a, feed)).toEqual(['Kept on the server']);
  expect(sent.filter((f) => f.includes('Written offline'))).toEqual([]);
  await ctx.close();
});

test('changes still sending when Sign out is asked for are sent first, then it signs out', async ({ browser }) => {
  const feed = feedName('drain');
  const ctx = await browser.newContext();
  const a = await join(ctx, 'Ada', feed);
  await ctx.setOffline(true);
  await expect(status(a)).toHaveText(/^Offline/);
  await post(a, 'Sent on the way out');
  await a.getByRole('button', { name: 'Sign out' }).click();
  const dialog = a.getByRole('dialog', { name: '1 change is not sent yet' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('signed out as soon as');

  await ctx.setOffline(false);
  await expect(signInField(a)).toBeVisible();
  await expect(dialog).toHaveCount(0);
  expect(await serverTexts(a, feed)).toEqual(['Sent on the way out']);
  await expect.poll(() => livefeedKeys(a)).toEqual([]);
  await ctx.close();
});

test('signing out in one tab signs out the others, which then store nothing', async ({ browser }) => {
  const feed = feedName('tabs');
  const ctx = await browser.newContext();
  const one = await join(ctx, 'Ada', feed);
  const two = await ctx.newPage();
  await two.goto(`/f/${feed}`);
  await expect(status(two)).toHaveText(/^Live/);
  await post(two, 'From the second tab');
  await expect(article(one, 'From the second tab')).not.toContainText('Sending');

  await one.getByRole('button', { name: 'Sign out' }).click();
  await expect(signInField(one)).toBeVisible();
  await expect(signInField(two)).toBeVisible();
  await expect(two.getByRole('alert')).toHaveText('You were signed out in another tab.');
  await expect.poll(() => livefeedKeys(two)).toEqual([]);
  await two.reload();
  await expect(signInField(two)).toBeVisible();
  await ctx.close();
});

test('the sign-out warning on a phone', async ({ browser }) => {
  const feed = feedName('leave-phone');
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const a = await join(ctx, 'Pat', feed);
  await ctx.setOffline(true);
  await expect(status(a)).toHaveText(/^Offline/);
  await post(a, 'A phone post');
  await a.getByRole('button', { name: 'Sign out' }).click();
  const dialog = a.getByRole('dialog', { name: '1 change is not sent yet' });
  await expect(dialog).toBeVisible();
  const box = (await dialog.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(390);
  for (const b of await dialog.getByRole('button').all()) {
    const bb = (await b.boundingBox())!;
    expect(bb.height).toBeGreaterThanOrEqual(44);
  }
  await a.screenshot({ path: path.join(artifacts, 'leave-dialog-phone.png') });
  await ctx.close();
});
