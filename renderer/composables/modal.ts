// What the app's modal dialogs share: a <dialog> shown while `open` is true, and one request at a
// time with its error shown in the dialog.
import { ref, watch, type Ref } from 'vue';
import { errorText } from '../lib/errors';

/** Shows the dialog modally while `open` is true; `reset` runs each time it opens, before it shows. */
export function useModal(dialog: Ref<HTMLDialogElement | null>, open: Ref<boolean>, reset: () => void): void {
  watch(
    open,
    (isOpen) => {
      if (!isOpen) return dialog.value?.close();
      reset();
      dialog.value?.showModal();
    },
    { flush: 'post' },
  );
}

/** A request the dialog waits on: `busy` while it runs, `error` when it failed. */
export function useDialogRequest() {
  const busy = ref(false);
  const error = ref<string | null>(null);
  async function run(request: () => Promise<void>): Promise<void> {
    busy.value = true;
    error.value = null;
    try {
      await request();
    } catch (e) {
      error.value = errorText(e);
    } finally {
      busy.value = false;
    }
  }
  return { busy, error, run };
}
