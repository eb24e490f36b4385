// sharp is optional at run time (main/core/files/preview.ts): on a machine without its platform
// binary the engine starts, and an image is sent without a preview rather than not at all.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import type { FileInfo } from '../../main/core/index.js';
import { cleanup, nextEvent, pair, startTestServer, tempDir, until } from '../support/harness.js';

// What sharp throws when @img/sharp-<platform> is not installed.
vi.mock('sharp', () => {
  throw new Error('Could not load the "sharp" module using the linux-x64 runtime');
});

afterEach(cleanup);

// A 1×1 PNG (file-type knows it by its signature, so it is sent as image/png).
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

it('sends an image without a preview, twice, saying why in the log', async () => {
  const log = vi.fn();
  const t = await startTestServer();
  const { alice, bob, conversationId } = await pair(t, { engine: { log } });
  const photo = join(tempDir(), 'dot.png');
  writeFileSync(photo, PNG);

  for (const round of [1, 2]) {
    const arrived = nextEvent(bob, 'file');
    const sent = await alice.sendFile({ conversationId }, photo);
    expect(sent.file, `round ${round}`).toMatchObject({ name: 'dot.png', mime: 'image/png' });
    expect(sent.file!.preview).toBeUndefined();
    const file = (await arrived).file as FileInfo;
    expect(file).toMatchObject({ name: 'dot.png', mime: 'image/png', size: PNG.length });
    expect(file.preview).toBeUndefined();
  }
  await until(() => log.mock.calls.filter(([message]) => message === 'no preview for dot.png').length === 2, 'the log lines');
  const reasons = log.mock.calls.filter(([message]) => message === 'no preview for dot.png').map(([, error]) => (error as Error).message);
  // (vitest wraps the factory's throw in its own message; the prefix is Parley's.)
  expect(reasons).toEqual(Array(2).fill(expect.stringMatching(/^image previews are unavailable: sharp could not be loaded \(.+\)$/)));
});
