// `npm start`: an embedded Parley server with demo users (unless --server-url is given) and the
// client engine signed in as one of them. Opens the desktop window where the Electron binary is
// installed; without it, shows the engine's view of conversations and messages in the terminal.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { resolve, join } from 'node:path';
import { parseArgs } from 'node:util';
import { createClient } from '../main/core/index.js';
import { startServer } from '../server/server.js';

const usage = `Usage: npm start -- [options]

  --server-url <url>  use this Parley server instead of the embedded one (PARLEY_SERVER_URL)
  --token <token>     user access token for --server-url (PARLEY_TOKEN)
  --user <address>    demo user to sign in as with the embedded server: alice, bob, carol (default alice)
  --data-dir <dir>    where Parley keeps its data (PARLEY_DATA_DIR, default ./.parley)
  --port <n>          port of the embedded server (default 7300)
  -h, --help          show this help`;

const { values } = parseArgs({
  options: {
    'server-url': { type: 'string' },
    token: { type: 'string' },
    user: { type: 'string', default: 'alice' },
    'data-dir': { type: 'string' },
    port: { type: 'string', default: '7300' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}

const dataDir = resolve(values['data-dir'] ?? process.env.PARLEY_DATA_DIR ?? '.parley');
let serverUrl = values['server-url'] ?? process.env.PARLEY_SERVER_URL;
let token = values.token ?? process.env.PARLEY_TOKEN;
let closeServer = async () => {};

if (!serverUrl) {
  const server = await startServer({ port: Number(values.port), host: '127.0.0.1', dataDir: join(dataDir, 'server'), demo: true, logger: { level: 'warn' } });
  closeServer = () => server.close();
  serverUrl = server.url;
  if (server.createdAppToken) console.log(`Backend API app token (shown once): ${server.createdAppToken}`);
  token = server.demoTokens?.[values.user];
  if (!token) {
    console.error(`--user must be one of ${Object.keys(server.demoTokens ?? {}).join(', ')}`);
    process.exit(2);
  }
  console.log(`Embedded Parley server on ${serverUrl}; demo users and tokens for other devices:`);
  for (const [address, t] of Object.entries(server.demoTokens ?? {})) console.log(`  ${address.padEnd(6)} ${t}`);
}
if (!token) {
  console.error('--token (or PARLEY_TOKEN) is needed with --server-url');
  process.exit(2);
}

const electronBinary = (() => {
  try {
    return createRequire(import.meta.url)('electron') as unknown as string;
  } catch {
    return null;
  }
})();

if (electronBinary) {
  const child = spawn(electronBinary, ['.'], {
    stdio: 'inherit',
    env: { ...process.env, PARLEY_SERVER_URL: serverUrl, PARLEY_TOKEN: token, PARLEY_DATA_DIR: join(dataDir, 'client', values.user) },
  });
  child.on('exit', async (code) => {
    await closeServer();
    process.exit(code ?? 0);
  });
} else {
  console.log('\nThe Electron binary is not installed here; showing the signed-in engine in the terminal (Ctrl+C quits).');
  const client = createClient({ dataDir: join(dataDir, 'client', values.user), serverUrl, token });
  const names = new Map<string, string>();
  client.on('connectionStatus', (s) => console.log(`[connection] ${s.state}${'reason' in s ? `: ${s.reason}` : ''}`));
  client.on('sync', (s) => {
    if (s.state !== 'done') return;
    for (const c of client.readConversations()) {
      names.set(c.id, c.title ?? c.participants.map((p) => p.address).filter((a) => a !== client.me).join(', '));
      console.log(`  ${names.get(c.id)!.padEnd(24)} ${String(c.unread).padStart(3)} unread  ${c.lastMessage ? `${c.lastMessage.sender}: ${c.lastMessage.body}` : ''}`);
    }
  });
  client.on('message', (m) => console.log(`[${names.get(m.conversationId ?? '') ?? m.conversationId}] ${m.sender}: ${m.body}`));
  client.start();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, async () => {
      client.stop();
      await closeServer();
      process.exit(0);
    });
  }
}
