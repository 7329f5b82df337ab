import path from 'node:path';
import {
  article,
  expect,
  expectOnce,
  feedName,
  join,
  post,
  status,
  test,
  waitForOfflineCache,
} from '../fixtures';

const artifacts = path.resolve(__dirname, '..', 'artifacts');

test('two people collaborate live; user text stays text', async ({ browser }) => {
  const feed = feedName('collab');
  const ctxA = await browser.newContext();
  const ctxB = await browser.newContext();
  const nameA = 'Ada<img src=x onerror=alert(1)>';
  const nameB = 'Bob<script>alert(2)</script>';
  const a = await join(ctxA, nameA, feed);
  const b = await join(ctxB, nameB, feed);

  await expect(a.getByText('2 online')).toBeVisible();
  await expect(b.getByText('2 online')).toBeVisible();

  // A posts, B sees it live.
  const hello = 'Hello from Ada — first post';
  await post(a, hello);
  await expect(article(b, hello)).toBeVisible();
  await expect(article(b, hello)).toContainText(nameA);

  // B reacts, A sees the count change. No one has reacted yet, so 👍 is
  // in the card's "Add reaction" picker, not pressed.
  await article(b, hello).getByRole('button', { name: 'Add reaction' }).click();
  const pick = article(b, hello).getByRole('button', { name: 'React with 👍' });
  await expect(pick).toHaveAttribute('aria-pressed', 'false');
  await pick.click();
  const like = article(b, hello).getByRole('button', { name: /^👍/ });
  await expect(like).toHaveAttribute('aria-pressed', 'true');
  await expect(like).toHaveText(/👍\s*1/);
  const likeA = article(a, hello).getByRole('button', { name: /^👍/ });
  await expect(likeA).toHaveText(/👍\s*1/);
  await expect(likeA).toHaveAttribute('aria-pressed', 'false');

  // Untrusted text is text.
  const evil = `<script>window.__xss=1</script><img src=x onerror="window.__xss=2"> & "quotes"`;
  await post(b, evil);
  await expect(article(a, evil)).toBeVisible();
  await expect(article(a, evil)).toContainText(nameB);
  await expect(article(b, hello)).toContainText(nameA);
  for (const p of [a, b]) {
    expect(await p.evaluate(() => (window as any).__xss)).toBeUndefined();
    await expect(p.locator('article img, article script')).toHaveCount(0);
  }

  // The screenshot of the feed with both users' posts.
  await post(b, 'Looks great! Reactions update live for everyone 🎉');
  await expect(article(a, 'Looks great!')).toBeVisible();
  await a.waitForFunction(
    () => document.getAnimations().filter((x) => (x.effect as KeyframeEffect)?.target?.closest?.('article')).length === 0,
  );
  await a.screenshot({ path: path.join(artifacts, 'feed.png'), fullPage: true });
  await a.emulateMedia({ colorScheme: 'dark' });
  await a.screenshot({ path: path.join(artifacts, 'feed-dark.png'), fullPage: true });
  await a.emulateMedia({ colorScheme: 'light' });

  // Only the author can edit or delete.
  await expect(article(b, hello).getByRole('button', { name: 'Edit' })).toHaveCount(0);

  // A edits, B sees the new text.
  await article(a, hello).getByRole('button', { name: 'Edit' }).click();
  const editor = a.getByRole('textbox', { name: 'Edit post' });
  await editor.fill('Hello from Ada — edited');
  await a.getByRole('button', { name: 'Save' }).click();
  await expect(article(b, 'Hello from Ada — edited')).toBeVisible();
  await expect(article(b, 'first post')).toHaveCount(0);
  // The reaction survives the edit.
  await expect(article(a, 'Hello from Ada — edited').getByRole('button', { name: /^👍/ })).toHaveText(/👍\s*1/);

  // Edit, then Cancel, changes nothing.
  await article(a, 'edited').getByRole('button', { name: 'Edit' }).click();
  await a.getByRole('textbox', { name: 'Edit post' }).fill('never saved');
  await a.getByRole('button', { name: 'Cancel' }).click();
  await expect(article(a, 'never saved')).toHaveCount(0);

  // A deletes, it disappears for B.
  await article(a, 'Hello from Ada — edited').getByRole('button', { name: 'Delete' }).click();
  await expect(article(b, 'Hello from Ada — edited')).toHaveCount(0);
  await expect(article(a, 'Hello from Ada — edited')).toHaveCount(0);

  await ctxA.close();
  await ctxB.close();
});

