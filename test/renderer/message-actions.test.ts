// Message actions in the app against the fake host: the menu (mouse and keyboard), reply, edit,
// delete, reactions and the emoji picker, @ mentions, and how messages draw their Markdown,
// tombstones and edits.
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Message } from '../../contract/types';
import ConversationListItem from '../../renderer/components/ConversationListItem.vue';
import MessageText from '../../renderer/components/message/MessageText.vue';
import { useConversationsStore } from '../../renderer/stores/conversations';
import { useMessagesStore } from '../../renderer/stores/messages';
import { useSessionStore } from '../../renderer/stores/session';
import { mountApp, unmountApp } from './app-harness';
import { installFake, withStores } from './fake-bridge';
import { NOW, type FakeOptions, type FakeParley } from './fake-parley';

vi.mock('../../renderer/bridge', () => import('./fake-bridge'));

let fake: FakeParley;

async function launch(options?: FakeOptions): Promise<VueWrapper> {
  fake = installFake(options);
  return mountApp();
}

afterEach(unmountApp);

const messageEl = (app: VueWrapper, id: string) => app.get(`[data-testid=message][data-message-id="${id}"]`);
const menu = () => document.querySelector<HTMLElement>('[data-testid=message-menu]');
const menuItems = () => [...(menu()?.querySelectorAll<HTMLElement>('[role=menuitem]') ?? [])].map((b) => b.textContent!.trim());
const composer = (app: VueWrapper) => app.get<HTMLTextAreaElement>('[data-testid=composer]');

function key(target: Element, name: string, init: KeyboardEventInit = {}): void {
  target.dispatchEvent(new KeyboardEvent('keydown', { key: name, bubbles: true, cancelable: true, ...init }));
}

async function choose(action: string): Promise<void> {
  menu()!.querySelector<HTMLElement>(`[data-action=${action}]`)!.click();
  await flushPromises();
}

const BOB_2 = 'bob:mc-bob-2';
const ALICE_1 = 'alice:mc-bob-1';

describe('the message menu', () => {
  it('opens on a right click with what I may do to someone else’s message in a direct conversation', async () => {
    const app = await launch();
    await messageEl(app, BOB_2).trigger('contextmenu', { clientX: 100, clientY: 200 });
    expect(menu()?.getAttribute('role')).toBe('menu');
    expect(menuItems()).toEqual(['Reply', 'Add reaction…', 'Copy text', 'Copy link', 'Delete for me']);
    expect(document.activeElement?.textContent?.trim()).toBe('Reply');
  });

  it('offers my own message its edit and delete for everyone', async () => {
    const app = await launch();
    await messageEl(app, ALICE_1).trigger('contextmenu');
    expect(menuItems()).toEqual(['Reply', 'Add reaction…', 'Edit', 'Copy text', 'Copy link', 'Delete for me', 'Delete for everyone']);
  });

  it('lets a group’s admin delete anyone’s message for everyone', async () => {
    const app = await launch();
    await app.get('[data-testid=conversation-item][data-conversation-id=c-launch]').trigger('click');
    await flushPromises();
    await messageEl(app, 'carol:mc-launch-2').trigger('contextmenu');
    expect(menuItems()).toContain('Delete for everyone');
  });

  it('opens from the keyboard on a focused message; arrows move, Esc closes and gives the focus back', async () => {
    const app = await launch();
    const message = messageEl(app, BOB_2).element as HTMLElement;
    message.focus();
    key(message, 'F10', { shiftKey: true });
    await flushPromises();
    expect(menu()).not.toBeNull();
    expect(document.activeElement?.textContent?.trim()).toBe('Reply');
    key(document.activeElement!, 'ArrowDown');
    expect(document.activeElement?.textContent?.trim()).toBe('Add reaction…');
    key(document.activeElement!, 'ArrowUp');
    key(document.activeElement!, 'ArrowUp');
    expect(document.activeElement?.textContent?.trim()).toBe('Delete for me');
    key(document.activeElement!, 'Escape');
    await flushPromises();
    expect(menu()).toBeNull();
    expect(document.activeElement).toBe(message);
    key(message, 'ContextMenu');
    await flushPromises();
    expect(menu()).not.toBeNull();
  });

  it('moves between messages with the arrow keys, one Tab stop for the list', async () => {
    const app = await launch();
    const tabbable = app.findAll('[data-testid=message][tabindex="0"]');
    expect(tabbable.map((m) => m.attributes('data-message-id'))).toEqual(['bob:mc-bob-3']);
    const last = tabbable[0]!.element as HTMLElement;
    last.focus();
    key(last, 'ArrowUp');
    await flushPromises();
    expect((document.activeElement as HTMLElement).dataset.messageId).toBe(BOB_2);
    expect(app.findAll('[data-testid=message][tabindex="0"]').map((m) => m.attributes('data-message-id'))).toEqual([BOB_2]);
  });

  it('copies the text, and a parley:// link to the message', async () => {
    const app = await launch();
    const write = vi.spyOn(navigator.clipboard, 'writeText').mockResolvedValue();
    await messageEl(app, BOB_2).trigger('contextmenu');
    await choose('copyText');
    await messageEl(app, BOB_2).trigger('contextmenu');
    await choose('copyLink');
    expect(write.mock.calls).toEqual([['It did. Installers are on https://files.example.com/builds.'], ['parley://conversation/c-bob/2']]);
  });
});

