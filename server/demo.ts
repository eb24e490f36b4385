// Demo users with a little history, for `npm start` on a new data dir: enough to see Parley work.
import type { Messaging } from './services/messaging.js';
import type { Storage } from './storage/storage.js';
import { hashSecret, newSecret } from './auth/secrets.js';

export const DEMO_USERS = [
  { address: 'alice', name: 'Alice Martin' },
  { address: 'bob', name: 'Bob Okafor' },
  { address: 'carol', name: 'Carol Nguyen' },
] as const;

const HISTORY: Array<[sender: string, body: string]> = [
  ['alice', 'Morning! Did the build go out last night?'],
  ['bob', 'It did. Installers are on the file server.'],
  ['alice', 'Great, I will tell the team.'],
];

const GROUP: Array<[sender: string, body: string]> = [
  ['carol', 'Welcome to the launch plan. Agenda for Friday is in the doc.'],
  ['alice', 'Thanks Carol. I will bring the release notes.'],
  ['bob', 'I can demo the new catch-up speed.'],
];

/** Creates the demo users and conversations when the store has no users yet. */
export async function seedDemo(storage: Storage, messaging: Messaging): Promise<boolean> {
  if ((await storage.stats()).users > 0) return false;
  for (const user of DEMO_USERS) await storage.createUser(user);
  const direct = await messaging.createConversation('alice', { participants: ['bob'], type: 'direct' });
  const group = await messaging.createConversation('carol', { participants: ['alice', 'bob'], type: 'group', title: 'Launch plan' });
  const post = async (conversationId: string, lines: typeof HISTORY) => {
    for (const [i, [sender, body]] of lines.entries()) {
      await messaging.sendMessage(sender, 'demo', { conversationId, clientId: `demo-${conversationId}-${i}`, body });
    }
  };
  await post(direct.id, HISTORY);
  await post(group.id, GROUP);
  return true;
}

/** Fresh access tokens for the demo users, one per start. */
export async function demoTokens(storage: Storage, ttlSeconds = 30 * 24 * 3600): Promise<Record<string, string>> {
  const tokens: Record<string, string> = {};
  for (const { address } of DEMO_USERS) {
    const token = newSecret('plu');
    await storage.createToken(address, hashSecret(token), Date.now() + ttlSeconds * 1000);
    tokens[address] = token;
  }
  return tokens;
}
