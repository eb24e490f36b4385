// One engine in a child process of the fault suite, so it can be SIGKILLed mid-burst and reopened
// on its data dir. A plain-Node host: an unhandled rejection or exception ends it (exit code 1), and
// the suite counts that as a failure. Speaks to its parent over IPC as bench/support/server-process.ts
// expects: { type: 'ready' } once started, { id, data } answers to { type, id, … } requests, and
// unasked { type: 'written' | 'sent' | 'failed', … } reports of its messages.
import Database from 'better-sqlite3';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '../../main/core/index.js';

const [dataDir, serverUrl, token, logFile] = process.argv.slice(2) as [string, string, string, string];

const log = (message: string, detail?: unknown) => {
  const text = detail instanceof Error ? (detail.stack ?? detail.message) : detail === undefined ? '' : JSON.stringify(detail);
  appendFileSync(logFile, `${new Date().toISOString()} ${message} ${text}\n`);
};
log(`engine ${process.pid} starting`);
const client = createClient({ dataDir, serverUrl, token, backoff: { minDelay: 50, maxDelay: 500 }, log });
client.on('messageStatus', (change) => {
  if (change.status === 'sent' && change.seq !== null) process.send!({ type: 'sent', id: change.id, conversationId: change.conversationId, seq: change.seq });
  if (change.status === 'failed') process.send!({ type: 'failed', id: change.id, error: change.error });
});
client.on('connectionStatus', (status) => log(`connection ${status.state}`));
client.start();

// A second, read-only handle on the engine's own store: what is left in the outbox, what is behind.
const db = new Database(join(dataDir, 'parley-client.db'), { readonly: true, fileMustExist: true });
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface EngineState {
  online: boolean;
  outbox: number;
  failed: number;
  /** conversationId → [haveSeq, lastSeq] */
  conversations: Record<string, [number, number]>;
}

function state(): EngineState {
  const conversations: EngineState['conversations'] = {};
  for (const row of db.prepare('SELECT id, have_seq AS have, last_seq AS last FROM conversations').all() as Array<{ id: string; have: number; last: number }>) {
    conversations[row.id] = [row.have, row.last];
  }
  return {
    online: client.status.state === 'online',
    outbox: (db.prepare('SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL AND error IS NULL').get() as { n: number }).n,
    failed: (db.prepare('SELECT count(*) AS n FROM outbox WHERE error IS NOT NULL').get() as { n: number }).n,
    conversations,
  };
}

type Request = { type: string; id: number; [key: string]: unknown };

process.on('message', (message: Request) => {
  answer(message).then(
    (data) => process.send!({ id: message.id, data }),
    // A refused request is the parent's to judge; the engine itself stays up.
    (error: unknown) => process.send!({ id: message.id, data: { error: error instanceof Error ? error.message : String(error) } }),
  );
});

async function answer(message: Request): Promise<unknown> {
  switch (message.type) {
    case 'createDirect': {
      const conversation = await client.createConversation({ participants: [message.peer as string], type: 'direct' });
      return conversation.id;
    }
    case 'burst': {
      // One message per event-loop turn, each reported once it is in the store: a SIGKILL lands between them.
      const { conversationId, count, tag } = message as unknown as { conversationId: string; count: number; tag: string };
      for (let i = 0; i < count; i++) {
        const written = client.sendMessage({ conversationId }, `${tag} ${i}`);
        process.send!({ type: 'written', id: written.id, conversationId });
        await nextTurn();
      }
      return count;
    }
    case 'settle':
      // Whatever was in hand is done (sync, catch-up, outbox pass); the parent polls until all agree.
      await client.idle();
      return state();
    case 'close':
      db.close();
      client.stop();
      log(`engine ${process.pid} closed`);
      process.send!({ id: message.id, data: true }, () => process.exit(0));
      return new Promise(() => {});
    default:
      throw new Error(`unknown request ${message.type}`);
  }
}

process.send!({ type: 'ready', url: serverUrl });
