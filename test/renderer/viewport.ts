// happy-dom has no layout, so its IntersectionObserver never reports anything. This one lets a test
// say which rows of the message list are on screen: by seq, or every row the list renders.
import { vi } from 'vitest';

const observers = new Set<FakeIntersectionObserver>();
/** Rows reported in view as soon as they are observed (a short history that fits on screen). */
let allInView = false;

class FakeIntersectionObserver {
  readonly targets = new Set<HTMLElement>();
  constructor(private readonly callback: IntersectionObserverCallback) {
    observers.add(this);
  }
  observe(target: HTMLElement): void {
    this.targets.add(target);
    if (allInView) queueMicrotask(() => this.report([target], true));
  }
  unobserve(target: HTMLElement): void {
    this.targets.delete(target);
  }
  disconnect(): void {
    this.targets.clear();
    observers.delete(this);
  }
  takeRecords(): IntersectionObserverEntry[] {
    return [];
  }
  report(targets: Iterable<HTMLElement>, inView: boolean): void {
    const entries = [...targets].map((target) => {
      const rect = target.getBoundingClientRect();
      return { target, isIntersecting: inView, intersectionRatio: inView ? 1 : 0, intersectionRect: rect, rootBounds: null, boundingClientRect: rect, time: 0 };
    });
    if (entries.length > 0) this.callback(entries as unknown as IntersectionObserverEntry[], this as unknown as IntersectionObserver);
  }
}

/** Replaces IntersectionObserver until the mocks are restored; `everything` puts every rendered row in view. */
export function fakeViewport(options: { everything?: boolean } = {}): void {
  observers.clear();
  allInView = options.everything ?? false;
  vi.stubGlobal('IntersectionObserver', FakeIntersectionObserver);
}

/** Reports the rendered rows with these seqs as in view (or, with `inView` false, gone from it). */
export function showSeqs(seqs: readonly number[], inView = true): void {
  for (const observer of observers) {
    observer.report([...observer.targets].filter((row) => seqs.includes(Number(row.dataset['seq']))), inView);
  }
}
