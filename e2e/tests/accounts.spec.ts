import { type BrowserContext, type Page } from '@playwright/test';
import { article, expect, feedName, guardXSS, post, status, test } from '../fixtures';

// Accounts with passkeys (issue 14), with Chromium's virtual authenticator
// (CDP WebAuthn.*): an account keeps its user across sign-ins and browser
// contexts, signing out revokes the token on the server, and a guest and
// an account with one display name look different.
//
// WebAuthn takes no IP address as relying party: these pages are opened
// at localhost (the same server, on 127.0.0.1).

function base(): string {
  return process.env.LIVEFEED_URL!.replace('127.0.0.1', 'localhost');
}

/** A fresh handle: letters, digits and _ only. */
function handle(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
}

/** Gives page a platform authenticator that verifies the user at once. */
async function authenticator(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

async function open(context: BrowserContext, feed: string): Promise<Page> {
  const page = await context.newPage();
  guardXSS(page);
  await page.goto(`${base()}/f/${feed}`);
  return page;
}

async function createAccount(page: Page, name: string, h: string) {
  await page.getByRole('textbox', { name: 'Display name' }).fill(name);
  await page.getByRole('textbox', { name: 'Handle' }).fill(h);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(status(page)).toHaveText(/^Live/);
}

async function sessionToken(context: BrowserContext): Promise<string> {
  const c = (await context.cookies(base())).find((c) => c.name === 'livefeed_session');
  expect(c, 'the session cookie').toBeTruthy();
  return c!.value;
}

test('an account signs out and in again with its passkey and can still edit its post; the copied token is revoked', async ({ browser, request }) => {
  const feed = feedName('acct');
  const h = handle('ada');
  const ctx = await browser.newContext();
  const page = await open(ctx, feed);
  const { cdp, authenticatorId } = await authenticator(page);
  await createAccount(page, 'Ada', h);
  await post(page, 'Mine for keeps');
  await expect(article(page, 'Mine for keeps')).toContainText(`@${h}`);
  await expect(article(page, 'Mine for keeps')).not.toContainText('Sending');
  const token = await sessionToken(ctx);
  expect((await request.get(`${base()}/api/session`, { headers: { Authorization: `Bearer ${token}` } })).status()).toBe(200);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('textbox', { name: 'Display name' })).toBeVisible();
  // The copied token is dead on the server, not only forgotten here.
  expect((await request.get(`${base()}/api/session`, { headers: { Authorization: `Bearer ${token}` } })).status()).toBe(401);
  const r = await request.post(`${base()}/api/feeds/${feed}/posts`, { headers: { Authorization: `Bearer ${token}` }, data: { text: 'with a copied token' } });
  expect(r.status()).toBe(401);

  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(status(page)).toHaveText(/^Live/);
  await article(page, 'Mine for keeps').getByRole('button', { name: 'Edit' }).click();
  await page.getByRole('textbox', { name: /Edit/ }).fill('Mine for keeps, edited after signing in again');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(article(page, 'edited after signing in again')).not.toContainText('Sending');

  // The same passkey in a second browser context (another device it synced
  // to): the same person, who may edit the post too.
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  expect(credentials.length).toBe(1);
  const ctx2 = await browser.newContext();
  const other = await open(ctx2, feed);
  const second = await authenticator(other);
  await second.cdp.send('WebAuthn.addCredential', { authenticatorId: second.authenticatorId, credential: credentials[0] });
  await other.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(status(other)).toHaveText(/^Live/);
  await expect(article(other, 'edited after signing in again').getByRole('button', { name: 'Edit' })).toBeVisible();
  await expect(article(other, 'edited after signing in again')).toContainText(`@${h}`);
  await ctx2.close();
  await ctx.close();
});

test('a guest and an account with the same display name look different', async ({ browser }) => {
  const feed = feedName('twins');
  const h = handle('sam');
  const guestCtx = await browser.newContext();
  const guest = await open(guestCtx, feed);
  await guest.getByRole('textbox', { name: 'Display name' }).fill('Sam');
  await guest.getByRole('button', { name: 'Join' }).click();
  await expect(status(guest)).toHaveText(/^Live/);
  await post(guest, 'the guest says hi');

  const accCtx = await browser.newContext();
  const acc = await open(accCtx, feed);
  await authenticator(acc);
  await createAccount(acc, 'Sam', h);
  await post(acc, 'the account says hi');

  for (const p of [guest, acc]) {
    const g = article(p, 'the guest says hi');
    const a = article(p, 'the account says hi');
    await expect(g).toContainText('Sam');
    await expect(a).toContainText('Sam');
    await expect(g).toContainText('guest');
    await expect(g).not.toContainText('@');
    await expect(a).toContainText(`@${h}`);
    await expect(a).not.toContainText('guest');
  }
  await guestCtx.close();
  await accCtx.close();
});

test('a guest makes an account and keeps their posts', async ({ browser }) => {
  const feed = feedName('upgrade');
  const h = handle('gus');
  const ctx = await browser.newContext();
  const page = await open(ctx, feed);
  await authenticator(page);
  await page.getByRole('textbox', { name: 'Display name' }).fill('Gus');
  await page.getByRole('button', { name: 'Join' }).click();
  await expect(status(page)).toHaveText(/^Live/);
  await post(page, 'written as a guest');
  await expect(article(page, 'written as a guest')).not.toContainText('Sending');
  await page.getByText("You're a guest").click();
  await page.getByRole('textbox', { name: 'Handle' }).fill(h);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByText(`Signed in as @${h}`)).toBeVisible();
  await expect(status(page)).toHaveText(/^Live/);
  // The guest's post is the account's: still editable after signing out
  // and in with the passkey.
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(status(page)).toHaveText(/^Live/);
  await expect(article(page, 'written as a guest').getByRole('button', { name: 'Edit' })).toBeVisible();
  await ctx.close();
});

