// Message actions between two people, each in their own Parley against one real server: a formatted
// message, a reply (and its quote going to the message), reactions from the picker and the chips, an
// edit with ↑, a mention, and a delete for everyone then for me. axe on each screen it opens.
import { expect, expectAccessible, expectSignedIn, openConversation, send, startDirect, test, ui } from './support.js';

test('reply, react, edit, mention and delete between two people', async ({ server, launch }) => {
  test.setTimeout(120_000); // two windows, and axe on five screens
  await server.user('alice', 'Alice');
  await server.user('bob', 'Bob');
  const alice = await launch({ as: 'alice' });
  const bob = await launch({ as: 'bob' });
  await expectSignedIn(alice.page);
  await expectSignedIn(bob.page);

  // Markdown formats what Alice writes; Bob sees it formatted too.
  await startDirect(alice.page, 'bob');
  const asked = await send(alice.page, 'Can you check the **release notes**? See www.example.com', 'Can you check the release notes? See www.example.com');
  await expect(asked.locator('strong')).toHaveText('release notes');
  await expect(asked.getByRole('link', { name: 'www.example.com' })).toHaveAttribute('href', 'http://www.example.com/');
  await openConversation(bob.page, 'Alice');
  // .first(): a reply's quote holds the text too, below it.
  const atBob = ui.message(bob.page, 'Can you check the release notes').first();
  await expect(atBob.locator('strong')).toHaveText('release notes');

  // Bob replies from the message's hover actions.
  await atBob.hover();
  await atBob.getByTestId('action-reply').click();
  await expect(bob.page.getByTestId('composer-mode')).toContainText('Replying to Alice');
  await expectAccessible(bob.page, 'the composer replying to a message');
  await ui.composer(bob.page).fill('On it, give me ten minutes');
  await ui.composer(bob.page).press('Enter');
  const reply = ui.message(alice.page, 'On it, give me ten minutes');
  await expect(reply.getByTestId('reply-quote')).toContainText('Can you check the release notes?');
  await expect(bob.page.getByTestId('composer-mode')).toHaveCount(0);

  // Bob reacts with 👍 from the picker; Alice sees the chip with his name, and adds hers with a click.
  await atBob.hover();
  await atBob.getByTestId('action-react').click();
  const picker = bob.page.getByTestId('emoji-picker');
  await expect(picker.getByTestId('emoji-option').first()).toBeVisible();
  await picker.getByTestId('emoji-search').fill('thumbs up');
  await expect(picker.getByTestId('emoji-option').first()).toHaveAttribute('aria-label', 'thumbs up');
  await expectAccessible(bob.page, 'the emoji picker, searched');
  await picker.getByTestId('emoji-search').press('Enter');
  await expect(picker).toHaveCount(0);
  const chip = ui.message(alice.page, 'Can you check the release notes').first().getByTestId('reaction');
  await expect(chip).toHaveAttribute('data-emoji', '👍');
  await expect(chip).toHaveAttribute('title', 'Bob');
  await expect(chip).toHaveAttribute('aria-pressed', 'false');
  await chip.click();
  await expect(chip).toHaveAttribute('aria-pressed', 'true');
  await expect(chip).toContainText('2');
  await expect(atBob.getByTestId('reaction')).toContainText('2');
  await expect(atBob.getByTestId('reaction')).toHaveAttribute('title', 'You, Alice');

  // Alice edits her message: ↑ in the empty composer, the text changed, Enter; Bob sees it edited.
  await ui.composer(alice.page).click();
  await ui.composer(alice.page).press('ArrowUp');
  await expect(alice.page.getByTestId('composer-mode')).toHaveAttribute('data-mode', 'edit');
  await expect(ui.composer(alice.page)).toHaveValue('Can you check the **release notes**? See www.example.com');
  await ui.composer(alice.page).fill('Can you check the **release notes** today?');
  await ui.composer(alice.page).press('Enter');
  const edited = ui.message(bob.page, 'Can you check the release notes today?').first();
  await expect(edited.getByTestId('edited')).toHaveText(/edited/);
  await expect(edited.getByTestId('reaction')).toContainText('2');

  // Alice mentions Bob from the @ list; Bob's copy marks the mention of him.
  await ui.composer(alice.page).pressSequentially('Thanks @b');
  await expect(alice.page.getByTestId('mention-option')).toHaveText(['Bob@bob']);
  await ui.composer(alice.page).press('Tab');
  await expect(ui.composer(alice.page)).toHaveValue('Thanks @bob ');
  await ui.composer(alice.page).pressSequentially('for the quick look');
  await ui.composer(alice.page).press('Enter');
  await expect(ui.message(bob.page, 'Thanks @bob for the quick look').getByTestId('mention-me')).toHaveText('@bob');
  // Bob has it on screen: read, though reactions and an edit sit between it and what he read before
  // (their seqs are no rows; the read mark passes them).
  await expect(ui.conversation(bob.page, 'Alice').locator('.badge')).toHaveCount(0);

  // The menu from the keyboard: Bob deletes his reply for everyone; Alice sees a tombstone and deletes it for herself.
  const bobsReply = ui.message(bob.page, 'On it, give me ten minutes');
  await bobsReply.focus();
  await bob.page.keyboard.press('Shift+F10');
  const menu = bob.page.getByTestId('message-menu');
  await expect(menu.getByRole('menuitem')).toHaveText(['Reply', 'Add reaction…', 'Edit', 'Copy text', 'Copy link', 'Delete for me', 'Delete for everyone']);
  await expectAccessible(bob.page, 'the message menu');
  await menu.getByRole('menuitem', { name: 'Delete for everyone' }).click();
  // Asked first, Cancel focused: Escape keeps the message; asked again, confirmed from the keyboard.
  const confirm = bob.page.getByTestId('delete-for-everyone');
  await expect(confirm).toBeVisible();
  await expect(confirm.getByTestId('keep-message')).toBeFocused();
  await expectAccessible(bob.page, 'the delete-for-everyone question');
  await bob.page.keyboard.press('Escape');
  await expect(confirm).toBeHidden();
  // The keyboard is back on the message.
  await expect(bobsReply).toBeFocused();
  await bob.page.keyboard.press('Shift+F10');
  await menu.getByRole('menuitem', { name: 'Delete for everyone' }).click();
  await bob.page.keyboard.press('Tab');
  await expect(confirm.getByTestId('confirm-delete')).toBeFocused();
  await bob.page.keyboard.press('Enter');
  await expect(confirm).toBeHidden();
  const tombstone = alice.page.getByTestId('message').filter({ has: alice.page.getByTestId('tombstone') });
  await expect(tombstone).toHaveText(/This message was deleted/);
  await expectAccessible(alice.page, 'a conversation with a deleted message, reactions, a reply and a mention');
  await tombstone.click({ button: 'right' });
  await expect(alice.page.getByTestId('message-menu').getByRole('menuitem')).toHaveText(['Delete for me']);
  await alice.page.getByTestId('message-menu').getByRole('menuitem').click();
  await expect(tombstone).toHaveCount(0);
  // Deleted for Alice only: Bob still has his tombstone.
  await expect(bob.page.getByTestId('tombstone')).toHaveCount(1);
  for (const w of [alice, bob]) expect(w.pageErrors).toEqual([]);
});
