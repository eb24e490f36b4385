// Screenshots of the main screens in light and dark, at 1280×800, for a person to look at:
// test-results/screenshots/<screen>-<scheme>.png. Each is also checked to have rendered its screen.
import { expect, expectAccessible, expectKeyboardReachable, expectSignedIn, openConversation, send, shoot, startDirect, test, ui } from './support.js';

test('screenshots: sign-in, conversation list + messages, new conversation (light and dark)', async ({ server, launch, engine }) => {
  // Sign-in screen, as on a first launch.
  const first = await launch();
  await expect(first.page.getByTestId('signin-submit')).toBeVisible();
  await first.page.getByTestId('signin-server-url').fill(server.url);
  await shoot(first.page, 'signin');
  await expectAccessible(first.page, 'sign-in');
  await expectKeyboardReachable(first.page, 'sign-in');
  // …and with the error a wrong token gets.
  await first.page.getByTestId('signin-token').fill('plu_not-a-real-token');
  await first.page.getByTestId('signin-submit').click();
  await expect(first.page.getByRole('alert')).toContainText(/token/i);
  await shoot(first.page, 'signin-error');
  await expectAccessible(first.page, 'sign-in with an error');

  // Some history: a direct conversation with bob, a group, and an unread one from dave.
  // Display names first (creating a user again keeps its name).
  for (const [address, name] of [['alice', 'Alice Martin'], ['bob', 'Bob Okafor'], ['carol', 'Carol Nguyen'], ['dave', 'Dave Smith']]) {
    await server.user(address!, name);
  }
  const bob = await engine('bob');
  const carol = await engine('carol');
  const dave = await engine('dave');
  const direct = await bob.createConversation({ type: 'direct', participants: ['alice'] });
  const group = await carol.createConversation({ type: 'group', participants: ['alice', 'bob'], title: 'Launch plan' });
  carol.sendMessage({ conversationId: group.id }, 'Welcome to the launch plan. Agenda for Friday is in the doc: https://example.com/agenda');
  bob.sendMessage({ conversationId: group.id }, 'I can demo the new catch-up speed.');
  const dm = await dave.createConversation({ type: 'direct', participants: ['alice'] });
  bob.sendMessage({ conversationId: direct.id }, 'Morning! Did the build go out last night?');
  bob.sendMessage({ conversationId: direct.id }, 'The installers should be on the file server.');
  for (const c of [bob, carol, dave]) await c.caughtUp();

  const { page } = await launch({ as: 'alice' });
  await expectSignedIn(page);
  await expect(ui.conversations(page)).toHaveCount(3);
  await openConversation(page, 'Bob Okafor');
  await expect(ui.message(page, 'file server')).toBeVisible();
  // While Alice looks at bob's conversation, dave writes: unread.
  dave.sendMessage({ conversationId: dm.id }, 'Can you review my pull request today?');
  dave.sendMessage({ conversationId: dm.id }, 'No rush, tomorrow is fine too.');
  await send(page, 'It did. I will tell the team.');
  const long = await send(
    page,
    'A longer one, to see how text wraps: the release notes cover the new sign-in screen, offline sending with a retry, ' +
      'read receipts, typing indicators and the faster catch-up after a long time away. Anything missing?',
  );
  await expect(long).toHaveAttribute('data-status', 'delivered');
  bob.sendMessage({ conversationId: direct.id }, 'Looks complete to me 👍');
  await expect(ui.message(page, 'Looks complete')).toBeVisible();
  await expect(ui.conversation(page, 'Dave Smith')).toContainText(/2\s*unread/);
  await shoot(page, 'main');
  await expectAccessible(page, 'conversation list and an open conversation, one unread');
  await expectKeyboardReachable(page, 'conversation list and an open conversation');

  // New conversation dialog, with the directory's people listed.
  await page.getByTestId('new-conversation').click();
  const dialog = page.getByTestId('new-conversation-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId('person-carol')).toBeVisible();
  await dialog.getByTestId('person-carol').check();
  await dialog.getByTestId('person-dave').check();
  await dialog.getByTestId('group-title').fill('Release crew');
  await shoot(page, 'new-conversation');
  await expectAccessible(page, 'new conversation dialog');
  await expectKeyboardReachable(page, 'new conversation dialog');

  // And Alice's own start of a conversation works from there too.
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await startDirect(page, 'carol');
  await expect(ui.conversations(page)).toHaveCount(4);

  // Settings.
  await page.getByTestId('settings').click();
  const settings = page.getByTestId('settings-dialog');
  await expect(settings).toBeVisible();
  await shoot(page, 'settings');
  await expectAccessible(page, 'settings dialog');
  await expectKeyboardReachable(page, 'settings dialog');
  await page.keyboard.press('Escape');
  await expect(settings).toBeHidden();
});

test('screenshots: message actions — formatting, a reply, reactions, an edit, a mention, a tombstone, the menu and the picker', async ({ server, launch }) => {
  test.setTimeout(120_000); // two windows, and a screenshot of four screens in two schemes
  await server.user('alice', 'Alice Martin');
  await server.user('bob', 'Bob Okafor');
  const bob = await launch({ as: 'bob' });
  const { page } = await launch({ as: 'alice' });
  await expectSignedIn(page);
  await expectSignedIn(bob.page);
  await startDirect(page, 'bob');
  await send(page, 'Release checklist for **Friday**:\n\n- build the installers with `npm run dist`\n- ~~write~~ update the notes\n\n> Ship it when CI is green.', 'Release checklist for Friday');
  await openConversation(bob.page, 'Alice Martin');
  const checklist = ui.message(bob.page, 'Release checklist').first();
  await checklist.hover();
  await checklist.getByTestId('action-reply').click();
  await bob.page.getByTestId('composer').fill('Installers are building now 🚀 — see https://example.com/ci');
  await bob.page.getByTestId('composer').press('Enter');
  for (const [who, emoji] of [[bob.page, '🎉'], [page, '🎉'], [bob.page, '👍']] as const) {
    const target = ui.message(who, 'Release checklist').first();
    await target.hover();
    await target.getByTestId('action-react').click();
    await who.getByTestId('emoji-search').fill(emoji === '🎉' ? 'party popper' : 'thumbs up');
    await who.getByTestId('emoji-search').press('Enter');
    await expect(target.locator(`[data-emoji="${emoji}"]`)).toBeVisible();
  }
  await send(bob.page, 'Oops, wrong window');
  await ui.message(bob.page, 'Oops, wrong window').click({ button: 'right' });
  await bob.page.getByTestId('message-menu').getByRole('menuitem', { name: 'Delete for everyone' }).click();
  await bob.page.getByTestId('confirm-delete').click();
  await send(page, 'Thanks @bob, I will tell the team');
  await ui.composer(page).press('ArrowUp');
  await ui.composer(page).fill('Thanks @bob, I will tell the team at standup');
  await ui.composer(page).press('Enter');
  await expect(ui.message(page, 'at standup').getByTestId('edited')).toBeVisible();
  await expect(page.getByTestId('tombstone')).toBeVisible();
  await page.mouse.move(0, 0);
  await shoot(page, 'message-actions');
  await expect(ui.message(bob.page, 'at standup').getByTestId('mention-me')).toBeVisible();
  await bob.page.mouse.move(0, 0);
  await shoot(bob.page, 'message-actions-mention');

  // Replying, with the menu of the message open.
  const answer = ui.message(page, 'Installers are building');
  await answer.hover();
  await answer.getByTestId('action-reply').click();
  await answer.click({ button: 'right' });
  await expect(page.getByTestId('message-menu')).toBeVisible();
  await shoot(page, 'message-menu');
  await page.keyboard.press('Escape');
  await ui.composer(page).press('Escape');

  // The picker, searched.
  await answer.hover();
  await answer.getByTestId('action-react').click();
  await page.getByTestId('emoji-search').fill('heart');
  await expect(page.getByTestId('emoji-option').first()).toBeVisible();
  await shoot(page, 'emoji-picker');
  await expectAccessible(page, 'the emoji picker, searched');
});