test('a bad display name shows the server’s reason', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('textbox', { name: 'Display name' }).fill('x'.repeat(60));
  await page.getByRole('button', { name: 'Join' }).click();
  await expect(page.getByRole('alert').filter({ hasText: /name/i })).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Write a post' })).toHaveCount(0);
});

test('server restart: both reconnect by themselves, nothing duplicated', async ({ browser, server }) => {
  const feed = feedName('restart');
  const ctxA = await browser.newContext();
  const ctxB = await browser.newContext();
  const a = await join(ctxA, 'Ada', feed);
  const b = await join(ctxB, 'Bob', feed);
  await post(a, 'before the restart');
  await expect(article(b, 'before the restart')).toBeVisible();

  await server.stop();
  await expect(status(a)).toHaveText(/^Reconnecting/);
  await expect(status(b)).toHaveText(/^Reconnecting/);
  await expect(a.getByRole('button', { name: 'Retry now' })).toBeVisible();

  // B writes while the server is down.
  await post(b, 'written while the server was down');
  await expect(article(b, 'written while the server was down')).toContainText('Sending');

  await server.restart();
  await expect(status(a)).toHaveText(/^Live/, { timeout: 45_000 });
  await expect(status(b)).toHaveText(/^Live/, { timeout: 45_000 });
  await expectOnce(a, 'written while the server was down');
  await expectOnce(b, 'written while the server was down');
  await expect(article(b, 'written while the server was down')).not.toContainText('Sending');
  await expectOnce(a, 'before the restart');
  await expectOnce(b, 'before the restart');

  // And live again both ways.
  await post(a, 'after the restart');
  await expectOnce(b, 'after the restart');
  await ctxA.close();
  await ctxB.close();
});

test('offline: posts wait as “Sending…” and go out once when back online', async ({ browser }) => {
  const feed = feedName('offline');
  const ctxA = await browser.newContext();
  const ctxB = await browser.newContext();
  const a = await join(ctxA, 'Ada', feed);
  const b = await join(ctxB, 'Bob', feed);

  await ctxA.setOffline(true);
  await expect(status(a)).toHaveText(/^Offline/);
  await post(a, 'offline one');
  await post(a, 'offline two');
  await expect(article(a, 'offline one')).toContainText('Sending…');
  await expect(article(a, 'offline two')).toContainText('Sending…');
  await b.waitForTimeout(1000);
  await expect(article(b, 'offline one')).toHaveCount(0);

  await ctxA.setOffline(false);
  await expect(status(a)).toHaveText(/^Live/);
  await expect(article(a, 'offline one')).not.toContainText('Sending');
  await expect(article(a, 'offline two')).not.toContainText('Sending');
  for (const p of [a, b]) {
    await expectOnce(p, 'offline one');
    await expectOnce(p, 'offline two');
  }
  // Newest first.
  await expect(b.getByRole('article').first()).toContainText('offline two');
  await ctxA.close();
  await ctxB.close();
});

test('reload while a post is pending offline: sent once after going online', async ({ browser }) => {
  const feed = feedName('reload');
  const ctxA = await browser.newContext();
  const ctxB = await browser.newContext();
  const a = await join(ctxA, 'Ada', feed);
  const b = await join(ctxB, 'Bob', feed);
  await waitForOfflineCache(a);

  await ctxA.setOffline(true);
  await expect(status(a)).toHaveText(/^Offline/);
  await post(a, 'pending across a reload');
  await expect(article(a, 'pending across a reload')).toContainText('Sending');

  await a.reload();
  await expect(status(a)).toHaveText(/^Offline/);
  await expect(article(a, 'pending across a reload')).toContainText('Sending');

  await ctxA.setOffline(false);
  await expect(status(a)).toHaveText(/^Live/);
  await expect(article(a, 'pending across a reload')).not.toContainText('Sending');
  await expectOnce(a, 'pending across a reload');
  await expectOnce(b, 'pending across a reload');
  await ctxA.close();
  await ctxB.close();
});

test('offline start: the shell and the cached feed open with the server down', async ({ browser, server }) => {
  const feed = feedName('cold');
  const ctx = await browser.newContext();
  const a = await join(ctx, 'Ada', feed);
  await post(a, 'cached for later');
  await expect(article(a, 'cached for later')).not.toContainText('Sending');
  await waitForOfflineCache(a);

  await server.stop();
  await ctx.setOffline(true);
  await a.reload();
  await expect(a.getByRole('link', { name: /Livefeed/ })).toBeVisible();
  await expect(status(a)).toHaveText(/^Offline/);
  await expect(article(a, 'cached for later')).toBeVisible();
  await expect(article(a, 'cached for later')).toContainText('Ada');

  // A named feed that was never opened also gets the shell.
  const other = await ctx.newPage();
  await other.goto(`/f/${feed}`);
  await expect(article(other, 'cached for later')).toBeVisible();

  await server.restart();
  await ctx.setOffline(false);
  await expect(status(a)).toHaveText(/^Live/, { timeout: 45_000 });
  await expectOnce(a, 'cached for later');
  await ctx.close();
});

