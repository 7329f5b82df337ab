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