describe('reply', () => {
  it('shows whom I answer above the composer, sends the reply with its seq, and Esc cancels one', async () => {
    const app = await launch({ autoSend: true });
    await messageEl(app, BOB_2).trigger('contextmenu');
    await choose('reply');
    const mode = app.get('[data-testid=composer-mode]');
    expect(mode.attributes('data-mode')).toBe('reply');
    expect(mode.text()).toContain('Replying to bob'); // the fake's direct conversation names nobody
    expect(mode.text()).toContain('It did. Installers are on');
    expect(document.activeElement).toBe(composer(app).element);

    await composer(app).setValue('Great, thanks');
    await composer(app).trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(fake.callsTo('sendMessage')).toEqual([{ conversationId: 'c-bob', text: 'Great, thanks', replyTo: 2 }]);
    expect(app.find('[data-testid=composer-mode]').exists()).toBe(false);
    const quote = app.get('[data-testid=reply-quote]');
    expect(quote.text()).toContain('bob');

    await messageEl(app, BOB_2).trigger('contextmenu');
    await choose('reply');
    await composer(app).trigger('keydown', { key: 'Escape' });
    expect(app.find('[data-testid=composer-mode]').exists()).toBe(false);
  });

  it('a quote goes to the message it quotes, loading the history around it when it is not loaded', async () => {
    fake = installFake({ archiveSize: 300 });
    const archive = fake.history.get('c-archive')!;
    const target = archive[9]!;
    // In the first page (the newest 50), far from seq 10.
    archive[259] = { ...archive[259]!, replyTo: { seq: 10, sender: target.sender, text: target.body } };
    const app = await mountApp('c-archive');
    const quote = app.get('[data-testid=reply-quote]');
    expect(quote.text()).toBe('YouArchived message 10');
    expect(quote.attributes('aria-label')).toBe('Reply to You: Archived message 10. Show that message');
    await quote.trigger('click');
    await flushPromises();
    expect(fake.callsTo('readMessages')).toContainEqual({ conversationId: 'c-archive', aroundSeq: 10, limit: 100 });
    expect(app.get('.row.highlight').attributes('data-seq')).toBe('10');
  });
});

describe('edit', () => {
  it('↑ in the empty composer edits my last message in place of the draft, which comes back after', async () => {
    const app = await launch();
    await composer(app).trigger('keydown', { key: 'ArrowUp' });
    await flushPromises();
    expect(app.get('[data-testid=composer-mode]').attributes('data-mode')).toBe('edit');
    expect(composer(app).element.value).toBe('Morning! Did the build go out last night?');
    expect(composer(app).attributes('aria-label')).toBe('Edit message');
    await composer(app).setValue('Morning! Did the build go out?');
    await composer(app).trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(fake.callsTo('editMessage')).toEqual([{ messageId: ALICE_1, text: 'Morning! Did the build go out?' }]);
    expect(messageEl(app, ALICE_1).text()).toContain('Morning! Did the build go out?');
    const edited = messageEl(app, ALICE_1).get('[data-testid=edited]');
    expect(edited.attributes('title')).toBe(`Edited ${new Date(NOW).toLocaleString()}`);
    expect(composer(app).element.value).toBe('');
  });

  it('Esc gives the draft back untouched; a draft in the field means ↑ is just a key', async () => {
    const app = await launch();
    await composer(app).setValue('half a thought');
    await composer(app).trigger('keydown', { key: 'ArrowUp' });
    expect(app.find('[data-testid=composer-mode]').exists()).toBe(false);
    await messageEl(app, ALICE_1).trigger('contextmenu');
    await choose('edit');
    expect(composer(app).element.value).toBe('Morning! Did the build go out last night?');
    await composer(app).trigger('keydown', { key: 'Escape' });
    expect(composer(app).element.value).toBe('half a thought');
    expect(fake.callsTo('editMessage')).toEqual([]);
  });
});

