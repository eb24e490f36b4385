// The receipts this device sends: "delivered" once a message is stored here, one cumulative receipt
// per conversation coalesced over a few ms (a catch-up page or a burst is one receipt, not hundreds),
// and "read" as the read mark moves. A receipt lost with the connection is sent again by the next
// sync, which compares marks (sync/on-connect.ts), so none asks for an answer: that is one frame
// less per receipt for the server to write (bench:latency).
import type { Connection } from '../net/connection.js';

const DELIVERED_FLUSH_MS = 30;

export type Receipts = ReturnType<typeof createReceipts>;

export function createReceipts(connection: Connection) {
  const pending = new Map<string, number>();
  let timer: NodeJS.Timeout | null = null;

  function flush(): void {
    timer = null;
    for (const [conversationId, seq] of pending) connection.tell('receipt', { conversationId, type: 'delivered', seq });
    pending.clear();
  }

  return {
    /** Stored here up to seq, without a gap. */
    delivered(conversationId: string, seq: number): void {
      if (seq <= (pending.get(conversationId) ?? 0)) return;
      pending.set(conversationId, seq);
      timer ??= setTimeout(flush, DELIVERED_FLUSH_MS);
    },
    read(conversationId: string, seq: number): void {
      connection.tell('receipt', { conversationId, type: 'read', seq });
    },
    stop(): void {
      if (timer) clearTimeout(timer);
      timer = null;
      pending.clear();
    },
  };
}
