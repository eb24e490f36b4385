// Search (issue 16) as a person uses it: the panel finds a word from a message far back in a long
// conversation (diacritics folded) and opens it there, in context; the find bar steps through a
// conversation's matches; conversations are found by name in the same panel.
import type { Locator, Page } from '@playwright/test';
import { expect, expectAccessible, expectKeyboardReachable, expectSignedIn, shoot, test, ui } from './support.js';

const COUNT = 300;
const NEEDLES = [40, 150, 260];

/** The message is laid out inside the list's visible box. */
async function expectInView(page: Page, message: Locator, what: string): Promise<void> {
  const list = page.getByTestId('message-list');
  await expect
    .poll(async () => {
      const [box, view] = await Promise.all([message.boundingBox(), list.boundingBox()]);
      return !!box && !!view && box.y >= view.y - 1 && box.y + Math.min(box.height, 40) <= view.y + view.height + 1;
    }, { message: `${what} is in view` })
    .toBe(true);
}

test('the search panel finds a message far back and opens it in context; Ctrl+F steps through matches', async ({ server, launch, engine }) => {
  await server.user('alice');
  const bob = await engine('bob');
  const { id } = await bob.createConversation({ type: 'direct', participants: ['alice'] });
  for (let n = 1; n <= COUNT; n++) {
    const text = n === 7 ? 'Line 7: I left the café key under the blue mat' : NEEDLES.includes(n) ? `Line ${n}: a needle in the haystack` : `Line ${n}: ordinary words to fill the day`;
    bob.sendMessage({ conversationId: id }, text);
  }
  await expect.poll(() => bob.readConversations()[0]?.lastSeq, { timeout: 30_000 }).toBe(COUNT);
  const { page } = await launch({ as: 'alice' });
  await expectSignedIn(page);
  // It opens at the first unread; the reader jumps to the newest.
  await expect(ui.message(page, 'Line 1:')).toBeVisible();
  await page.getByTestId('jump-to-newest').click();
  await expectInView(page, ui.message(page, `Line ${COUNT}:`), 'the newest message');
  await expect(ui.message(page, 'Line 7:')).toHaveCount(0);

  // Ctrl+Shift+F, a word without its accent: the hit shows with the word marked.
  await page.keyboard.press('Control+Shift+F');
  const panel = page.getByTestId('search-panel');
  await expect(panel).toBeVisible();
  await page.getByTestId('search-input').fill('cafe key');
  const hit = panel.getByTestId('search-hit');
  await expect(hit).toHaveCount(1, { timeout: 15_000 });
  await expect(hit.locator('mark')).toHaveText(['café', 'key']);
  await expect(hit).toContainText('Bob');
  await shoot(page, 'search-panel');
  await expectAccessible(page, 'search-panel');
  await expectKeyboardReachable(page, 'search panel');

  // Enter opens it where it is, 293 messages above the newest, with its neighbours around it.
  await page.getByTestId('search-input').press('Enter');
  await expect(panel).toBeHidden();
  const found = ui.message(page, 'Line 7: I left the café key');
  await expectInView(page, found, 'the message the hit named');
  await expect(ui.message(page, 'Line 6:')).toBeAttached();
  await expect(ui.message(page, 'Line 8:')).toBeAttached();
  await shoot(page, 'search-opened');
  await expectAccessible(page, 'search-opened');

  // The panel finds the conversation by name too.
  await page.getByTestId('open-search').click();
  await page.getByTestId('search-input').fill('bob');
  await expect(panel.getByTestId('search-conversation')).toContainText('Bob');
  await page.keyboard.press('Escape');
  await expect(panel).toBeHidden();

  // A word in no message says so.
  await page.keyboard.press('Control+Shift+F');
  await page.getByTestId('search-input').fill('zebra');
  await expect(panel.getByTestId('search-empty')).toContainText('No messages match “zebra”');
  await page.keyboard.press('Escape');

  // Ctrl+F: the newest match first, then older ones, and back.
  await ui.composer(page).click();
  await page.keyboard.press('Control+F');
  const find = page.getByTestId('find-input');
  await expect(find).toBeFocused();
  await find.fill('needle');
  await expect(page.getByTestId('find-count')).toHaveText('1 of 3');
  await expectInView(page, ui.message(page, 'Line 260: a needle'), 'the newest match');
  await find.press('Enter');
  await expect(page.getByTestId('find-count')).toHaveText('2 of 3');
  await expectInView(page, ui.message(page, 'Line 150: a needle'), 'the next older match');
  await find.press('Enter');
  await expectInView(page, ui.message(page, 'Line 40: a needle'), 'the oldest match');
  await find.press('Shift+Enter');
  await expect(page.getByTestId('find-count')).toHaveText('2 of 3');
  await expectInView(page, ui.message(page, 'Line 150: a needle'), 'back to the newer match');
  await shoot(page, 'find-in-conversation');
  await expectAccessible(page, 'find-in-conversation');
  await find.press('Escape');
  await expect(page.getByTestId('find-bar')).toHaveCount(0);
  await expect(ui.composer(page)).toBeFocused();
});