test('an account manages itself: its name, passkeys, API tokens, and deleting it', async ({ browser, request }) => {
  const feed = feedName('manage');
  const h = handle('mia');
  const ctx = await browser.newContext();
  const page = await open(ctx, feed);
  await authenticator(page);
  await createAccount(page, 'Mia', h);
  await post(page, 'written as Mia');
  await expect(article(page, 'written as Mia')).not.toContainText('Sending');
  const token = await sessionToken(ctx);
  const asMia = { headers: { Authorization: `Bearer ${token}` } };
  const stored = async () => (await request.get(`${base()}/api/account`, asMia)).json();

  // A second device, added with a one-time code from this one.
  await page.getByText(`Signed in as @${h}`).click();
  await page.getByRole('button', { name: 'Add a device' }).click();
  const code = (await page.locator('.device-code').textContent())!.trim();
  const ctx2 = await browser.newContext();
  const phone = await open(ctx2, feed);
  await authenticator(phone);
  await phone.getByRole('textbox', { name: 'Handle' }).fill(h);
  await phone.getByText('Add this device to your account').click();
  await phone.getByRole('textbox', { name: 'One-time code' }).fill(code);
  await phone.getByRole('button', { name: 'Add this device' }).click();
  await expect(status(phone)).toHaveText(/^Live/);
  expect((await stored()).passkeys.length).toBe(2);

  // The lists load again when the panel opens.
  await page.getByText(`Signed in as @${h}`).click();
  await page.getByText(`Signed in as @${h}`).click();
  const passkeys = page.getByRole('list', { name: 'Your passkeys' });
  await expect(passkeys.getByRole('listitem')).toHaveCount(2);
  await page.getByRole('button', { name: 'Remove passkey 1' }).click();
  await expect(passkeys.getByRole('listitem')).toHaveCount(1);
  await expect(page.getByRole('button', { name: /Remove passkey/ })).toHaveCount(0); // never the last
  expect((await stored()).passkeys.length).toBe(1);

  // The name shown on posts from now on.
  await page.getByRole('textbox', { name: 'Name shown on your posts' }).fill('Mia R.');
  await page.getByRole('button', { name: 'Save name' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
  expect((await stored()).user.name).toBe('Mia R.');
  await expect(status(page)).toHaveText(/^Live/);
  await post(page, 'written as Mia R.');
  await expect(article(page, 'written as Mia R.')).toContainText('Mia R.');
  await expect(article(page, 'written as Mia R.')).not.toContainText('Sending');

  // API tokens: made, listed, revoked.
  await page.getByText(`Signed in as @${h}`).click();
  await page.getByText(`Signed in as @${h}`).click();
  await page.getByRole('textbox', { name: 'Token label' }).fill('deploy bot');
  await page.getByRole('button', { name: 'Make token' }).click();
  const bot = (await page.locator('.new-token').textContent())!.trim();
  const tokens = page.getByRole('list', { name: 'Your API tokens' });
  await expect(tokens.getByRole('listitem')).toHaveCount(1);
  const r = await request.post(`${base()}/api/feeds/${feed}/posts`, { headers: { Authorization: `Bearer ${bot}` }, data: { text: 'from the bot' } });
  expect(r.status()).toBe(200);
  await page.getByRole('button', { name: 'Revoke token deploy bot' }).click();
  await expect(tokens.getByRole('listitem')).toHaveCount(0);
  expect((await (await request.get(`${base()}/api/tokens`, asMia)).json()).tokens).toEqual([]);
  expect((await request.get(`${base()}/api/session`, { headers: { Authorization: `Bearer ${bot}` } })).status()).toBe(401);

  // Deleting the account: confirmed with the handle; every device is
  // signed out; the posts stay.
  const phoneToken = await sessionToken(ctx2);
  await page.getByRole('button', { name: 'Delete account' }).click();
  await page.getByRole('textbox', { name: 'Type your handle to confirm' }).fill('wrong_handle');
  await page.getByRole('button', { name: 'Delete my account' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'type its handle' })).toBeVisible();
  expect((await request.get(`${base()}/api/session`, asMia)).status()).toBe(200);
  await page.getByRole('textbox', { name: 'Type your handle to confirm' }).fill(h);
  await page.getByRole('button', { name: 'Delete my account' }).click();
  await expect(page.getByRole('textbox', { name: 'Display name' })).toBeVisible();
  await expect(page.getByText('Your account was deleted')).toBeVisible();
  await expect(phone.getByRole('textbox', { name: 'Display name' })).toBeVisible();
  for (const t of [token, phoneToken]) {
    expect((await request.get(`${base()}/api/session`, { headers: { Authorization: `Bearer ${t}` } })).status()).toBe(401);
  }
  const snap = await (await request.get(`${base()}/api/feeds/${feed}`)).text();
  expect(snap).toContain('written as Mia');
  expect((await request.post(`${base()}/api/account/sign-up/begin`, { data: { handle: h, name: 'Not Mia' } })).status()).toBe(409);
  await ctx2.close();
  await ctx.close();
});
