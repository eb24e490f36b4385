// A floating panel (a message's menu, the emoji picker) opened at a point: drawn in <body> by its
// owner (a Teleport: the message list's rows are transformed, which would trap a fixed position),
// kept inside the window, and closed by a press outside it, a scroll under it or a resize.
import { onMounted, onScopeDispose, type Ref } from 'vue';
import { useWindowListener } from './window';

/** Where a popover opens: a point (a right click), or under an element (a button, a focused message). */
export interface PopoverAt {
  x: number;
  y: number;
}

const MARGIN = 8;

export function usePopover(panel: Ref<HTMLElement | null>, at: () => PopoverAt, close: () => void): void {
  onMounted(() => {
    const el = panel.value;
    if (!el) return;
    const { width, height } = el.getBoundingClientRect();
    const { x, y } = at();
    // Set through the CSSOM, which the CSP's style-src allows (a style attribute it would not).
    el.style.left = `${Math.max(MARGIN, Math.min(x, window.innerWidth - width - MARGIN))}px`;
    el.style.top = `${y + height > window.innerHeight - MARGIN ? Math.max(MARGIN, y - height) : y}px`;
  });
  const outside = (event: Event) => !(event.target instanceof Node && panel.value?.contains(event.target));
  useWindowListener('pointerdown', (event) => {
    if (outside(event)) close();
  });
  useWindowListener('resize', close);
  const onScroll = (event: Event) => {
    if (outside(event)) close();
  };
  // Capturing: a scroll of any box (the message list) reaches it.
  window.addEventListener('scroll', onScroll, true);
  onScopeDispose(() => window.removeEventListener('scroll', onScroll, true));
}