describe('delete', () => {
  const confirmDialog = (app: VueWrapper) => app.get<HTMLDialogElement>('[data-testid=delete-for-everyone]');

  it('for everyone asks first: Cancel, focused, keeps the message', async () => {
    const app = await launch();
    await messageEl(app, ALICE_1).trigger('contextmenu');
    await choose('deleteForEveryone');
    const dialog = confirmDialog(app);
    expect(dialog.element.open).toBe(true);
    expect(dialog.attributes('role')).toBe('alertdialog');
    expect(dialog.text()).toContain('cannot be undone');
    expect(document.activeElement?.getAttribute('data-testid')).toBe('keep-message');
    await dialog.get('[data-testid=keep-message]').trigger('click');
    await flushPromises();
    expect(dialog.element.open).toBe(false);
    expect(fake.callsTo('deleteMessage')).toEqual([]);
    expect(messageEl(app, ALICE_1).attributes('data-deleted')).toBeUndefined();
  });

  it('for everyone, confirmed, leaves a tombstone that only I can delete for me, which removes it', async () => {
    const app = await launch();
    await messageEl(app, ALICE_1).trigger('contextmenu');
    await choose('deleteForEveryone');
    await confirmDialog(app).get('[data-testid=confirm-delete]').trigger('click');
    await flushPromises();
    expect(confirmDialog(app).element.open).toBe(false);
    expect(fake.callsTo('deleteMessage')).toEqual([{ messageId: ALICE_1, forEveryone: true }]);
    const tombstone = messageEl(app, ALICE_1);
    expect(tombstone.attributes('data-deleted')).toBe('true');
    expect(tombstone.get('[data-testid=tombstone]').text()).toBe('This message was deleted');
    expect(tombstone.find('.message-text').exists()).toBe(false);
    await tombstone.trigger('contextmenu');
    expect(menuItems()).toEqual(['Delete for me']);
    await choose('deleteForMe');
    expect(fake.callsTo('deleteMessage').at(-1)).toEqual({ messageId: ALICE_1, forEveryone: false });
    expect(app.find(`[data-message-id="${ALICE_1}"]`).exists()).toBe(false);
  });

  it('shows the host’s refusal in the dialog, which stays open', async () => {
    const app = await launch();
    const { BridgeError } = await import('../../contract/api');
    fake.override('deleteMessage', () => {
      throw new BridgeError('forbidden', 'only your own messages can be deleted for everyone');
    });
    await messageEl(app, ALICE_1).trigger('contextmenu');
    await choose('deleteForEveryone');
    await confirmDialog(app).get('[data-testid=confirm-delete]').trigger('click');
    await flushPromises();
    expect(confirmDialog(app).element.open).toBe(true);
    expect(confirmDialog(app).get('[role=alert]').text()).toBe('Only your own messages can be deleted for everyone');
  });
});

