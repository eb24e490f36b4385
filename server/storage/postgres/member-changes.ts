// Membership changes between nodes: the node that changes a conversation's members sends NOTIFY in
// the same transaction (PostgreSQL delivers it on commit), and every node LISTENs on a connection of
// its own to forget what it holds in memory. The cache these invalidations keep is only a shortcut:
// writes are checked against members_version in the database, so a late or lost notification can
// delay what a read sees, never what a write allows. While the listening connection is down, nothing
// is cached (everything missed meanwhile is forgotten on reconnect).
import pg from 'pg';

export const MEMBERS_CHANNEL = 'parley_members';

export interface MemberChanges {
  /** True while notifications arrive: what is cached is kept current. */
  readonly live: boolean;
  close(): Promise<void>;
}

export interface MemberChangesOptions {
  /** A conversation whose members changed, or null: anything may have (the connection was lost). */
  changed: (conversationId: string | null) => void;
  log: (message: string, error?: unknown) => void;
}

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

export async function listenForMemberChanges(url: string, options: MemberChangesOptions): Promise<MemberChanges> {
  let client: pg.Client | null = null;
  let live = false;
  let closed = false;
  let retryTimer: NodeJS.Timeout | null = null;
  let delay = RECONNECT_MIN_MS;

  const lost = (error: unknown) => {
    if (closed || !client) return;
    const failed = client;
    client = null;
    live = false;
    options.changed(null);
    options.log('lost the database connection that hears membership changes; nothing is cached until it is back', error);
    failed.end().catch(() => {}); // already broken: ending it only frees the socket
    schedule();
  };

  const schedule = () => {
    retryTimer = setTimeout(() => {
      retryTimer = null;
      connect().catch(lost);
    }, delay);
    retryTimer.unref();
    delay = Math.min(delay * 2, RECONNECT_MAX_MS);
  };

  const connect = async () => {
    const next = new pg.Client({ connectionString: url, keepAlive: true, application_name: 'parley-listen' });
    next.on('notification', (message) => {
      if (message.channel === MEMBERS_CHANNEL && message.payload) options.changed(message.payload);
    });
    next.on('error', (error) => (client === next ? lost(error) : undefined));
    next.on('end', () => (client === next ? lost(new Error('the connection ended')) : undefined));
    try {
      await next.connect();
      await next.query(`LISTEN ${MEMBERS_CHANNEL}`);
    } catch (error) {
      next.end().catch(() => {});
      if (closed) return;
      // Not up yet: try again later, without a cache meanwhile.
      options.log('could not listen for membership changes; retrying', error);
      schedule();
      return;
    }
    if (closed) {
      await next.end();
      return;
    }
    client = next;
    delay = RECONNECT_MIN_MS;
    // Whatever changed while nobody listened is forgotten before the cache is trusted again.
    options.changed(null);
    live = true;
  };

  await connect();
  return {
    get live() {
      return live;
    },
    async close() {
      closed = true;
      live = false;
      if (retryTimer) clearTimeout(retryTimer);
      const last = client;
      client = null;
      await last?.end();
    },
  };
}
