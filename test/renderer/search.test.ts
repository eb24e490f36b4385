// The search panel and snippets over the fake host: what a person types reaches the engine's search,
// hits are grouped by conversation with their matches marked (as text, never markup), the keyboard
// moves and opens, and empty states say what happened.
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import SnippetText from '../../renderer/components/search/SnippetText.vue';
import { useSearchStore } from '../../renderer/stores/search';
import { useConversationsStore } from '../../renderer/stores/conversations';
import { mountApp, unmountApp } from './app-harness';
import { installFake } from './fake-bridge';

vi.mock('../../renderer/bridge', () => import('./fake-bridge'));

afterEach(unmountApp);

/** Waits out the panel's debounce and the fake's answer. */
async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(400);
  await flushPromises();
}

describe('SnippetText', () => {
  it('marks the highlighted ranges and shows markup in the text as text', () => {
    const w = mount(SnippetText, { props: { snippet: { text: 'a <b>bold</b> claim about the café', highlights: [[2, 13], [30, 34]] } } });
    expect(w.findAll('mark').map((m) => m.text())).toEqual(['<b>bold</b>', 'café']);
    expect(w.find('b').exists()).toBe(false);
    expect(w.text()).toBe('a <b>bold</b> claim about the café');
  });

  it('leaves out the Markdown marks that only format, the marked words still marked', () => {
    const w = mount(SnippetText, { props: { snippet: { text: 'the **café** opens at `9:00`, ~~8~~ 2 * 3', highlights: [[6, 10], [22, 28]] } } });
    expect(w.text()).toBe('the café opens at 9:00, 8 2 * 3');
    expect(w.findAll('mark').map((m) => m.text())).toEqual(['café', '9:00']);
  });

  it('ignores ranges outside the text or overlapping an earlier one', () => {
    const w = mount(SnippetText, { props: { snippet: { text: 'short', highlights: [[0, 2], [1, 3], [3, 99]] } } });
    expect(w.findAll('mark').map((m) => m.text())).toEqual(['sh']);
    expect(w.text()).toBe('short');
  });
});

describe('search panel', () => {
  it('opens with Ctrl+Shift+F, finds as you type, and Enter opens the hit’s conversation', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const fake = installFake();
      const app = await mountApp();
      window.dispatchEvent(new KeyboardEvent('keydown', { key: 'F', ctrlKey: true, shiftKey: true }));
      await flushPromises();
      expect(useSearchStore().panelOpen).toBe(true);

      await app.get('[data-testid=search-input]').setValue('installers');
      await settle();
      expect(fake.callsTo('search').at(-1)).toEqual({ query: 'installers', limit: 30 });
      const hits = app.findAll('[data-testid=search-hit]');
      expect(hits).toHaveLength(1);
      expect(hits[0]!.find('mark').text().toLowerCase()).toBe('installers');
      const conversations = useConversationsStore();
      expect(app.findAll('.group-label').map((l) => l.text())).toEqual([conversations.titleOf(conversations.byId['c-bob']!)]);

      await app.get('[data-testid=search-input]').trigger('keydown', { key: 'Enter' });
      expect(conversations.activeId).toBe('c-bob');
      expect(useSearchStore().panelOpen).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it('says when nothing matches, and lists matching conversations first', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      installFake();
      const app = await mountApp();
      useSearchStore().panelOpen = true;
      await flushPromises();
      await app.get('[data-testid=search-input]').setValue('zebra');
      await settle();
      expect(app.get('[data-testid=search-empty]').text()).toContain('No messages match “zebra”');

      await app.get('[data-testid=search-input]').setValue('bob');
      await settle();
      const options = app.findAll('#search-results [role=option]');
      expect(options[0]!.attributes('data-testid')).toBe('search-conversation');
      expect(options[0]!.attributes('aria-selected')).toBe('true');
      await app.get('[data-testid=search-input]').trigger('keydown', { key: 'ArrowDown' });
      expect(app.findAll('#search-results [role=option]')[0]!.attributes('aria-selected')).toBe('false');
    } finally {
      vi.useRealTimers();
    }
  });
});