describe('reactions', () => {
  it('are chips with counts, pressed when mine, naming who reacted; a click toggles mine', async () => {
    const app = await launch();
    fake.emit('messageChanged', { ...fake.history.get('c-bob')![1]!, reactions: [{ emoji: '👍', count: 2, mine: true, by: ['bob', 'alice'] }, { emoji: '🎉', count: 1, mine: false, by: ['bob'] }] });
    await flushPromises();
    const chips = messageEl(app, BOB_2).findAll('[data-testid=reaction]');
    expect(chips.map((c) => [c.attributes('data-emoji'), c.text(), c.attributes('aria-pressed'), c.attributes('title')])).toEqual([
      ['👍', '👍2', 'true', 'bob, You'],
      ['🎉', '🎉1', 'false', 'bob'],
    ]);
    expect(chips[0]!.attributes('aria-label')).toBe('👍 2: bob, You');
    await chips[1]!.trigger('click');
    await flushPromises();
    expect(fake.callsTo('react')).toEqual([{ messageId: BOB_2, emoji: '🎉', on: true }]);
    expect(messageEl(app, BOB_2).get('[data-emoji="🎉"]').attributes('aria-pressed')).toBe('true');
  });

  it('come from the picker: search, Enter picks the first match, and it is first among the recently used next time', async () => {
    const app = await launch();
    await messageEl(app, BOB_2).trigger('mouseenter');
    await app.get('[data-testid=action-react]').trigger('click');
    const picker = document.querySelector<HTMLElement>('[data-testid=emoji-picker]')!;
    expect(picker.getAttribute('aria-label')).toBe('Choose an emoji');
    const search = picker.querySelector<HTMLInputElement>('[data-testid=emoji-search]')!;
    expect(document.activeElement).toBe(search);
    // The emoji data is its own chunk, loaded as the first picker opens.
    await vi.waitFor(() => expect(picker.querySelectorAll('[data-testid=emoji-option]').length).toBeGreaterThan(1000), { timeout: 10_000 });
    search.value = 'thumbs up';
    search.dispatchEvent(new Event('input'));
    await flushPromises();
    const found = [...picker.querySelectorAll<HTMLElement>('[data-testid=emoji-option]')].map((b) => b.getAttribute('aria-label'));
    expect(found[0]).toBe('thumbs up');
    key(search, 'Enter');
    await flushPromises();
    expect(fake.callsTo('react')).toEqual([{ messageId: BOB_2, emoji: '👍', on: true }]);
    expect(document.querySelector('[data-testid=emoji-picker]')).toBeNull();
    expect(messageEl(app, BOB_2).get('[data-emoji="👍"]').attributes('aria-pressed')).toBe('true');

    // Again, from the chips' own button: recently used first; arrows move in the grid, Esc closes.
    await messageEl(app, BOB_2).get('[data-testid=reaction-add]').trigger('click');
    const again = document.querySelector<HTMLElement>('[data-testid=emoji-picker]')!;
    await vi.waitFor(() => expect(again.querySelector('h3')?.textContent).toBe('Recently used'), { timeout: 10_000 });
    const field = again.querySelector<HTMLInputElement>('[data-testid=emoji-search]')!;
    key(field, 'ArrowDown');
    await flushPromises();
    expect(document.activeElement?.textContent?.trim()).toBe('👍');
    expect(document.activeElement?.getAttribute('tabindex')).toBe('0');
    key(document.activeElement!, 'ArrowDown');
    await flushPromises();
    expect(document.activeElement?.getAttribute('data-cell')).toBe('1-0');
    key(document.activeElement!, 'ArrowRight');
    await flushPromises();
    expect(document.activeElement?.getAttribute('data-cell')).toBe('1-1');
    key(document.activeElement!, 'Escape');
    await flushPromises();
    expect(document.querySelector('[data-testid=emoji-picker]')).toBeNull();
    expect(JSON.parse(localStorage.getItem('parley.recentEmoji')!)).toEqual(['👍']);
  });
});

describe('@ mentions', () => {
  it('offer the participants as I type, insert @address, and Esc closes the list', async () => {
    const app = await launch();
    await app.get('[data-testid=conversation-item][data-conversation-id=c-launch]').trigger('click');
    await flushPromises();
    const box = composer(app);
    box.element.value = 'ask @';
    box.element.setSelectionRange(5, 5);
    await box.trigger('input');
    expect(app.findAll('[data-testid=mention-option]').map((o) => o.text())).toEqual(['bob@bob', 'carol@carol']);
    box.element.value = 'ask @ca';
    box.element.setSelectionRange(7, 7);
    await box.trigger('input');
    const options = app.findAll('[data-testid=mention-option]');
    expect(options.map((o) => o.text())).toEqual(['carol@carol']);
    expect(box.attributes('aria-activedescendant')).toBe(options[0]!.attributes('id'));
    await box.trigger('keydown', { key: 'Tab' });
    await flushPromises();
    expect(box.element.value).toBe('ask @carol ');
    expect(app.find('[data-testid=mention-list]').exists()).toBe(false);

    box.element.value = 'ask @carol and @b';
    box.element.setSelectionRange(17, 17);
    await box.trigger('input');
    expect(app.findAll('[data-testid=mention-option]')).toHaveLength(1);
    await box.trigger('keydown', { key: 'Escape' });
    expect(app.find('[data-testid=mention-list]').exists()).toBe(false);
    await box.trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(fake.callsTo('sendMessage')).toEqual([{ conversationId: 'c-launch', text: 'ask @carol and @b' }]);
  });

  it('the list marks a conversation where I am mentioned with an @', async () => {
    fake = installFake();
    await useSessionStore().load();
    await useConversationsStore().load();
    const summary = { ...fake.conversations.get('c-launch')!, mentions: 1 };
    const item = mount(ConversationListItem, { ...withStores(), props: { conversation: summary, selected: false, now: NOW } });
    expect(item.get('[data-testid=mention-marker]').text()).toBe('@ you were mentioned');
    await item.setProps({ conversation: { ...summary, mentions: 0 } });
    expect(item.find('[data-testid=mention-marker]').exists()).toBe(false);
  });
});

