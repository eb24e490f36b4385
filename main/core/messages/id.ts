// Message ids, stable from sending to sent and the same on every device: what someone wrote is
// `sender:clientId` (known before the server numbers it), any other event `conversationId#seq`.
// An address never holds ':' (protocol Address), so the first ':' ends the sender.
import { randomBytes } from 'node:crypto';
import { Address } from '../../../protocol/index.js';

/**
 * A new clientId: a UUIDv7 (RFC 9562), the milliseconds first. The server's index of clientIds then
 * grows at one end, so a batch of sends touches a few pages of it, not one page each.
 */
export function newClientId(now: number = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70; // version 7
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // variant 10
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const writtenId = (sender: string, clientId: string): string => `${sender}:${clientId}`;

export const eventId = (conversationId: string, seq: number): string => `${conversationId}#${seq}`;

export type ParsedMessageId = { sender: string; clientId: string } | { conversationId: string; seq: number };

export function parseMessageId(id: string): ParsedMessageId | null {
  const colon = id.indexOf(':');
  if (colon > 0 && colon < id.length - 1 && Address.safeParse(id.slice(0, colon)).success) {
    return { sender: id.slice(0, colon), clientId: id.slice(colon + 1) };
  }
  const hash = id.lastIndexOf('#');
  const seq = id.slice(hash + 1);
  return hash > 0 && /^\d{1,15}$/.test(seq) ? { conversationId: id.slice(0, hash), seq: Number(seq) } : null;
}

/** The clientId of a written message's id; null for other events' ids. */
export function clientIdOf(id: string): string | null {
  const parsed = parseMessageId(id);
  return parsed && 'clientId' in parsed ? parsed.clientId : null;
}
