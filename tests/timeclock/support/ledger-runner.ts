/**
 * The ledger service (ledger/src/ledger.ts) for the acceptance tests, started and stopped on the same store like a
 * systemd service: graceful restarts, starts while the broker is away, and a crash right after a commit, before the
 * acknowledgement is out (the process dies; its MQTT connection drops without the PUBACK). Every run opens the
 * store itself, as a new process would. The counters of all runs add up in totals().
 */
import type { ConnectionTuning } from '../../../gateway-bridge/src/output/mqtt-connection.ts';
import type { LedgerConfig } from '../../../ledger/src/config.ts';
import { Ledger, type LedgerStats } from '../../../ledger/src/ledger.ts';

export interface LedgerTotals {
  runs: number;
  crashes: number;
  batches: number;
  inserted: number;
  duplicates: number;
  conflicts: number;
  storeErrors: number;
  rejected: number;
}

export class LedgerRunner {
  readonly #runs: Ledger[] = [];
  #current: Ledger | null = null;
  #crashes = 0;

  constructor(private readonly options: { config: LedgerConfig; now: () => number; tuning: ConnectionTuning }) {}

  get current(): Ledger | null {
    return this.#current;
  }

  /** Starts a run; with waitReady, resolves once it is subscribed (the broker must be up). */
  async start(waitReady = true): Promise<Ledger> {
    if (this.#current) throw new Error('the ledger runs already');
    const ledger = await Ledger.start({ config: this.options.config, now: this.options.now, tuning: this.options.tuning });
    this.#runs.push(ledger);
    this.#current = ledger;
    if (waitReady) await ledger.ready();
    return ledger;
  }

  /**
   * A graceful stop (systemctl stop): ends the MQTT session and closes the store. Throws if Ledger.stop() has not
   * returned within `timeoutMs` (systemd would SIGKILL it after TimeoutStopSec); the run is then dropped by force,
   * so that the test can clean up.
   */
  async stop(timeoutMs = 10_000): Promise<void> {
    const ledger = this.#current;
    this.#current = null;
    if (!ledger) return;
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      ledger.stop().then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (stopped) return;
    await ledger.stop({ force: true });
    await ledger.store.close();
    throw new Error(`Ledger.stop() did not return within ${timeoutMs} ms (MQTT ${ledger.stats().batches} batches handled in this run)`);
  }

  /**
   * Crashes the running ledger right after its next commit, before that batch's ack and PUBACK go out; resolves once
   * it is gone (connection dropped, store closed as the dying process would leave it).
   */
  crashAfterNextCommit(timeoutMs = 15_000): Promise<void> {
    const ledger = this.#current;
    if (!ledger) return Promise.reject(new Error('no ledger runs'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`no batch reached the ledger within ${timeoutMs} ms: nothing to crash after`));
      }, timeoutMs);
      const off = ledger.onBatch(() => {
        off();
        clearTimeout(timer);
        this.#current = null;
        this.#crashes++;
        ledger
          .stop({ force: true })
          .then(() => ledger.store.close())
          .then(resolve, reject);
      });
    });
  }

  totals(): LedgerTotals {
    const stats: LedgerStats[] = this.#runs.map((ledger) => ledger.stats());
    const sum = (pick: (s: LedgerStats) => number): number => stats.reduce((total, s) => total + pick(s), 0);
    return {
      runs: this.#runs.length,
      crashes: this.#crashes,
      batches: sum((s) => s.batches),
      inserted: sum((s) => s.inserted),
      duplicates: sum((s) => s.duplicates),
      conflicts: sum((s) => s.conflicts),
      storeErrors: sum((s) => s.storeErrors),
      rejected: sum((s) => Object.values(s.rejected).reduce((a, b) => a + (b ?? 0), 0)),
    };
  }
}