describe('message text', () => {
  const draw = (text: string, mentions: string[] = []) => {
    fake = installFake();
    useSessionStore().apply({ state: 'signedIn', me: 'alice', serverUrl: '', demoUsers: [], connection: { state: 'online' } });
    return mount(MessageText, { ...withStores(), props: { text, mentions } });
  };

  it('formats the Markdown subset: bold, italic, strike, code, code blocks, quotes, lists, links', () => {
    const text = draw('**bold** _it_ ~~gone~~ `x = 1`\n\n```\nconst y = 2;\n```\n\n> said\n\n- one\n- two\n\n3. three\n\nsee www.example.com or mail a@b.co');
    expect(text.get('strong').text()).toBe('bold');
    expect(text.get('em').text()).toBe('it');
    expect(text.get('s').text()).toBe('gone');
    expect(text.get('p code').text()).toBe('x = 1');
    expect(text.get('pre code').text()).toBe('const y = 2;');
    expect(text.get('blockquote').text()).toBe('said');
    expect(text.findAll('ul li').map((li) => li.text())).toEqual(['one', 'two']);
    expect(text.get('ol').attributes('start')).toBe('3');
    expect(text.findAll('a').map((a) => [a.text(), a.attributes('href'), a.attributes('target'), a.attributes('rel')])).toEqual([
      ['www.example.com', 'http://www.example.com/', '_blank', 'noopener noreferrer'],
      ['a@b.co', 'mailto:a@b.co', '_blank', 'noopener noreferrer'],
    ]);
  });

  it('keeps hostile input as text: no HTML, no script links, bounded nesting', () => {
    const hostile = draw('<script>alert(1)</script><img src=x onerror=alert(1)> [x](javascript:alert(1)) javascript:alert(2) [y](JaVaScRiPt:alert(3)) <a href="javascript:alert(4)">z</a>');
    expect(hostile.find('script').exists()).toBe(false);
    expect(hostile.find('img').exists()).toBe(false);
    expect(hostile.find('a').exists()).toBe(false);
    expect(hostile.text()).toContain('<script>alert(1)</script>');
    expect(hostile.text()).toContain('x javascript:alert(2) y <a href="javascript:alert(4)">z</a>');
    expect(hostile.findAll('[href], [src], [onerror]')).toEqual([]);

    const deep = draw(`${'> '.repeat(5000)}deep\n\n${'- '.repeat(5000)}list\n\n${'*'.repeat(5000)}x${'*'.repeat(5000)}`);
    expect(deep.findAll('blockquote').length).toBeLessThanOrEqual(20);
    expect(deep.findAll('ul').length).toBeLessThanOrEqual(20);
  });

  it('marks the people the message mentions, me most', () => {
    const text = draw('@alice and @bob, not @carol nor mail@bob', ['alice', 'bob']);
    expect(text.findAll('[data-testid=mention-me]').map((m) => m.text())).toEqual(['@alice']);
    expect(text.findAll('[data-testid=mention]').map((m) => m.text())).toEqual(['@bob']);
    expect(text.text()).toBe('@alice and @bob, not @carol nor mail@bob');
  });
});

describe('the message store', () => {
  it('follows messageChanged and messagesRemoved within the loaded window only', async () => {
    fake = installFake();
    const store = useMessagesStore();
    await store.open('c-bob');
    const edited: Message = { ...fake.history.get('c-bob')![0]!, body: 'changed', editedAt: NOW };
    store.applyChanged(edited);
    store.applyChanged({ ...edited, id: 'elsewhere', conversationId: 'c-launch' });
    expect(store.threadOf('c-bob').messages[0]).toEqual(edited);
    expect(store.threadOf('c-launch').messages).toEqual([]);
    store.applyRemoved({ conversationId: 'c-bob', ids: [edited.id] });
    expect(store.threadOf('c-bob').messages.map((m) => m.seq)).toEqual([2, 3]);
    // A delete for me the server refused: the engine sends the message back, and it takes its place again.
    store.applyChanged({ ...edited, error: 'Your delete was refused' });
    expect(store.threadOf('c-bob').messages.map((m) => m.seq)).toEqual([1, 2, 3]);
  });
});
