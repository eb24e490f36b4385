// A watched drop folder, as a person sets one up: Alice binds a folder to her conversation with Bob
// (typed path: the browser host has no folder dialog), a file saved there reaches Bob once, the
// folder shows it as recently sent, and a folder that goes away shows an error and recovers.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/harness.js';
import { SCREENSHOT_DIR, expect, expectAccessible, expectKeyboardReachable, expectSignedIn, openConversation, startDirect, test, ui } from './support.js';

test('a file saved into a watched folder reaches the other user once', async ({ launch }) => {
  const alice = await launch({ as: 'alice' });
  const bob = await launch({ as: 'bob' });
  await expectSignedIn(alice.page);
  await startDirect(alice.page, 'bob');
  const dir = tempDir('parley-e2e-drop-');

  await alice.page.getByTestId('open-folders').click();
  const dialog = alice.page.getByTestId('folders-dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByTestId('folder-path').fill(dir);
  await dialog.getByLabel('Leave it where it is').check();
  await dialog.getByTestId('watch-folder').click();
  const card = dialog.getByTestId('watched-folder');
  await expect(card).toContainText(dir);
  await expect(card.getByTestId('folder-status')).toHaveText('Watching');
  await expect(alice.page.getByTestId('open-folders')).toHaveAccessibleName('Folders: 1 watched');

  writeFileSync(join(dir, 'scan-0001.pdf'), '%PDF-1.4 scanned page');
  await expect(card.getByTestId('folder-recent-file')).toContainText('scan-0001.pdf', { timeout: 20_000 });
  await expect(card.getByTestId('folder-status')).toHaveText('Watching');
  await alice.page.screenshot({ path: join(SCREENSHOT_DIR, 'watched-folders-light.png') });
  await expectAccessible(alice.page, 'watched folders dialog');
  await expectKeyboardReachable(alice.page, 'watched folders dialog');

  await expectSignedIn(bob.page);
  await openConversation(bob.page, 'Alice');
  const received = bob.page.getByTestId('message').filter({ has: bob.page.getByTestId('file-message') });
  await expect(received).toHaveCount(1, { timeout: 20_000 });
  await expect(received).toContainText('scan-0001.pdf');
  await expectAccessible(bob.page, 'a received file (not an image)');
  await expect(ui.conversation(bob.page, 'Alice')).toContainText('📎 scan-0001.pdf');

  // The folder goes away (a drive unplugged): an error, then watching again once it is back.
  rmSync(dir, { recursive: true });
  await expect(card.getByTestId('folder-status')).toContainText('is gone', { timeout: 15_000 });
  await expectAccessible(alice.page, 'watched folders dialog, a folder in error');
  mkdirSync(dir);
  writeFileSync(join(dir, 'scan-0002.pdf'), '%PDF-1.4 another page');
  await expect(card.getByTestId('folder-status')).toHaveText('Watching', { timeout: 30_000 });
  await expect(received).toHaveCount(2, { timeout: 20_000 });
  await expect(received.nth(1)).toContainText('scan-0002.pdf');
});
