/**
 * One measurement cycle of the ranger: borrow its UART, switch its supply on, collect `count` frames, switch it off.
 * Both drivers listen at once and the first part heard is the one fitted (MaxBotix frames are ASCII `R####\r`,
 * A01NYUB frames start with 0xFF: neither parses as the other), so one bundle serves either part.
 */
import { ranger as rangerWiring } from 'stadtsensor:board';
import { A01NYUB } from '../../drivers/ranger/a01nyub.ts';
import { MAXBOTIX } from '../../drivers/ranger/maxbotix.ts';
import type { RangeStatus, RangerPart } from '../../drivers/ranger/ranger.ts';
import type { RangerLease } from './shared-uart.ts';
import { READINGS, type RawReadings } from './water-logic.ts';

/** Power-up (A01NYUB ~0.5 s) plus nine range cycles (MaxBotix ~148 ms each), with margin. */
const CYCLE_TIMEOUT_MS = 3000;

/** busy: the modem took the UART back; silent: no frame at all (no sensor, broken cable, no supply). */
export type CycleError = 'busy' | 'silent';

export function rangerCycle(lease: RangerLease, done: (err: CycleError | null, raw: RawReadings, part: RangerPart | null) => void): void {
  const power = (global as unknown as Record<string, Pin>)[rangerWiring!.power]!;
  const raw: RawReadings = { ok: [], noTarget: 0, tooClose: 0 };
  let part: RangerPart | null = null;
  let timer: unknown;
  let finished = false;

  function finish(err: CycleError | null): void {
    if (finished) return;
    finished = true;
    // Espruino throws on clearing a timeout that already ran
    if (timer !== undefined) clearTimeout(timer as number);
    digitalWrite(power, 0);
    if (err !== 'busy') lease.giveBack();
    done(err, raw, part);
  }

  function reading(from: RangerPart): (status: RangeStatus, mm: number) => void {
    return (status, mm) => {
      if (part && part !== from) return;
      part = from;
      if (status === 'ok') raw.ok.push(mm);
      else if (status === 'noTarget') raw.noTarget++;
      else raw.tooClose++;
      if (raw.ok.length + raw.noTarget + raw.tooClose >= READINGS) finish(null);
    };
  }

  const parsers = [MAXBOTIX.parser(reading(MAXBOTIX)), A01NYUB.parser(reading(A01NYUB))];
  lease.borrow(
    (data) => {
      parsers[0]!.feed(data);
      parsers[1]!.feed(data);
    },
    () => {
      digitalWrite(power, 1);
      timer = setTimeout(() => {
        timer = undefined;
        finish(part ? null : 'silent');
      }, CYCLE_TIMEOUT_MS);
    },
    () => finish('busy'),
  );
}
