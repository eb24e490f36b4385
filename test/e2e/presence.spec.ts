// Presence and profiles in Chromium, two people each in their own Parley: bob goes online → away
// (his page hidden) → online → offline (his Parley quits) as alice sees it; alice's new name and
// picture reach bob. Screenshots in light and dark, and at 480 px wide.
import sharp from 'sharp';
import type { Page } from '@playwright/test';
import { expect, expectAccessible, expectSignedIn, shoot, startDirect, test, ui } from './support.js';

// Runs in the page (page.evaluate): the DOM's document, not Node's.
declare const document: { dispatchEvent(event: Event): boolean };

/** The page hidden or shown, as when its tab is switched away from or the window minimised. */
async function setPageVisible(page: Page, visible: boolean): Promise<void> {
  await page.evaluate((shown) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (shown ? 'visible' : 'hidden') });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => !shown });
    document.dispatchEvent(new Event('visibilitychange'));
  }, visible);
}

test('presence goes online → away → online → offline, and a new name and picture reach the other side', async ({ launch }) => {
  const alice = await launch({ as: 'alice' });
  const bob = await launch({ as: 'bob' });
  await expectSignedIn(alice.page);
  await expectSignedIn(bob.page);
  await startDirect(alice.page, 'bob');

  const item = ui.conversation(alice.page, 'Bob');
  const dot = item.getByTestId('presence-dot');
  const subtitle = alice.page.getByTestId('conversation-subtitle');
  await expect(dot).toHaveAttribute('data-state', 'online');
  await expect(dot).toHaveAccessibleName('Online');
  await expect(subtitle).toHaveText('bob · Online');
  await shoot(alice.page, 'presence-online');
  await expectAccessible(alice.page, 'presence-online');

  await setPageVisible(bob.page, false);
  await expect(dot).toHaveAttribute('data-state', 'away');
  await expect(subtitle).toHaveText('bob · Away');
  await shoot(alice.page, 'presence-away');
  await expectAccessible(alice.page, 'presence-away');
  await setPageVisible(bob.page, true);
  await expect(dot).toHaveAttribute('data-state', 'online');

  // Alice names herself and picks a picture in Settings; bob sees both.
  await alice.page.getByTestId('settings').click();
  const profile = alice.page.getByTestId('profile-settings');
  await profile.getByTestId('profile-name').fill('Alice Liddell');
  await profile.getByTestId('profile-name').press('Enter');
  await expect(profile.getByRole('status')).toHaveText('Name saved.');
  const png = await sharp({ create: { width: 400, height: 300, channels: 3, background: { r: 46, g: 139, b: 87 } } }).png().toBuffer();
  await profile.getByTestId('avatar-input').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: png });
  await expect(profile.getByRole('status')).toHaveText('Picture updated.');
  await expect(profile.getByTestId('avatar-image')).toBeVisible();
  await expect(alice.page.getByTestId('remove-avatar')).toBeVisible();
  await shoot(alice.page, 'profile-settings');
  await expectAccessible(alice.page, 'profile-settings');
  await alice.page.keyboard.press('Escape');

  const aliceAtBob = ui.conversation(bob.page, 'Alice Liddell');
  await expect(aliceAtBob).toBeVisible();
  await expect(aliceAtBob.getByTestId('avatar-image')).toBeVisible();
  await expect(aliceAtBob.getByTestId('presence-dot')).toHaveAttribute('data-state', 'online');

  // Bob's Parley quits: offline, and since when.
  await bob.quit();
  await expect(dot).toHaveAttribute('data-state', 'offline');
  await expect(subtitle).toHaveText('bob · Last seen just now');
  await shoot(alice.page, 'presence-offline');
  await expectAccessible(alice.page, 'presence-offline');
  await alice.page.setViewportSize({ width: 480, height: 800 });
  await shoot(alice.page, 'presence-offline-480');
  await expectAccessible(alice.page, 'presence-offline-480');
});
