// This device's own settings, never sent to the server: the meta key-values (my address, the
// device id) and per-conversation preferences (mute is per device).
import type { Db } from '../../../common/node/sqlite.js';

export type PrefsStore = ReturnType<typeof createPrefsStore>;

export function createPrefsStore(db: Db) {
  const q = {
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
    setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
    setMuted: db.prepare(
      `INSERT INTO conversation_prefs (conversation_id, muted) VALUES (?, ?)
       ON CONFLICT(conversation_id) DO UPDATE SET muted = excluded.muted`,
    ),
  };

  return {
    meta(key: string): string | null {
      return (q.getMeta.get(key) as string | undefined) ?? null;
    },
    setMeta(key: string, value: string): void {
      q.setMeta.run(key, value);
    },
    setMuted(conversationId: string, muted: boolean): void {
      q.setMuted.run(conversationId, muted ? 1 : 0);
    },
  };
}
