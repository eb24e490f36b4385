// The files a user already has survive the upgrade to versioned files: session.json, an account's
// sealed file-settings.json, desktop-settings.json and window-state.json, each written here exactly
// as the code before versions wrote it, are read back, and the next save adds the version.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Codec } from '../../common/node/json-file.js';
import type { FileSettings } from '../../contract/requests.js';
import { createSession, type Session } from '../../main/bridge/session.js';
import { defaultDesktopSettings, readDesktopSettings, writeDesktopSettings } from '../../main/electron/desktop-settings.js';
import { loadWindowState } from '../../main/electron/window-state.js';
import { cleanup, startTestServer, tempDir, until } from '../support/harness.js';

/** Stands in for safeStorage: refuses what another key sealed. */
const keyed = (key: string): Codec => ({
  seal: (plain) => `${key}:${Buffer.from(plain).toString('base64')}`,
  open: (sealed) => {
    if (!sealed.startsWith(`${key}:`)) throw new Error('sealed with another key');
    return Buffer.from(sealed.slice(key.length + 1), 'base64').toString();
  },
});

const sessions: Session[] = [];
afterEach(async () => {
  while (sessions.length) sessions.pop()!.close();
  await cleanup();
});

function open(dataDir: string, codec: Codec, log = vi.fn()): Session {
  const session = createSession({ dataDir, tokenCodec: codec, log, backoff: { minDelay: 50, maxDelay: 400 } });
  sessions.push(session);
  return session;
}

describe('settings files from before versions', () => {
  it('resume the session with its sealed token and the account’s sealed file settings', async () => {
    const server = await startTestServer();
    const token = await server.user('alice');
    const dataDir = tempDir('parley-upgrade-');
    const codec = keyed('k1');
    const settings: FileSettings = { uploadMode: 'uploadUrl', uploadUrl: 'https://upload.example/u', uploadAuthToken: 'up-secret', autoDownloadImagesUnder: 1024, mediaRefSend: null };
    const server16 = createHash('sha256').update(new URL(server.url).origin).digest('hex').slice(0, 16);
    const accountDir = join(dataDir, 'accounts', `${server16}-alice`);
    mkdirSync(accountDir, { recursive: true });
    writeFileSync(join(dataDir, 'session.json'), JSON.stringify({ serverUrl: server.url, address: 'alice', token: codec.seal(token) }), { mode: 0o600 });
    writeFileSync(join(accountDir, 'file-settings.json'), codec.seal(JSON.stringify(settings)), { mode: 0o600 });

    const log = vi.fn();
    const session = open(dataDir, codec, log);
    expect(session.firstLaunch).toBe(false);
    expect(session.state()).toMatchObject({ state: 'signedIn', me: 'alice', serverUrl: server.url });
    expect(session.fileSettings()).toEqual(settings);
    // The server took the unsealed token.
    await until(() => session.client().status.state === 'online', 'online');
    expect(log).not.toHaveBeenCalled();

    session.setFileSettings({ ...settings, autoDownloadImagesUnder: 2048 });
    session.signOut();
    expect(JSON.parse(readFileSync(join(dataDir, 'session.json'), 'utf8'))).toEqual({ version: 1, serverUrl: server.url, address: 'alice', token: null });
    expect(JSON.parse(codec.open(readFileSync(join(accountDir, 'file-settings.json'), 'utf8')))).toEqual({ version: 1, ...settings, autoDownloadImagesUnder: 2048 });
  });

  it('take a session whose token no key opens as signed out with the reason, not as a first launch', () => {
    const dataDir = tempDir('parley-upgrade-');
    writeFileSync(join(dataDir, 'session.json'), JSON.stringify({ serverUrl: 'http://127.0.0.1:1', address: 'alice', token: keyed('old').seal('t') }));
    const log = vi.fn();
    const session = open(dataDir, keyed('new'), log);
    expect(session.firstLaunch).toBe(false);
    expect(session.state()).toMatchObject({ state: 'signedOut', reason: expect.stringContaining('could not unlock your saved session') });
  });

  it('read the desktop settings and the window’s place', () => {
    const dir = tempDir('parley-upgrade-');
    const desktop = join(dir, 'desktop-settings.json');
    const mine = { ...defaultDesktopSettings(process.platform), closeToTray: false, notifications: false };
    writeFileSync(desktop, JSON.stringify(mine, null, 2));
    const log = vi.fn();
    expect(readDesktopSettings(desktop, log)).toEqual(mine);
    writeDesktopSettings(desktop, mine);
    expect(JSON.parse(readFileSync(desktop, 'utf8'))).toEqual({ version: 1, ...mine });
    expect(readDesktopSettings(desktop, log)).toEqual(mine);

    const windowState = join(dir, 'window-state.json');
    const state = { bounds: { x: 40, y: 30, width: 900, height: 650 }, maximized: true };
    writeFileSync(windowState, JSON.stringify(state));
    expect(loadWindowState(windowState, [{ x: 0, y: 0, width: 1920, height: 1040 }], log)).toEqual(state);
    expect(log).not.toHaveBeenCalled();
  });
});
