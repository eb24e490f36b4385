// `npm start`: builds the app if its sources changed, starts an embedded Parley server with demo users
// (unless a server URL is given) and opens Parley signed in: in Electron where its binary is installed,
// else in the browser host, printing its URL and opening Chromium when one is found.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createBridge, type Bridge, type DemoAccount } from '../main/bridge/index.js';
import { startBrowserHost, type BrowserHost } from '../main/browser/host.js';
import { guardProcess } from '../main/bridge/process-guard.js';
import { ensureElectronAddon, ensureNodeAddon } from './native-addon.js';
import { browserTokenStorage } from '../main/browser/token-codec.js';
import { startServer } from '../server/server.js';
import { DEMO_USERS } from '../server/demo.js';
import { buildIfStale } from './build-if-stale.js';
import { HttpUrl } from '../contract/requests.js';

const usage = `Usage: npm start -- [options]

  --server-url <url>  use this Parley server instead of the embedded one: the sign-in screen offers it (PARLEY_SERVER_URL)
  --token <token>     sign in to --server-url with this user access token (PARLEY_TOKEN)
  --user <address>    demo user to sign in as with the embedded server: ${DEMO_USERS.map((u) => u.address).join(', ')}
                      (default: the first, on a new data dir; later launches resume the last session)
  --data-dir <dir>    where Parley keeps its data (PARLEY_DATA_DIR, default ./.parley)
  --port <n>          port of the embedded server (default 7300)
  --ui-port <n>       port of the browser host (default 7310; a fixed address keeps the page's
                      drafts and last-opened conversation from one launch to the next)
  --browser           use the browser host even where Electron is installed
  --no-open           do not open a browser window (browser host)
  -h, --help          show this help`;

