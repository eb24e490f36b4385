// A group's details panel and message info, against the fake host: opened from the header and closed
// with Esc; an admin edits the title and description, makes and removes admins, adds people found by
// search and removes members; leaving asks first; a refusal is shown; a plain member gets no admin
// controls; a channel's members and former members get a composer that says why they cannot post.
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineComponent, h } from 'vue';
import { BridgeError } from '../../contract/api';
import ConversationPane from '../../renderer/components/ConversationPane.vue';
import { useConversationDetailsStore } from '../../renderer/stores/conversation-details';
import { useConversationsStore } from '../../renderer/stores/conversations';
import { connectToHost } from '../../renderer/stores/host';
import { installFake, withStores } from './fake-bridge';
import type { FakeParley } from './fake-parley';
import { fakeLayout } from './layout';

vi.mock('../../renderer/bridge', () => import('./fake-bridge'));

let wrapper: VueWrapper | null = null;
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  vi.restoreAllMocks();
});

/** The pane of the "Launch plan" group (alice is its admin), fed by the fake host's events like the app. */
async function mountGroup(): Promise<VueWrapper> {
  fakeLayout();
  const conversations = useConversationsStore();
  const Root = defineComponent({
    setup() {
      connectToHost();
      return () => (conversations.byId['c-launch'] ? h(ConversationPane, { conversation: conversations.byId['c-launch'] }) : null);
    },
  });
  wrapper = mount(Root, { ...withStores(), attachTo: document.body });
  await flushPromises();
  return wrapper;
}

const panel = (w: VueWrapper) => w.get('[data-testid=conversation-details]');
const isOpen = (w: VueWrapper) => (panel(w).element as HTMLDialogElement).open;
const member = (w: VueWrapper, address: string) => w.find(`[data-testid=member-${address}]`);

async function openPanel(w: VueWrapper): Promise<void> {
  await w.get('[data-testid=open-details]').trigger('click');
  await flushPromises();
  expect(isOpen(w)).toBe(true);
}

async function click(w: VueWrapper, selector: string): Promise<void> {
  await w.get(selector).trigger('click');
  await flushPromises();
}

