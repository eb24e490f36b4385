// Pushes to users' devices: at once to those on this node, and with several nodes, everything a turn
// of this node owes the others leaves in one stream entry at the end of the turn (a bundle, see
// server/cluster/bundles.ts), which each other node takes apart for its own devices.
//
// Measured with three nodes: one entry per push cost each node a Redis command, a read, a parse and
// an adapter pass per message, and a node's own devices waited for Redis to answer each publish.
// Receipts had gathered for 10 ms on the node that wrote them, then 10 ms more on the node holding
// their user; now they cross at the end of the turn that wrote them and gather once, for
// RECEIPTS_GATHER_MS on the node that holds their user. (A sender still gets a message's receipts
// in ~3 pushes, one per node that wrote some, against ~1.2 on one node: they are written at
// different times.)
import type { Server } from 'socket.io';
import type { FastifyBaseLogger } from 'fastify';
import { RECEIPTS_PUSH, type Address, type PushName, type PushPayload, type Receipt } from '../../protocol/index.js';
import { BUNDLE_ROOM } from '../cluster/bundles.js';
import type { Fanout } from '../services/messaging.js';

export const userRoom = (address: Address) => `user:${address}`;

/** A tick on a message may wait this long: far below what a person notices, and a push per user instead of one per receipt. */
const RECEIPTS_GATHER_MS = 10;

/** A bundle's event: what one turn of a node owes the others. */
export const TURN_BUNDLE = 'parley:turn';

/**
 * A bundle holds at most this many characters (estimated as it fills: the payloads' strings and a
 * little per value), pushes and receipts; a turn that owes more sends several, and a push larger
 * than the limit goes alone, as it did when every push was an entry. The stream keeps its newest
 * 10,000 entries: 2.5 G estimated characters at the very most (stored as UTF-8 JSON: up to 3× that
 * for non-Latin text, 6× for escaped control characters), a few tens of MiB in ordinary traffic (a
 * turn's bundle under load is ~5–15 KiB).
 */
const BUNDLE_MAX_CHARS = 256 * 1024;
const BUNDLE_MAX_PUSHES = 256;
const BUNDLE_MAX_RECEIPTS = 1024;

/** [users, push name, payload]: users, not rooms, as a room name is this module's business. */
type BundledPush = [readonly Address[], string, unknown];

interface Bundle {
  pushes: BundledPush[];
  /** [address, receipts] pairs (an address is any string, "__proto__" too: no object keys). */
  receipts: Array<[Address, Receipt[]]>;
}

export interface NodeFanout extends Pick<Fanout, 'emit' | 'receipt' | 'disconnectUser'> {
  /** Another node's bundle, as it came: each part for the devices here. Never throws (bundles.ts). */
  fromOtherNode(event: string, bundle: unknown): void;
  /** What is gathering leaves now (a draining node, before its Redis link closes). */
  flush(): void;
}

export interface FanoutOptions {
  /** Other nodes hold devices too (an adapter on Redis). */
  clustered: boolean;
  /** Told of each event another node wrote that reaches devices here (Storage.writtenElsewhere). */
  learn(conversationId: string, seq: number, sender: Address | null): void;
  /** Null until the gateway is attached. */
  log(): FastifyBaseLogger | null;
}