const { values } = parseArgs({
  options: {
    'server-url': { type: 'string' },
    token: { type: 'string' },
    user: { type: 'string' },
    'data-dir': { type: 'string' },
    port: { type: 'string', default: '7300' },
    'ui-port': { type: 'string', default: '7310' },
    browser: { type: 'boolean', default: false },
    'no-open': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}

// Whatever is running when an error nobody handled arrives: closed, newest first, if the process must stop.
const running: { host?: BrowserHost; bridge?: Bridge; electron?: ChildProcess } = {};
let closeServer = async () => {};
// A rejected promise is logged and Parley keeps running; an uncaught exception closes it cleanly with a
// message (main/bridge/process-guard.ts says why).
guardProcess({
  log: (message, detail) => console.error(`[parley] ${message}`, detail ?? ''),
  async shutdown() {
    running.electron?.kill();
    await running.host?.close();
    running.bridge?.close();
    await closeServer();
  },
});

const root = resolve(import.meta.dirname, '..');
const dataDir = resolve(values['data-dir'] ?? process.env.PARLEY_DATA_DIR ?? '.parley');
const clientDir = join(dataDir, 'client');
// The embedded server's and the client's data (histories, tokens) are this user's only; a dir made before stays as it is.
mkdirSync(dataDir, { recursive: true, mode: 0o700 });
const serverUrl = values['server-url'] ?? process.env.PARLEY_SERVER_URL;
const token = values.token ?? process.env.PARLEY_TOKEN;
if (token && !serverUrl) fail('--token goes with --server-url');
if (serverUrl && !HttpUrl.safeParse(serverUrl).success) fail('--server-url is an http:// or https:// address');
if (values.user && serverUrl) fail('--user picks a demo user of the embedded server; with --server-url, sign in with --token');

try {
  // The embedded server (and the browser host) run here, on Node: node_modules' addon must be Node's.
  ensureNodeAddon(root, console.log);
  buildIfStale();
} catch (error) {
  fail((error as Error).message);
}

let demo: { serverUrl: string; users: DemoAccount[] } | undefined;
if (!serverUrl) {
  const server = await startServer({ port: Number(values.port), host: '127.0.0.1', dataDir: join(dataDir, 'server'), demo: true, logger: { level: 'warn' } });
  closeServer = () => server.close();
  demo = { serverUrl: server.url, users: DEMO_USERS.map((u) => ({ ...u, token: server.demoTokens![u.address]! })) };
  if (values.user && !demo.users.some((u) => u.address === values.user)) fail(`--user is one of ${DEMO_USERS.map((u) => u.address).join(', ')}`);
  console.log(`Embedded Parley server on ${server.url} (data in ${join(dataDir, 'server')})`);
  if (server.createdAppToken) console.log(`Backend API app token (shown once): ${server.createdAppToken}`);
  console.log('Demo user tokens, to sign in from another device or window:');
  for (const u of demo.users) console.log(`  ${u.address.padEnd(6)} ${u.token}`);
}

const electron = values.browser ? null : electronBinary();
if (electron) {
  // Electron loads better-sqlite3 built for its own ABI, kept beside node_modules' (scripts/native-addon.ts).
  let sqliteAddon: string;
  try {
    sqliteAddon = ensureElectronAddon(root, console.log);
  } catch (error) {
    fail(`${(error as Error).message}\nnpm start -- --browser runs Parley in the browser host instead.`);
  }
  const child = spawn(electron, [root], {
    stdio: 'inherit',
    env: {
      ...process.env,
      PARLEY_SQLITE_ADDON: sqliteAddon,
      PARLEY_DATA_DIR: clientDir,
      ...(demo && { PARLEY_DEMO: JSON.stringify(demo) }),
      ...(values.user && { PARLEY_USER: values.user }),
      ...(serverUrl && { PARLEY_SERVER_URL: serverUrl }),
      ...(token && { PARLEY_TOKEN: token }),
    },
  });
  running.electron = child;
  child.on('exit', (code) => {
    closeServer()
      .catch((error: unknown) => console.error('the embedded server did not close cleanly', error))
      .finally(() => process.exit(code ?? 0));
  });
} else {
  const version = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
  const secrets = browserTokenStorage(undefined, (message, detail) => console.warn(`[parley] ${message}`, detail ?? ''));
  if (secrets.notice) console.log(`Note: ${secrets.notice}`);
  const bridge = createBridge({
    dataDir: clientDir,
    appInfo: { version, platform: process.platform, host: 'browser' },
    demo,
    signInAs: values.user,
    signInWith: serverUrl && token ? { serverUrl, token } : undefined,
    offerServer: serverUrl && !token ? serverUrl : undefined,
    tokenCodec: secrets.codec,
  });
  running.bridge = bridge;
  const rendererDir = join(root, 'out', 'renderer');
  const host = await startBrowserHost({ bridge, rendererDir, port: Number(values['ui-port']) }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE') throw error;
    console.log(`Port ${values['ui-port']} is taken; the browser host takes a free one.`);
    return startBrowserHost({ bridge, rendererDir });
  });
  running.host = host;
  console.log(`\nParley is running in the browser host (the Electron binary is not installed here):\n\n  ${host.url}\n`);
  if (!values['no-open']) openChromium(host.url);
  console.log('Ctrl+C quits.');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      host
        .close()
        .then(() => bridge.close())
        .then(closeServer)
        .then(
          () => process.exit(0),
          (error: unknown) => {
            console.error('Parley did not close cleanly', error);
            process.exit(1);
          },
        );
    });
  }
}

function fail(message: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}

function electronBinary(): string | null {
  try {
    const path = createRequire(import.meta.url)('electron') as unknown as string;
    return existsSync(path) ? path : null;
  } catch {
    return null; // the package throws when its binary was never downloaded
  }
}

function openChromium(url: string) {
  const browser = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(existsSync);
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    console.log('No display here: open the URL above in a browser on this machine.');
    return;
  }
  if (!browser) return console.log('Open the URL above in a browser.');
  const child = spawn(browser, [`--app=${url}`, `--user-data-dir=${join(dataDir, 'chromium')}`, '--no-first-run'], { stdio: 'ignore', detached: true });
  child.on('error', () => console.log('Could not open Chromium: open the URL above in a browser.'));
  child.unref();
}
