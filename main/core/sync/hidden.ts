// Delete for me across my devices: the server keeps my hidden list, numbered by versions. This
// device applies each batch (live from the `hidden` push, or my own delete acknowledged) and keeps
// the version it has applied without a gap (meta 'hidden_version'); a batch past a gap is applied
// all the same and the list is read again from the stored version (`hidden:list`), as it is after
// a sync that tells a newer version.
import type { EngineContext } from '../context.js';
import type { MessageActions } from '../messages/actions.js';
import type { RemovedRef } from '../store/index.js';

export type HiddenDeps = Pick<EngineContext, 'store' | 'connection' | 'log' | 'stopped'> & { actions: Pick<MessageActions, 'removed'> };

export interface HiddenBatch {
  version: number;
  conversationId: string;
  seqs: number[];
}

export type HiddenSync = ReturnType<typeof createHiddenSync>;

export function createHiddenSync(d: HiddenDeps) {
  const { store } = d;
  let pulling: Promise<void> | null = null;

  function told(removed: readonly RemovedRef[]): void {
    const by = new Map<string, RemovedRef[]>();
    for (const r of removed) by.set(r.conversationId, [...(by.get(r.conversationId) ?? []), r]);
    for (const [conversationId, refs] of by) d.actions.removed(conversationId, refs);
  }

  async function pullAll(): Promise<void> {
    for (;;) {
      const { hidden, more } = await d.connection.request('hidden:list', { after: store.hiddenVersion() });
      if (d.stopped()) return;
      told(store.applyHidden(hidden));
      if (!more || hidden.length === 0) return;
    }
  }

  /** Reads the list from the stored version (one read at a time). */
  function pull(): Promise<void> {
    pulling ??= pullAll().finally(() => {
      pulling = null;
    });
    return pulling;
  }

  function pullSoon(): void {
    pull().catch((error: unknown) => {
      if (!d.stopped()) d.log('could not read the hidden messages list; the next sync reads it', error);
    });
  }

  /** A batch: applied, and its version kept when it follows the stored one. */
  function batch(b: HiddenBatch): void {
    if (b.version === store.hiddenVersion() + 1) return told(store.applyHidden([b]));
    told(store.hide(b.conversationId, b.seqs));
    if (b.version > store.hiddenVersion()) pullSoon();
  }

  return {
    /** The sync told my list's version: read what this device has not applied. */
    synced(version: number | undefined): Promise<void> {
      return version !== undefined && version > store.hiddenVersion() ? pull() : Promise.resolve();
    },
    pushed: batch,
    /** My own delete for me, acknowledged at this version. */
    acked(version: number, conversationId: string, seqs: number[]): void {
      batch({ version, conversationId, seqs });
    },
  };
}