export function createFanout(io: Server, options: FanoutOptions): NodeFanout {
  const joined = () => io.of('/').adapter.rooms;
  /** The rooms of these users with devices on this node: nothing is encoded for nobody. */
  const roomsHere = (users: readonly Address[]) => {
    const here = joined();
    const found: string[] = [];
    for (const user of users) if (here.has(userRoom(user))) found.push(userRoom(user));
    return found;
  };
  const deliverTo = (to: string[], name: string, payload: unknown, exceptSocket?: string) => {
    if (to.length === 0) return;
    (exceptSocket ? io.local.to(to).except(exceptSocket) : io.local.to(to)).emit(name, payload);
  };

  // Receipts for users with devices here, this node's and other nodes', each user's in one push.
  let gathering = new Map<Address, Receipt[]>();
  let gatherTimer: NodeJS.Timeout | null = null;
  const gather = (address: Address, list: readonly Receipt[]) => {
    if (!joined().has(userRoom(address))) return;
    const pending = gathering.get(address);
    if (pending) pending.push(...list);
    else gathering.set(address, [...list]);
    gatherTimer ??= setTimeout(pushReceipts, RECEIPTS_GATHER_MS);
  };
  const pushReceipts = () => {
    if (gatherTimer) clearTimeout(gatherTimer);
    gatherTimer = null;
    const owed = gathering;
    gathering = new Map();
    for (const [address, list] of owed) {
      for (let i = 0; i < list.length; i += RECEIPTS_PUSH) {
        io.local.to(userRoom(address)).emit('receipts', { receipts: list.slice(i, i + RECEIPTS_PUSH) });
      }
    }
  };

  // What this turn owes the other nodes.
  let bundle: Bundle = { pushes: [], receipts: [] };
  let chars = 0;
  let receiptCount = 0;
  let bundleTimer: NodeJS.Immediate | null = null;
  const sendBundle = () => {
    if (bundleTimer) clearImmediate(bundleTimer);
    bundleTimer = null;
    if (bundle.pushes.length === 0 && bundle.receipts.length === 0) return;
    io.to(BUNDLE_ROOM).emit(TURN_BUNDLE, bundle);
    bundle = { pushes: [], receipts: [] };
    chars = 0;
    receiptCount = 0;
  };
  /** Room for `size` more characters, a push or `receipts` more receipts, sending the bundle first when full. */
  const makeRoom = (size: number, pushes: number, receipts: number) => {
    const full =
      chars + size > BUNDLE_MAX_CHARS ||
      bundle.pushes.length + pushes > BUNDLE_MAX_PUSHES ||
      receiptCount + receipts > BUNDLE_MAX_RECEIPTS;
    if (full) sendBundle();
    chars += size;
    receiptCount += receipts;
    // setImmediate runs after the poll phase: every write this turn settled joins the bundle.
    bundleTimer ??= setImmediate(sendBundle);
  };

  const open = (event: string, raw: unknown) => {
    const log = options.log();
    if (event !== TURN_BUNDLE || !isBundle(raw)) return void log?.warn({ event }, 'a malformed bundle from another node was ignored');
    for (const [users, name, payload] of raw.pushes) {
      const to = roomsHere(users);
      if (to.length === 0) continue;
      try {
        learnFrom(name, payload);
        deliverTo(to, name, payload);
      } catch (error) {
        log?.error({ err: error, push: name }, 'a push from another node could not be delivered');
      }
    }
    for (const [address, list] of raw.receipts) gather(address, list);
  };

  /** An event another node wrote, to users some of whom have devices here: its seq and sender, which their receipts then find in memory. */
  const learnFrom = (name: string, payload: unknown) => {
    if (name !== 'event' || typeof payload !== 'object' || payload === null) return;
    const { conversationId, seq, type, sender } = payload as Record<string, unknown>;
    if (typeof conversationId !== 'string' || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return;
    if (type === 'message' && typeof sender !== 'string') return;
    options.learn(conversationId, seq, type === 'message' ? (sender as Address) : null);
  };

  return {
    emit<N extends PushName>(users: readonly Address[], name: N, payload: PushPayload<N>, exceptSocket?: string) {
      if (users.length === 0) return;
      deliverTo(roomsHere(users), name, payload, exceptSocket);
      if (!options.clustered) return;
      makeRoom(estimateChars(users) + estimateChars(payload), 1, 0);
      bundle.pushes.push([users, name, payload]);
    },
    receipt(to: readonly Address[], receipt: Receipt) {
      for (const address of to) {
        gather(address, [receipt]);
        if (!options.clustered) continue;
        makeRoom(estimateChars(receipt) + address.length + 8, 0, 1);
        const last = bundle.receipts[bundle.receipts.length - 1];
        if (last?.[0] === address) last[1].push(receipt);
        else bundle.receipts.push([address, [receipt]]);
      }
    },
    /**
     * Revocation, after every push already sent: here at once (a push to the other nodes reaches this
     * node's devices only once Redis has answered, and pushes go to them directly meanwhile), then on
     * the other nodes behind the bundle of what they were owed. Receipts still gathering for the
     * user are dropped with the connection.
     */
    disconnectUser(address: Address, message: string) {
      io.local.to(userRoom(address)).emit('auth:revoked', { message });
      io.local.in(userRoom(address)).disconnectSockets(true);
      if (!options.clustered) return;
      sendBundle();
      io.to(userRoom(address)).emit('auth:revoked', { message });
      io.in(userRoom(address)).disconnectSockets(true);
    },
    fromOtherNode(event: string, raw: unknown) {
      try {
        open(event, raw);
      } catch (error) {
        options.log()?.error({ err: error }, 'a bundle from another node could not be opened');
      }
    },
    flush() {
      sendBundle();
      pushReceipts();
    },
  };
}

/** The characters a value's JSON takes, near enough: its strings' lengths and a little per value (bounded work: pushes are small trees). */
function estimateChars(value: unknown, depth = 0): number {
  if (typeof value === 'string') return value.length + 2;
  if (typeof value !== 'object' || value === null || depth > 8) return 16;
  let sum = 2;
  if (Array.isArray(value)) for (const item of value) sum += estimateChars(item, depth + 1) + 1;
  else for (const key in value) sum += key.length + 4 + estimateChars((value as Record<string, unknown>)[key], depth + 1);
  return sum;
}

/** A bundle's shape, checked without walking the payloads (delivered as they came, like any push). */
function isBundle(raw: unknown): raw is Bundle {
  if (typeof raw !== 'object' || raw === null) return false;
  const { pushes, receipts } = raw as Partial<Bundle>;
  return (
    Array.isArray(pushes) &&
    Array.isArray(receipts) &&
    pushes.every((p) => Array.isArray(p) && p.length === 3 && Array.isArray(p[0]) && p[0].every((u) => typeof u === 'string') && typeof p[1] === 'string') &&
    receipts.every((r) => Array.isArray(r) && r.length === 2 && typeof r[0] === 'string' && Array.isArray(r[1]))
  );
}
