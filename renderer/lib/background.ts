// Work a handler starts and does not wait on (a click, a key, a watcher). The stores and dialogs turn
// the failures people should see into state; a rejection that still gets here is a bug, so it is
// reported on the console rather than dropped (`void promise` hid those).
export function background(work: Promise<unknown>): void {
  work.catch(reportBug);
}

export function reportBug(error: unknown): void {
  // eslint-disable-next-line no-console -- the page's only log is the devtools console
  console.error('[parley] unexpected failure', error);
}
