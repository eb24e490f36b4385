// happy-dom lays nothing out (every box is 0×0). The virtual message list needs a viewport and row
// heights, so give it what a browser would: a 600px list and 48px rows.
import { vi } from 'vitest';

export const VIEWPORT = 600;
export const ROW = 48;

export function fakeLayout(): void {
  const heightOf = (element: Element) =>
    element.getAttribute('data-testid') === 'message-list' ? VIEWPORT : element.hasAttribute('data-index') ? ROW : 0;
  vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockImplementation(function (this: HTMLElement) {
    return heightOf(this);
  });
  vi.spyOn(HTMLElement.prototype, 'offsetHeight', 'get').mockImplementation(function (this: HTMLElement) {
    return heightOf(this);
  });
}
