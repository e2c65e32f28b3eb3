/**
 * Group commit: work queued within one event-loop turn (the frames of one serial read, a burst from a network
 * server) runs in one transaction, so a burst costs one fsync instead of one per frame. Each job runs in its own
 * savepoint (a failing job undoes only itself) and its promise settles only after the commit: a frame counts as
 * received, and may be acknowledged, only once it is on disk.
 *
 * With synchronous=FULL one commit costs an fsync (about 0.2-2 ms on an SSD, more on an SD card), which bounds
 * frame-by-frame commits to a few hundred to a few thousand frames per second; batches lift that to >10,000.
 */
import type { SqliteOutbox } from './sqlite-outbox.ts';

interface Job {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit {
  readonly #outbox: Pick<SqliteOutbox, 'transaction'>;
  readonly #maxBatch: number;
  #queue: Job[] = [];
  #scheduled = false;

  /** maxBatch bounds one transaction, so a huge burst does not hold the write lock (and memory) for long. */
  constructor(outbox: Pick<SqliteOutbox, 'transaction'>, maxBatch = 500) {
    this.#outbox = outbox;
    this.#maxBatch = maxBatch;
  }

  /** Runs fn inside the next group transaction; settles with its result after the commit. */
  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ run: fn, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    while (this.#queue.length > 0) {
      const jobs = this.#queue.splice(0, this.#maxBatch);
      const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
      try {
        this.#outbox.transaction(() => {
          for (const job of jobs) {
            try {
              // a nested transaction is a savepoint: a job that throws undoes only its own writes
              outcomes.push({ ok: true, value: this.#outbox.transaction(job.run) });
            } catch (error) {
              outcomes.push({ ok: false, error });
            }
          }
        });
      } catch (error) {
        // the commit itself failed (disk full, I/O error): nothing of this batch is stored
        for (const job of jobs) job.reject(error);
        continue;
      }
      jobs.forEach((job, i) => {
        const outcome = outcomes[i];
        if (outcome?.ok) job.resolve(outcome.value);
        else job.reject(outcome?.error);
      });
    }
  }
}
