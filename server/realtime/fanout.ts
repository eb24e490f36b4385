// Pushes to users' devices: at once to those on this node, and with several nodes, everything a turn
// of this node owes the others leaves in one stream entry at the end of the turn (a bundle, see
// server/cluster/bundles.ts), which each other node takes apart for its own devices.
//
// Measured with three nodes: one entry per push cost each node a Redis command, a read, a parse and
// an adapter pass per message, and a node's own devices waited for Redis to answer each publish.
// Receipts had gathered for 10 ms on the node that wrote them, then 10 ms more on the node holding
// their user; now they cross at the end of the turn that wrote them and gather once, for
// RECEIPTS_GATHER_MS on the node that holds their user. A push crosses as the JSON text its node
// encoded once for its own devices and the others' (encoded-push.ts); a node parses the receipts of
// the users it holds only.
import type { Server } from 'socket.io';
import type { FastifyBaseLogger } from 'fastify';
import { RECEIPTS_PUSH, type Address, type PushName, type PushPayload, type Receipt } from '../../protocol/index.js';
import { BUNDLE_ROOM } from '../cluster/bundles.js';
import type { Fanout } from '../services/messaging.js';
import { EncodedPayload } from './encoded-push.js';

const USER_ROOM = 'user:';
export const userRoom = (address: Address) => `${USER_ROOM}${address}`;

/**
 * A tick on a message may wait this long: far below what a person notices (devices already hold
 * their delivered receipts 30 ms), and a push per user instead of one per receipt. With several
 * nodes a message's receipts reach its sender's node from each of them at its own moment (the
 * push's way there and the receipts' way back, each node's receipt statements 20 ms apart):
 * measured with three nodes, 10 ms made a sender's pushes twice one node's, each carrying half the
 * receipts; 40 ms took a quarter of them away (one node's, whose receipts mostly came within
 * 10 ms, 10%).
 */
const RECEIPTS_GATHER_MS = 40;

/** A bundle's event: what one turn of a node owes the others (2: pushes and receipts as JSON text). */
export const TURN_BUNDLE = 'parley:turn:2';

/**
 * A bundle holds at most this many characters (estimated as it fills: the payloads' JSON, the
 * addresses and a little per push and receipt), pushes and receipts; a turn that owes more sends
 * several, and a push larger than the limit goes alone, as it did when every push was an entry. The
 * stream keeps its newest 10,000 entries: 2.5 G estimated characters at the very most (stored as
 * UTF-8 JSON, the payloads' JSON escaped once more: up to 3× that for non-Latin text, 2× for quotes),
 * a few tens of MiB in ordinary traffic (a turn's bundle under load is ~5–15 KiB).
 */
const BUNDLE_MAX_CHARS = 256 * 1024;
const BUNDLE_MAX_PUSHES = 256;
const BUNDLE_MAX_RECEIPTS = 1024;

/**
 * [users, push name, payload's JSON, and for an event what the nodes learn from it]. Users, not
 * rooms, as a room name is this module's business; their addresses joined by spaces (which an
 * address never holds): JSON.parse makes a string of each short value of an array and looks it up
 * among the interned ones, the reading nodes' largest cost of a bundle after the payloads.
 */
type BundledPush = [string, string, string] | [string, string, string, Learnt];
/** An event's conversation, seq, and sender when it is a message. */
type Learnt = [string, number, Address | null];

