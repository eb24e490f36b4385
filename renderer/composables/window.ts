// Small reactive views of the window and the clock, each cleaned up with the component using it.
import { onScopeDispose, readonly, ref, watch, type Ref } from 'vue';

export function useWindowListener<K extends keyof WindowEventMap>(type: K, listener: (event: WindowEventMap[K]) => void): void {
  window.addEventListener(type, listener);
  onScopeDispose(() => window.removeEventListener(type, listener));
}

/** The current time, refreshed every `everyMs`. */
export function useNow(everyMs: number): Readonly<Ref<number>> {
  const now = ref(Date.now());
  const timer = setInterval(() => (now.value = Date.now()), everyMs);
  onScopeDispose(() => clearInterval(timer));
  return readonly(now);
}

/** Whether someone is looking: the window is shown and has the focus. */
export function useWindowAttention(): Readonly<Ref<boolean>> {
  const check = () => document.visibilityState === 'visible' && document.hasFocus();
  const attentive = ref(check());
  const update = () => (attentive.value = check());
  useWindowListener('focus', update);
  useWindowListener('blur', update);
  document.addEventListener('visibilitychange', update);
  onScopeDispose(() => document.removeEventListener('visibilitychange', update));
  return readonly(attentive);
}

/** Calls back whenever the element (once rendered) changes size. */
export function useResizeObserver(target: Readonly<Ref<Element | null>>, callback: () => void): void {
  watch(target, (element, _, onCleanup) => {
    if (!element) return;
    const observer = new ResizeObserver(callback);
    observer.observe(element);
    onCleanup(() => observer.disconnect());
  });
}
