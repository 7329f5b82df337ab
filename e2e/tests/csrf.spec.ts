import http from 'node:http';
import { type AddressInfo } from 'node:net';
import { expect, feedName, join, post, test } from '../fixtures';

// Pages of other origins act through the victim's browser: one on another
// port of 127.0.0.1 (the same site, like a sibling subdomain) and one on
// localhost (another site). The session cookie is SameSite=Lax, which stops
// only the second; the server's Origin check must stop both.

/** Serves attacker pages: GET /PAGE returns pages[PAGE]. */
async function attackerServer(pages: Record<string, string>): Promise<{ port: number; close: () => Promise<void> }> {
  const srv = http.createServer((req, res) => {
    const body = pages[(req.url ?? '/').slice(1)];
    res.writeHead(body ? 200 : 404, { 'Content-Type': 'text/html' });
    res.end(body ?? 'not found');
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return {
    port: (srv.address() as AddressInfo).port,
    close: () => new Promise((resolve) => srv.close(() => resolve())),
  };
}

/** A page that posts to target twice: a no-cors fetch and a text/plain form. */
function postingPage(target: string, tag: string): string {
  const json = JSON.stringify({ op: `csrf-fetch-${tag}`, text: `pwned by fetch ${tag}` });
  return `<!doctype html><body>
<iframe name="sink"></iframe>
<form id="f" method="POST" action="${target}" enctype="text/plain" target="sink">
<input type="hidden" name='{"op":"csrf-form-${tag}","text":"pwned by form ${tag}","x":"' value='"}'>
</form>
<script>
fetch(${JSON.stringify(target)}, {method: 'POST', mode: 'no-cors', credentials: 'include',
  headers: {'Content-Type': 'text/plain'}, body: ${JSON.stringify(json)}})
  .finally(() => { document.getElementById('f').submit(); document.title = 'sent'; });
</script></body>`;
}

test('pages of other origins cannot post or sign in through the victim’s browser', async ({ browser, baseURL }) => {
  const feed = feedName('csrf');
  const ctx = await browser.newContext();
  const victim = await join(ctx, 'Victim', feed);
  const target = `${baseURL}/api/feeds/${feed}/posts`;
  const login = `${baseURL}/api/session`;
  const evil = await attackerServer({
    'post.html': postingPage(target, 'a'),
    'login.html': `<!doctype html><body><form id="f" method="POST" action="${login}" enctype="text/plain">
<input type="hidden" name='{"name":"Mallory","x":"' value='"}'></form>
<script>document.getElementById('f').submit()</script></body>`,
  });
  try {
    const origins = [`http://127.0.0.1:${evil.port}`, `http://localhost:${evil.port}`];
    for (const origin of origins) {
      const page = await ctx.newPage();
      await page.goto(`${origin}/post.html`);
      await expect(page).toHaveTitle('sent');
      await page.waitForTimeout(500); // the form's POST lands in the iframe
      await page.close();
    }
    // Login CSRF: a top-level form POST from another site.
    for (const origin of origins) {
      const page = await ctx.newPage();
      await page.goto(`${origin}/login.html`);
      await page.waitForURL(login);
      await page.close();
    }

    // What the server stored: nothing from the attacker pages.
    const stored = await victim.request.get(`/api/feeds/${feed}`);
    const posts: { text: string }[] = (await stored.json()).posts ?? [];
    expect(posts.map((p) => p.text)).toEqual([]);
    // The victim is still signed in as themselves, and still posts.
    const me = await victim.request.get('/api/session');
    expect((await me.json()).user.name).toBe('Victim');
    await post(victim, 'still me');
    await expect
      .poll(async () => ((await (await victim.request.get(`/api/feeds/${feed}`)).json()).posts ?? []).map((p: { text: string }) => p.text))
      .toEqual(['still me']);
  } finally {
    await evil.close();
    await ctx.close();
  }
});
