// One conversation's history as people make it once message actions exist (issue 14): of every 100
// events, 80 messages (one in ten a reply, one in twenty mentioning someone), 10 reactions added, 2
// taken back, 6 edits and 2 deletes for everyone. Actions land mostly on the last few messages,
// sometimes on any older one; an edit or a delete is its message's sender's own, and nothing acts on
// a deleted message (the server refuses that). Deterministic for a seed, and lazy: the caller takes
// as many events as it wants (bench:catchup a count of events, bench:startup a count of messages),
// event i having seq i + 1.
import { prng } from './load.js';

export type MixEvent =
  | { type: 'message'; sender: string; body: string; replyTo?: { seq: number; sender: string; quote: string }; mentions?: string[] }
  | { type: 'revise'; sender: string; target: number; body: string }
  | { type: 'delete'; sender: string; target: number }
  | { type: 'react'; sender: string; target: number; emoji: string; on: boolean };

export interface MixOptions {
  seed: number;
  /** Who writes and reacts, the first the most often (weights 1/rank). */
  senders: readonly string[];
  /** A message's text: its seq, and how many times it was edited (0: as sent). */
  body: (seq: number, edits: number) => string;
  /** Who sends the message at this seq (default: one of `senders`, by weight). */
  messageSender?: (seq: number) => string;
}

export const EMOJI = ['👍', '❤️', '😂', '🎉', '😮', '🙏', '👀', '🔥'];
/** The share of each kind, cumulative, in this order. */
const SHARES = { message: 0.8, react: 0.9, unreact: 0.92, revise: 0.98, delete: 1 };
/** Actions and replies go to one of the newest RECENT messages nine times in ten. */
const RECENT = 20;

interface Live {
  seq: number;
  sender: string;
  edits: number;
}

export function* mixEvents({ seed, senders, body, messageSender }: MixOptions): Generator<MixEvent> {
  const random = prng(seed);
  const weights = senders.map((_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const pickSender = () => {
    let r = random() * total;
    for (let i = 0; i < senders.length; i++) if ((r -= weights[i]!) < 0) return senders[i]!;
    return senders.at(-1)!;
  };
  // Messages not deleted, oldest first; reactions standing, as "target sender emoji" keys, newest last.
  const live: Live[] = [];
  const reactions: string[] = [];
  const standing = new Set<string>();
  const pickIndex = (): number =>
    random() < 0.9 ? live.length - 1 - Math.floor(random() * Math.min(RECENT, live.length)) : Math.floor(random() * live.length);
  const pickTarget = (): Live => live[pickIndex()]!;
  for (let seq = 1; ; seq++) {
    const r = random();
    if (live.length === 0 || r < SHARES.message) {
      const sender = messageSender?.(seq) ?? pickSender();
      const event: MixEvent = { type: 'message', sender, body: body(seq, 0) };
      if (live.length > 0 && random() < 0.1) {
        const target = pickTarget();
        event.replyTo = { seq: target.seq, sender: target.sender, quote: body(target.seq, target.edits) };
      }
      if (random() < 0.05) {
        const others = senders.filter((s) => s !== sender);
        event.mentions = [others[Math.floor(random() * others.length)]!];
      }
      live.push({ seq, sender, edits: 0 });
      yield event;
    } else if (r < SHARES.unreact && (r < SHARES.react || reactions.length === 0)) {
      const target = pickTarget();
      const sender = pickSender();
      const emoji = EMOJI[Math.floor(random() * EMOJI.length)]!;
      const key = `${target.seq} ${sender} ${emoji}`;
      // Tapping a chip already mine takes it back.
      const on = !standing.has(key);
      if (on) (standing.add(key), reactions.push(key));
      else standing.delete(key);
      yield { type: 'react', sender, target: target.seq, emoji, on };
    } else if (r < SHARES.unreact) {
      // A reaction taken back, one of the newest standing (skipping those whose message went).
      const key = reactions.splice(reactions.length - 1 - Math.floor(random() * Math.min(RECENT, reactions.length)), 1)[0]!;
      const [target, sender, emoji] = key.split(' ') as [string, string, string];
      if (!standing.delete(key)) {
        seq--;
        continue;
      }
      yield { type: 'react', sender, target: Number(target), emoji, on: false };
    } else if (r < SHARES.revise) {
      const target = pickTarget();
      target.edits++;
      yield { type: 'revise', sender: target.sender, target: target.seq, body: body(target.seq, target.edits) };
    } else {
      const [target] = live.splice(pickIndex(), 1) as [Live];
      for (const emoji of EMOJI) for (const sender of senders) standing.delete(`${target.seq} ${sender} ${emoji}`);
      yield { type: 'delete', sender: target.sender, target: target.seq };
    }
  }
}

/** What a history of these events leaves, to check a store against. */
export interface MixSummary {
  events: number;
  messages: number;
  /** Replies not deleted (a tombstone keeps no reply target). */
  replies: number;
  revises: number;
  deletes: number;
  reacts: number;
  /** Distinct messages edited and not deleted. */
  edited: number;
  /** (message, person, emoji) reactions standing on messages not deleted. */
  reactionsOn: number;
}

/** Counts one conversation's events as they go by, from seq 1 (its history is never held). */
export function tally() {
  const s: MixSummary = { events: 0, messages: 0, replies: 0, revises: 0, deletes: 0, reacts: 0, edited: 0, reactionsOn: 0 };
  const edited = new Set<number>();
  const replies = new Set<number>();
  const deleted = new Set<number>();
  const on = new Map<string, boolean>();
  return {
    add(e: MixEvent): void {
      s.events++;
      if (e.type === 'message') (s.messages++, e.replyTo && replies.add(s.events));
      else if (e.type === 'revise') (s.revises++, edited.add(e.target));
      else if (e.type === 'delete') (s.deletes++, deleted.add(e.target));
      else (s.reacts++, on.set(`${e.target} ${e.sender} ${e.emoji}`, e.on));
    },
    summary(): MixSummary {
      const reactionsOn = [...on].filter(([key, isOn]) => isOn && !deleted.has(Number(key.split(' ')[0]))).length;
      const replied = [...replies].filter((t) => !deleted.has(t)).length;
      return { ...s, replies: replied, edited: [...edited].filter((t) => !deleted.has(t)).length, reactionsOn };
    },
  };
}

/** Adds up summaries (of several conversations). */
export function addSummaries(a: MixSummary, b: MixSummary): MixSummary {
  return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v + b[k as keyof MixSummary]])) as unknown as MixSummary;
}
