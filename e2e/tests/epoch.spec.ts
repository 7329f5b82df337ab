// A log that was reset is never taken for the old one (issue 16): the
// server's data directory is wiped under an open page, the new log grows
// past the page's position (its post ids are the old ones again), and when
// the page reconnects by itself it shows the new log's posts only.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apiPosts, article, expect, join, post, test } from '../fixtures';
import { restartExtraServer, startExtraServer, stopExtraServer, type ServerState } from '../server';

test('a wiped data directory: after the reconnect no post of the old log remains', async ({ browser }) => {
  // The session key outside the data directory, so the page's sign-in
  // outlives the wipe (as a cluster's shared key would).
  const keyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'livefeed-e2e-key-')), 'session.key');
  fs.writeFileSync(keyFile, crypto.randomBytes(32).toString('hex'), { mode: 0o600 });
  const args = ['--session-key-file', keyFile, '--post-rate', '0'];
  let srv: ServerState | undefined = await startExtraServer('epoch', args);
  try {
    const ctx = await browser.newContext({ baseURL: srv.url });
    const a = await join(ctx, 'Ada', 'main');
    for (const text of ['Old one', 'Old two', 'Old three']) await post(a, text);
    await expect(article(a, 'Old three')).not.toContainText('Sending');

    srv = await restartExtraServer(srv, args, true);
    const bob = await browser.newContext({ baseURL: srv.url });
    const r = await bob.request.post('/api/session', { data: { name: 'Bob' } });
    expect(r.ok(), await r.text()).toBeTruthy();
    const fresh = ['New one', 'New two', 'New three', 'New four', 'New five'];
    await apiPosts(bob.request, 'main', fresh);

    // The page reconnects on its own; resumed from position 3 of the old
    // log it would replay 4 and 5 on top of the old posts.
    await expect(article(a, 'New five')).toBeVisible({ timeout: 30_000 });
    for (const text of fresh) await expect(article(a, text)).toHaveCount(1);
    await expect(a.getByRole('article').filter({ hasText: /^.*Old (one|two|three)/ })).toHaveCount(0);
    await expect(a.getByRole('article')).toHaveCount(fresh.length);
    await bob.close();
    await ctx.close();
  } finally {
    if (srv) await stopExtraServer(srv);
    fs.rmSync(path.dirname(keyFile), { recursive: true, force: true });
  }
});
