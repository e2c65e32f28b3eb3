/**
 * Drives the acceptance scenario: people tap badges on several terminals while the test breaks things. A phase
 * books a given number of bookings: one loop taps on the terminals in the test process (one badge per event-loop
 * turn, so MQTT and the ledger keep working in between), another on the child-process terminal in lock step,
 * SIGKILLing and restarting it right after every n-th confirmation. Some taps are revoked or unknown badges. The
 * simulated clock moves forward with the progress of the phase; events (ledger restarts, broker restarts, replays)
 * start when the in-process loop reaches their share of the phase and run alongside the taps.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Badge, Workforce } from './workforce.ts';
import { nextKind } from './workforce.ts';
import type { ConfirmationLog, Intent } from './confirmation-log.ts';
import type { SimClock } from './sim-clock.ts';
import type { SimulatedTerminal } from './simulated-terminal.ts';
import type { TerminalProcess } from './terminal-process.ts';

export interface PhaseEvent {
  /** Share of the phase's in-process bookings after which it starts (0..1). */
  at: number;
  name: string;
  run: () => Promise<void>;
}

export interface PhasePlan {
  name: string;
  bookings: number;
  /** Simulated seconds the clock moves forward over the phase, on top of real time. */
  spanS: number;
  events?: PhaseEvent[];
}

export interface PhaseReport {
  name: string;
  bookings: number;
  childBookings: number;
  childKills: number;
  refusedTaps: number;
  seconds: number;
  /** Events in the order they finished, with the real time they took. */
  events: string[];
}

export interface BookingRunOptions {
  inProcess: SimulatedTerminal[];
  child: TerminalProcess;
  /** Share of each phase's bookings made on the child-process terminal. */
  childShare: number;
  /** The child is SIGKILLed after a random number of its confirmations in [min, max]. */
  killEvery: [number, number];
  /** Share of taps with a revoked or unknown badge. */
  refusalShare: number;
  workforce: Workforce;
  log: ConfirmationLog;
  clock: SimClock;
  random: () => number;
}

export class BookingRun {
  #untilKill: number;

  constructor(private readonly o: BookingRunOptions) {
    this.#untilKill = this.#killInterval();
  }

  async phase(plan: PhasePlan): Promise<PhaseReport> {
    const { o } = this;
    const started = performance.now();
    const startS = o.clock.now();
    const childQuota = Math.round(plan.bookings * o.childShare);
    const inQuota = plan.bookings - childQuota;
    const report: PhaseReport = { name: plan.name, bookings: 0, childBookings: 0, childKills: 0, refusedTaps: 0, seconds: 0, events: [] };
    const progress = (): void => o.clock.advanceTo(startS + (plan.spanS * report.bookings) / plan.bookings);

    const pending = [...(plan.events ?? [])].sort((a, b) => a.at - b.at);
    const running: Promise<void>[] = [];
    const startDue = (share: number): void => {
      while (pending.length > 0 && pending[0]!.at <= share) {
        const event = pending.shift()!;
        const eventStarted = performance.now();
        running.push(
          event.run().then(
            () => void report.events.push(`${event.name} (${Math.round(performance.now() - eventStarted)} ms)`),
            (error: Error) => {
              throw new Error(`phase ${plan.name}: ${event.name} failed: ${error.message}`, { cause: error });
            },
          ),
        );
      }
    };

    const inProcessLoop = async (): Promise<void> => {
      let done = 0;
      startDue(0);
      while (done < inQuota) {
        const terminal = o.inProcess[Math.floor(o.random() * o.inProcess.length)]!;
        if (await this.#tapOnce(terminal, report)) {
          done++;
          progress();
          startDue(done / inQuota);
        }
        await nextTurn();
      }
      startDue(1);
    };

    const childLoop = async (): Promise<void> => {
      let done = 0;
      while (done < childQuota) {
        if (!(await this.#tapOnce(o.child, report))) continue;
        done++;
        report.childBookings++;
        progress();
        if (--this.#untilKill === 0) {
          // right after the confirmation: the booking may still be unsent, in flight or unacknowledged
          await o.child.kill();
          report.childKills++;
          this.#untilKill = this.#killInterval();
          await o.child.start();
        }
      }
    };

    const loops = await Promise.allSettled([inProcessLoop(), childLoop()]);
    const events = await Promise.allSettled(running);
    const failure = [...loops, ...events].find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
    report.seconds = (performance.now() - started) / 1000;
    return report;
  }

  #killInterval(): number {
    const [min, max] = this.o.killEvery;
    return min + Math.floor(this.o.random() * (max - min + 1));
  }

  /** One person at `terminal`; returns whether a new booking was confirmed. */
  async #tapOnce(terminal: SimulatedTerminal, report: PhaseReport): Promise<boolean> {
    const { o } = this;
    let intent: Intent;
    let badge: Badge;
    if (o.random() < o.refusalShare) {
      const revoked = o.random() < 0.5;
      badge = revoked ? o.workforce.revoked : o.workforce.unknown[Math.floor(o.random() * o.workforce.unknown.length)]!;
      intent = { refusal: revoked ? 'revokedBadge' : 'unknownBadge', badge: badge.badge };
      report.refusedTaps++;
    } else {
      const member = o.workforce.staff[Math.floor(o.random() * o.workforce.staff.length)]!;
      badge = member;
      intent = { member, kind: nextKind(member, o.random) };
    }
    const kind = 'member' in intent ? intent.kind : 'come';
    const outcome = await terminal.tap(badge.uid, kind);
    const booked = o.log.record(terminal.id, outcome, intent);
    // a terminal that cannot book at all would keep the loops going forever
    if (o.log.anomalies.length >= 20) throw new Error(`the screens showed what nobody meant:\n${o.log.anomalies.join('\n')}`);
    if (booked) report.bookings++;
    return booked;
  }
}
