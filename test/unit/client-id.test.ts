// Engine clientIds are UUIDv7: unique, and in time order, so the server's idempotency index
// (clientId first) grows at one end.
import { describe, expect, it } from 'vitest';
import { ClientId } from '../../protocol/index.js';
import { newClientId } from '../../main/core/messages/id.js';

describe('newClientId', () => {
  it('makes RFC 9562 version 7 ids that the protocol accepts, unique, and sorted by their time', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => newClientId(1_750_000_000_000 + Math.floor(i / 10)));
    for (const id of ids.slice(0, 50)) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(ClientId.safeParse(id).success).toBe(true);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]!.slice(0, 13)).toBe('01977420-dc00'); // 1,750,000,000,000 ms, big-endian in the first 48 bits
    // Ids of later milliseconds sort after earlier ones (within one millisecond the order is random).
    const firstOfEachMs = ids.filter((_, i) => i % 10 === 0);
    expect([...firstOfEachMs].sort()).toEqual(firstOfEachMs);
  });
});