describe('conversation details', () => {
  it('open from the header as a labelled dialog and close with Esc', async () => {
    installFake();
    const w = await mountGroup();
    expect(w.get('[data-testid=open-details]').attributes('aria-label')).toBe('Group details');
    await openPanel(w);
    expect(panel(w).attributes('aria-labelledby')).toBe('details-heading');
    expect(w.get('#details-heading').text()).toBe('Group details');
    expect(w.get('[data-testid=details-title]').text()).toBe('Launch plan');
    // Esc makes the browser close a modal dialog: its close event closes the panel in the store.
    (panel(w).element as HTMLDialogElement).close();
    panel(w).element.dispatchEvent(new Event('close'));
    await flushPromises();
    expect(useConversationDetailsStore().detailsOf).toBeNull();
    expect(isOpen(w)).toBe(false);
  });

  it('let an admin edit the title and description, and the thread tells it', async () => {
    const fake = installFake();
    const w = await mountGroup();
    await openPanel(w);
    await click(w, '[data-testid=edit-details]');
    expect((w.get('[data-testid=edit-title]').element as HTMLInputElement).value).toBe('Launch plan');
    expect(document.activeElement).toBe(w.get('[data-testid=edit-title]').element);
    await w.get('[data-testid=edit-title]').setValue('Launch plan v2');
    await w.get('[data-testid=edit-description]').setValue('  Dates, owners and the checklist  ');
    await w.get('[data-testid=details-form]').trigger('submit');
    await flushPromises();
    expect(fake.callsTo('editConversation')).toEqual([{ conversationId: 'c-launch', title: 'Launch plan v2', description: 'Dates, owners and the checklist' }]);
    expect(w.get('[data-testid=details-title]').text()).toBe('Launch plan v2');
    expect(w.get('[data-testid=details-description]').text()).toBe('Dates, owners and the checklist');
    expect(document.activeElement).toBe(w.get('[data-testid=edit-details]').element);
    expect(w.findAll('[data-testid=system-message]').map((m) => m.text())).toContain('You renamed the group to “Launch plan v2” and changed the description');
    // Saving what did not change asks nothing.
    await click(w, '[data-testid=edit-details]');
    await w.get('[data-testid=details-form]').trigger('submit');
    await flushPromises();
    expect(fake.callsTo('editConversation')).toHaveLength(1);
  });

  it('list members with their roles and let an admin make admins, remove and add people', async () => {
    const fake = installFake();
    const w = await mountGroup();
    await openPanel(w);
    expect(member(w, 'alice').attributes('data-role')).toBe('admin');
    expect(member(w, 'alice').text()).toContain('(you)');
    // The only admin cannot lose the role, nor remove herself (she leaves instead).
    expect(member(w, 'alice').find('[data-testid=remove-admin]').exists()).toBe(false);
    expect(member(w, 'alice').find('[data-testid=remove-member]').exists()).toBe(false);
    expect(member(w, 'bob').get('[data-testid=remove-member]').text()).toBe('Remove bob from the group');

    await member(w, 'bob').get('[data-testid=make-admin]').trigger('click');
    await flushPromises();
    expect(fake.callsTo('setMemberRole')).toEqual([{ conversationId: 'c-launch', address: 'bob', role: 'admin' }]);
    expect(member(w, 'bob').attributes('data-role')).toBe('admin');
    // With two admins, alice may step down.
    expect(member(w, 'alice').find('[data-testid=remove-admin]').exists()).toBe(true);

    await member(w, 'carol').get('[data-testid=remove-member]').trigger('click');
    await flushPromises();
    expect(fake.callsTo('removeMembers')).toEqual([{ conversationId: 'c-launch', members: ['carol'] }]);
    expect(member(w, 'carol').exists()).toBe(false);
    expect(document.activeElement?.id).toBe('members-heading');

    await click(w, '[data-testid=add-members]');
    expect(document.activeElement).toBe(w.get('[data-testid=people-search]').element);
    await vi.waitFor(() => expect(w.find('[data-testid=person-dave]').exists()).toBe(true));
    // People already in the group are not offered.
    expect(w.find('[data-testid=person-bob]').exists()).toBe(false);
    expect(w.get('[data-testid=confirm-add]').attributes('disabled')).toBeDefined();
    await w.get('[data-testid=person-dave]').setValue(true);
    await click(w, '[data-testid=confirm-add]');
    expect(fake.callsTo('addMembers')).toEqual([{ conversationId: 'c-launch', members: ['dave'] }]);
    expect(member(w, 'dave').text()).toContain('Dave Ito');
    expect(w.find('[data-testid=confirm-add]').exists()).toBe(false);
  });

  it('show the server’s refusal', async () => {
    const fake = installFake();
    fake.override('removeMembers', () => {
      throw new BridgeError('forbidden', 'only admins remove members in a group');
    });
    const w = await mountGroup();
    await openPanel(w);
    await member(w, 'bob').get('[data-testid=remove-member]').trigger('click');
    await flushPromises();
    expect(w.get('[data-testid=details-error]').text()).toBe('Only admins remove members in a group');
    expect(w.get('[data-testid=details-error]').attributes('role')).toBe('alert');
    expect(member(w, 'bob').exists()).toBe(true);
  });

  it('ask before leaving, then keep the history and say why the composer is gone', async () => {
    const fake = installFake();
    const w = await mountGroup();
    await openPanel(w);
    await click(w, '[data-testid=leave]');
    expect(w.get('#leave-question').text()).toContain('Leave “Launch plan”? You keep the messages you have and get none after.');
    expect(w.get('#leave-question').text()).toContain('You are its only admin');
    expect(document.activeElement).toBe(w.get('[data-testid=stay]').element);
    expect(fake.callsTo('leaveConversation')).toEqual([]);
    await click(w, '[data-testid=confirm-leave]');
    expect(fake.callsTo('leaveConversation')).toEqual([{ conversationId: 'c-launch' }]);
    expect(w.get('[data-testid=not-member]').text()).toContain('You are not a member of this group any more');
    expect(w.get('[data-testid=composer-blocked]').text()).toBe('You are not a member of this group any more');
    expect(document.activeElement).toBe(w.get('[data-testid=close-details]').element);
    expect(w.find('[data-testid=composer]').exists()).toBe(false);
    expect(w.findAll('[data-testid=system-message]').map((m) => m.text())).toContain('You left');
  });

  it('give a plain member no admin controls, and a channel’s member a composer that says only admins post', async () => {
    const fake: FakeParley = installFake({ me: 'bob' });
    fake.conversations.get('c-launch')!.type = 'channel';
    const w = await mountGroup();
    expect(w.get('[data-testid=composer-blocked]').text()).toBe('Only admins can post in this channel');
    await openPanel(w);
    expect(w.get('#details-heading').text()).toBe('Channel details');
    for (const control of ['edit-details', 'add-members', 'make-admin', 'remove-admin', 'remove-member']) {
      expect(w.find(`[data-testid=${control}]`).exists(), control).toBe(false);
    }
    expect(w.get('[data-testid=leave]').text()).toBe('Leave channel');
  });
});

describe('message info', () => {
  it('lists who has read my message, who has it and who not yet, and follows their marks', async () => {
    const fake = installFake();
    const mine = fake.receive('c-launch', 'alice', 'Agenda for Friday?');
    const participants = fake.conversations.get('c-launch')!.participants;
    Object.assign(participants.find((p) => p.address === 'bob')!, { deliveredSeq: mine.seq, readSeq: mine.seq });
    const w = await mountGroup();
    const item = w.get(`[data-message-id="${mine.id}"]`);
    await item.get('[data-testid=message-info-button]').trigger('click');
    await flushPromises();
    const info = w.get('[data-testid=message-info]');
    expect((info.element as HTMLDialogElement).open).toBe(true);
    expect(info.text()).toContain('Agenda for Friday?');
    expect(info.find('[data-testid=info-read-bob]').exists()).toBe(true);
    expect(info.find('[data-testid=info-waiting-carol]').exists()).toBe(true);
    expect(info.find('[data-testid=info-delivered]').exists()).toBe(false);

    // Carol's device stores it: the engine's marks event moves her.
    fake.emit('marks', { conversationId: 'c-launch', participant: { address: 'carol', role: 'member', deliveredSeq: mine.seq!, readSeq: 0 } });
    await flushPromises();
    expect(info.find('[data-testid=info-delivered-carol]').exists()).toBe(true);
    expect(info.find('[data-testid=info-waiting]').exists()).toBe(false);
  });
});
