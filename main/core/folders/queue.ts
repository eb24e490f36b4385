// The one upload queue every watched folder shares: first in, first out, at most `concurrency` jobs
// at once, so a burst of 1,000 files is not 1,000 hashes and uploads in flight.

/** A queued job, started when a slot is free; null when there is nothing to run any more (its folder was paused or removed meanwhile). */
export type QueueTask = () => Promise<void> | null;

export type UploadQueue = ReturnType<typeof createUploadQueue>;

/** `drained` is told whenever the last running job ends with nothing waiting (for whenIdle). */
export function createUploadQueue(concurrency: number, drained: () => void) {
  const waiting: QueueTask[] = [];
  let running = 0;
  let stopped = false;

  function pump(): void {
    while (!stopped && running < concurrency && waiting.length > 0) {
      const job = waiting.shift()!();
      if (!job) continue;
      running++;
      // A task settles its own outcome (the binding retries or reports it); the queue only counts.
      const done = () => {
        running--;
        pump();
        if (running === 0 && waiting.length === 0) drained();
      };
      job.then(done, done);
    }
  }

  return {
    push(task: QueueTask): void {
      waiting.push(task);
      pump();
    },
    /** Nothing waiting, nothing running. */
    idle: (): boolean => running === 0 && waiting.length === 0,
    stop(): void {
      stopped = true;
      waiting.length = 0;
    },
  };
}