test('scrolled away from the top, a new post shows “1 new post” instead of moving the page', async ({ browser }) => {
  const feed = feedName('scroll');
  const ctxA = await browser.newContext({ viewport: { width: 900, height: 600 } });
  const ctxB = await browser.newContext();
  const a = await join(ctxA, 'Ada', feed);
  const b = await join(ctxB, 'Bob', feed);
  for (let i = 1; i <= 10; i++) await post(b, `filler post number ${i}`);
  await expect(a.getByRole('article')).toHaveCount(10);

  // Let the arrival highlights finish: they move the cards a little.
  await a.waitForFunction(
    () => document.getAnimations().filter((x) => (x.effect as KeyframeEffect)?.target?.closest?.('article')).length === 0,
  );
  await a.evaluate(() => window.scrollTo(0, 700));
  await expect.poll(() => a.evaluate(() => window.scrollY)).toBeGreaterThan(600);
  const before = await a.evaluate(() => window.scrollY);
  const firstVisible = async () =>
    a.evaluate(() => {
      for (const el of document.querySelectorAll('article')) {
        const r = el.getBoundingClientRect();
        if (r.bottom > 80) return el.textContent + '@' + Math.round(r.top);
      }
      return '';
    });
  const anchor = await firstVisible();

  await post(b, 'arrived while Ada was reading');
  const pill = a.getByRole('button', { name: /^↑?\s*1 new post$/ });
  await expect(pill).toBeVisible();
  expect(await a.evaluate(() => window.scrollY)).toBe(before);
  expect(await firstVisible()).toBe(anchor);
  await expect(article(a, 'arrived while Ada was reading')).toHaveCount(0);

  await pill.click();
  await expect(article(a, 'arrived while Ada was reading')).toBeVisible();
  await expect.poll(() => a.evaluate(() => window.scrollY)).toBeLessThan(5);
  await expect(pill).toHaveCount(0);

  // At the top, new posts appear in place.
  await post(b, 'arrived while at the top');
  await expect(article(a, 'arrived while at the top')).toBeVisible();
  await expect(a.getByRole('button', { name: /new post/ })).toHaveCount(0);
  await ctxA.close();
  await ctxB.close();
});

test('a refused action shows its reason and can be dismissed', async ({ browser }) => {
  const feed = feedName('refused');
  const ctxA = await browser.newContext();
  const ctxB = await browser.newContext();
  const a = await join(ctxA, 'Ada', feed);
  const b = await join(ctxB, 'Bob', feed);
  await post(a, 'soon gone');
  await expect(article(b, 'soon gone')).toBeVisible();

  // B reacts while offline; meanwhile A deletes the post.
  await ctxB.setOffline(true);
  await expect(status(b)).toHaveText(/^Offline/);
  await article(b, 'soon gone').getByRole('button', { name: 'Add reaction' }).click();
  await article(b, 'soon gone').getByRole('button', { name: 'React with 👍' }).click();
  const like = article(b, 'soon gone').getByRole('button', { name: /^👍/ });
  await expect(like).toHaveAttribute('aria-pressed', 'true');
  await article(a, 'soon gone').getByRole('button', { name: 'Delete' }).click();
  await expect(article(a, 'soon gone')).toHaveCount(0);
  // The delete is final (past its undo window) before B comes back.
  await expect
    .poll(async () => (await (await a.request.get(`/api/feeds/${feed}`)).json()).posts?.length ?? 0, { timeout: 15_000 })
    .toBe(0);

  await ctxB.setOffline(false);
  await expect(status(b)).toHaveText(/^Live/);
  await expect(article(b, 'soon gone')).toHaveCount(0);
  const notice = b.getByRole('alert').filter({ hasText: 'was not added' });
  await expect(notice).toBeVisible();
  await notice.getByRole('button', { name: 'Dismiss' }).click();
  await expect(notice).toHaveCount(0);
  // Dismissed for good: not back after a reload.
  await b.reload();
  await expect(status(b)).toHaveText(/^Live/);
  await expect(b.getByRole('alert').filter({ hasText: 'was not added' })).toHaveCount(0);
  await ctxA.close();
  await ctxB.close();
});
