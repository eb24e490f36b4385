// Read means seen: which messages someone has actually looked at, and how far that moves the read mark.
//
// A row counts as seen once it has been at least half visible in the list (or covered half of it, for
// a row taller than two screens) for a short dwell while the window is focused and shown; leaving the
// view or losing the focus before the dwell is over starts it again next time.
import { watch, type Directive, type Ref } from 'vue';
import type { Message } from '../../contract/types';
import { isChat } from '../lib/conversation';

/** How long a row stays in view before it counts as seen: a glance, not a fling past it. */
export const DWELL_MS = 500;
/** Half visible is the rule; the lower thresholds only let a very tall row report how much of the list it covers. */
const THRESHOLDS = [0, 0.02, 0.1, 0.25, 0.5, 1];

/**
 * The read mark the seen messages allow: the end of the contiguous run after `readSeq` in which every
 * event is loaded and was seen, is mine, or is not a message (membership, title), or is stored but
 * not shown (a reaction, an edit, a delete: at or below `haveSeq`). Never below `readSeq`: an unseen
 * message stops it, however much was seen after it, and so does a seq not stored yet. `messages`
 * are in seq order.
 */
export function contiguousRead(readSeq: number, haveSeq: number, messages: readonly Message[], seen: ReadonlySet<number>): number {
  let mark = readSeq;
  for (let i = messages.findIndex((m) => m.seq !== null && m.seq > readSeq); i >= 0 && i < messages.length; i++) {
    const { seq } = messages[i]!;
    if (seq === null) break; // my unsent messages
    // A hole passes only inside the loaded window (a message before it is loaded) and where it is
    // stored: before the window it may be messages not loaded, past haveSeq ones still to come.
    if (seq !== mark + 1 && (i === 0 || seq - 1 > haveSeq)) break;
    if (!seen.has(seq) && messages[i]!.mine === false && isChat(messages[i]!)) break;
    mark = seq;
  }
  return mark;
}

export interface SeenOptions {
  /** The scrolling list the rows are seen in. */
  root: Readonly<Ref<HTMLElement | null>>;
  /** Someone is looking: the window is focused and shown. */
  attentive: Readonly<Ref<boolean>>;
  /** A row (its data-seq) has been in view for the dwell. */
  onSeen(seq: number): void;
}

/**
 * Watches the rows given the returned directive (`v-seen`, on an element with `data-seq`): the rows a
 * virtual list renders come and go, and each is watched while it is in the DOM.
 */
export function useSeen(options: SeenOptions): Directive<HTMLElement> {
  const rows = new Set<HTMLElement>();
  const inView = new Set<HTMLElement>();
  const dwelling = new Map<HTMLElement, ReturnType<typeof setTimeout>>();
  let observer: IntersectionObserver | null = null;

  function stopDwell(row: HTMLElement): void {
    clearTimeout(dwelling.get(row));
    dwelling.delete(row);
  }

  function startDwell(row: HTMLElement): void {
    if (dwelling.has(row) || !options.attentive.value) return;
    dwelling.set(
      row,
      setTimeout(() => {
        dwelling.delete(row);
        const seq = Number(row.dataset['seq']);
        if (inView.has(row) && options.attentive.value && seq > 0) options.onSeen(seq);
      }, DWELL_MS),
    );
  }

  function onEntries(entries: IntersectionObserverEntry[]): void {
    for (const entry of entries) {
      const row = entry.target as HTMLElement;
      const coversHalf = entry.intersectionRect.height >= 0.5 * (entry.rootBounds?.height ?? Infinity);
      if (entry.isIntersecting && (entry.intersectionRatio >= 0.5 || coversHalf)) {
        inView.add(row);
        startDwell(row);
      } else {
        inView.delete(row);
        stopDwell(row);
      }
    }
  }

  watch(
    options.root,
    (root, _, onCleanup) => {
      if (!root) return;
      const watching = new IntersectionObserver(onEntries, { root, threshold: THRESHOLDS });
      for (const row of rows) watching.observe(row);
      observer = watching;
      onCleanup(() => {
        watching.disconnect();
        observer = null;
        inView.clear();
        for (const row of [...dwelling.keys()]) stopDwell(row);
      });
    },
    { immediate: true },
  );

  watch(options.attentive, (attentive) => {
    if (attentive) for (const row of inView) startDwell(row);
    else for (const row of [...dwelling.keys()]) stopDwell(row);
  });

  return {
    mounted(row) {
      rows.add(row);
      observer?.observe(row);
    },
    beforeUnmount(row) {
      rows.delete(row);
      inView.delete(row);
      stopDwell(row);
      observer?.unobserve(row);
    },
  };
}
