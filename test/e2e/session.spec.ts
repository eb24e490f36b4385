// Signing in with a server URL and an access token typed in, the errors a person sees when either is
// wrong, and being signed out with a clear message when the token is revoked.
import { expect, expectAccessible, expectKeyboardReachable, expectSignedIn, shoot, test, ui } from './support.js';

test('sign in with a server URL and a token typed in; a wrong token or server is refused clearly', async ({ server, launch }) => {
  const token = await server.user('carol', 'Carol');
  const { page, relaunch } = await launch();
  const submit = page.getByTestId('signin-submit');
  const form = page.locator('form').filter({ has: submit });
  await expect(submit).toBeVisible();
  await expect(page.getByTestId('signin-reason')).toHaveCount(0);

  // A token the server does not know.
  await page.getByTestId('signin-server-url').fill(server.url);
  await page.getByTestId('signin-token').fill('plu_not-a-real-token');
  await submit.click();
  const error = form.getByRole('alert');
  await expect(error).toBeVisible();
  await expect(error).toContainText(/token/i);
  await expect(submit).toBeEnabled();
  await expect(page.getByTestId('signout')).toHaveCount(0);

  // A server that is not there.
  const closed = new URL(server.url);
  closed.port = String(Number(closed.port) === 65535 ? 65534 : Number(closed.port) + 1);
  await page.getByTestId('signin-server-url').fill(closed.origin);
  await page.getByTestId('signin-token').fill(token);
  await submit.click();
  await expect(error).toContainText(/could not reach|unavailable|did not answer/i);

  // The right ones.
  await page.getByTestId('signin-server-url').fill(server.url);
  await page.getByTestId('signin-token').fill(token);
  await submit.click();
  await expectSignedIn(page);
  await expect(ui.conversations(page)).toHaveCount(0);

  // The session is remembered: a relaunch resumes it without asking again.
  await relaunch();
  await expectSignedIn(page);
});

test('with an embedded server, its demo users are offered: the first at first launch, another after signing out', async ({ launch }) => {
  const { page } = await launch({ demo: ['alice', 'bob', 'carol'] });
  await expectSignedIn(page);
  // The sidebar names me, my address in its tooltip.
  await expect(page.locator('.conversation-sidebar .address')).toHaveAttribute('title', 'alice');

  await page.getByTestId('signout').click();
  await expect(page.getByTestId('demo-user-bob')).toBeVisible();
  await shoot(page, 'signin-demo');
  await expectAccessible(page, 'sign-in with demo users');
  await expectKeyboardReachable(page, 'sign-in with demo users');
  await page.getByTestId('demo-user-bob').click();
  await expectSignedIn(page);
  await expect(page.locator('.conversation-sidebar .address')).toHaveAttribute('title', 'bob');
});

test('a revoked token signs the user out with a clear message', async ({ server, launch }) => {
  const { page, relaunch } = await launch({ as: 'alice' });
  await expectSignedIn(page);

  const revoked = await server.api<{ revoked: number }>('DELETE', '/users/alice/tokens');
  expect(revoked.status).toBe(200);

  const reason = page.getByTestId('signin-reason');
  await expect(reason).toBeVisible();
  await expect(reason).toContainText(/revoked/i);
  await expect(reason).toContainText(/sign in again/i);
  expect((await reason.innerText()).match(/sign in again/gi)).toHaveLength(1);
  await expect(page.getByTestId('signout')).toHaveCount(0);
  // The server is offered again; only a new token is needed.
  await expect(page.getByTestId('signin-server-url')).toHaveValue(server.url);
  await expect(page.getByTestId('signin-token')).toHaveValue('');
  await expectAccessible(page, 'sign-in after the token was revoked');

  // The revoked token was forgotten: a relaunch does not try it again.
  await relaunch();
  await expect(page.getByTestId('signin-submit')).toBeVisible();
  await expect(page.getByTestId('signout')).toHaveCount(0);

  // A new token works.
  const { body } = await server.api<{ token: string }>('POST', '/users/alice/tokens', {});
  await page.getByTestId('signin-token').fill(body.token);
  await page.getByTestId('signin-submit').click();
  await expectSignedIn(page);
});