interface Bundle {
  pushes: BundledPush[];
  /**
   * [address, JSON of its receipts] pairs (an address is any string, "__proto__" too: no object
   * keys): a node parses only those of the users it holds.
   */
  receipts: Array<[Address, string]>;
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
  // The users with devices on this node, kept as their rooms come and go: a bundle's pushes name
  // users, and a set of addresses answers without making each one's room name.
  const adapter = io.of('/').adapter;
  const usersHere = new Set<Address>();
  for (const room of adapter.rooms.keys()) if (room.startsWith(USER_ROOM)) usersHere.add(room.slice(USER_ROOM.length));
  adapter.on('create-room', (room: string) => room.startsWith(USER_ROOM) && usersHere.add(room.slice(USER_ROOM.length)));
  adapter.on('delete-room', (room: string) => room.startsWith(USER_ROOM) && usersHere.delete(room.slice(USER_ROOM.length)));
  /** The rooms of these users with devices on this node: nothing is encoded for nobody. */
  const roomsHere = (users: readonly Address[]) => {
    const found: string[] = [];
    for (const user of users) if (usersHere.has(user)) found.push(userRoom(user));
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

  // What this turn owes the other nodes; receipts as objects until the bundle leaves.
  let pushes: BundledPush[] = [];
  let receipts: Array<[Address, Receipt[]]> = [];
  let chars = 0;
  let receiptCount = 0;
  let bundleTimer: NodeJS.Immediate | null = null;
  const sendBundle = () => {
    if (bundleTimer) clearImmediate(bundleTimer);
    bundleTimer = null;
    if (pushes.length === 0 && receipts.length === 0) return;
    const bundle: Bundle = { pushes, receipts: receipts.map(([address, list]) => [address, JSON.stringify(list)]) };
    io.to(BUNDLE_ROOM).emit(TURN_BUNDLE, bundle);
    pushes = [];
    receipts = [];
    chars = 0;
    receiptCount = 0;
  };
  /** Room for `size` more characters, a push or `count` more receipts, sending the bundle first when full. */
  const makeRoom = (size: number, push: number, count: number) => {
    const full = chars + size > BUNDLE_MAX_CHARS || pushes.length + push > BUNDLE_MAX_PUSHES || receiptCount + count > BUNDLE_MAX_RECEIPTS;
    if (full) sendBundle();
    chars += size;
    receiptCount += count;
    // setImmediate runs after the poll phase: every write this turn settled joins the bundle.
    bundleTimer ??= setImmediate(sendBundle);
  };

  const open = (event: string, raw: unknown) => {
    const log = options.log();
    if (event !== TURN_BUNDLE || !isBundle(raw)) return void log?.warn({ event }, 'a malformed bundle from another node was ignored');
    // Each part on its own: one that fails costs no other its push.
    for (const [users, name, json, learnt] of raw.pushes) {
      const to = roomsHere(users.split(' '));
      if (to.length === 0) continue;
      // Written to devices as it is: text that is not an object would make their decoder drop the connection.
      if (!json.startsWith('{') || !json.endsWith('}')) {
        log?.warn({ push: name }, 'a push from another node that is not a JSON object was ignored');
        continue;
      }
      try {
        if (learnt && name === 'event') learnFrom(learnt);
        deliverTo(to, name, new EncodedPayload(json));
      } catch (error) {
        log?.error({ err: error, push: name }, 'a push from another node could not be delivered');
      }
    }
    for (const [address, json] of raw.receipts) {
      if (!usersHere.has(address)) continue;
      let list: unknown;
      try {
        list = JSON.parse(json);
      } catch {
        list = null;
      }
      if (Array.isArray(list)) gather(address, list as Receipt[]);
      else log?.warn('malformed receipts from another node were ignored');
    }
  };

  /** An event another node wrote, to users some of whom have devices here: its seq and sender, which their receipts then find in memory. */
  const learnFrom = ([conversationId, seq, sender]: Learnt) => {
    if (typeof conversationId !== 'string' || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return;
    if (sender !== null && typeof sender !== 'string') return;
    options.learn(conversationId, seq, sender);
  };

  return {
    emit<N extends PushName>(users: readonly Address[], name: N, payload: PushPayload<N>, exceptSocket?: string) {
      if (users.length === 0) return;
      if (!options.clustered) return deliverTo(roomsHere(users), name, payload, exceptSocket);
      // Encoded once: for the devices here and, as it is, for the other nodes'.
      const json = JSON.stringify(payload);
      deliverTo(roomsHere(users), name, new EncodedPayload(json), exceptSocket);
      const to = users.join(' ');
      makeRoom(json.length + to.length + 64, 1, 0);
      pushes.push(name === 'event' ? [to, name, json, learntFrom(payload as PushPayload<'event'>)] : [to, name, json]);
    },
    receipt(to: readonly Address[], receipt: Receipt) {
      for (const address of to) {
        if (usersHere.has(address)) gather(address, [receipt]);
        if (!options.clustered) continue;
        makeRoom(receiptChars(receipt) + address.length + 8, 0, 1);
        const last = receipts[receipts.length - 1];
        if (last?.[0] === address) last[1].push(receipt);
        else receipts.push([address, [receipt]]);
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

/** The characters of a receipt's JSON in a bundle, near enough: its strings, keys and punctuation (escaped once more), and a seq. */
const receiptChars = (r: Receipt) => r.conversationId.length + r.address.length + r.type.length + 80;

/** What the other nodes learn from an event: its seq, and its sender when it is a message. */
const learntFrom = (event: PushPayload<'event'>): Learnt => [event.conversationId, event.seq, event.type === 'message' ? event.sender : null];

/** A bundle's shape, checked without parsing the payloads (delivered as they came, like any push). */
function isBundle(raw: unknown): raw is Bundle {
  if (typeof raw !== 'object' || raw === null) return false;
  const { pushes, receipts } = raw as Partial<Bundle>;
  return (
    Array.isArray(pushes) &&
    Array.isArray(receipts) &&
    pushes.every(
      (p) =>
        Array.isArray(p) &&
        (p.length === 3 || (p.length === 4 && Array.isArray(p[3]) && p[3].length === 3)) &&
        typeof p[0] === 'string' &&
        typeof p[1] === 'string' &&
        typeof p[2] === 'string',
    ) &&
    receipts.every((r) => Array.isArray(r) && r.length === 2 && typeof r[0] === 'string' && typeof r[1] === 'string')
  );
}
