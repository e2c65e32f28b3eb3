/**
 * How long the board spent in the states that set its current between callbacks, for battery estimates
 * (tools/simulator/power): each UART set up (on an nRF52 an active UART keeps the high-speed clock running,
 * about 1 mA), `setDeepSleep(1)` in force and no UART set up (on STM32 boards only then does Espruino stop the
 * clocks: about 20 µA instead of about 11 mA), and Bluetooth advertising (nRF52: on after every boot until
 * `NRF.sleep()`). Awake time is counted by the board itself.
 */

/** Time spent in one on/off state, on the simulator's clock. */
export class StateClock {
  private since: number | undefined;
  private total = 0;

  constructor(private readonly now: () => number) {}

  set(on: boolean): void {
    const t = this.now();
    if (on && this.since === undefined) this.since = t;
    if (!on && this.since !== undefined) {
      this.total += t - this.since;
      this.since = undefined;
    }
  }

  get on(): boolean {
    return this.since !== undefined;
  }

  /** Milliseconds spent on so far (the current stretch included). */
  get ms(): number {
    return this.total + (this.since === undefined ? 0 : this.now() - this.since);
  }
}

export interface PowerStatesView {
  /** Milliseconds the UART was set up (0 for a port never set up). */
  uartOnMs(name: string): number;
  /** Milliseconds with any UART set up. */
  readonly anyUartOnMs: number;
  /** Milliseconds with setDeepSleep(1) in force and no UART set up. */
  readonly deepSleepMs: number;
  readonly bleAdvertisingMs: number;
}

export class PowerStates implements PowerStatesView {
  private readonly uarts = new Map<string, StateClock>();
  private readonly anyUart: StateClock;
  private readonly deepSleep: StateClock;
  private readonly advertising: StateClock;
  private deepSleepAllowed = false;

  constructor(private readonly now: () => number) {
    this.anyUart = new StateClock(now);
    this.deepSleep = new StateClock(now);
    this.advertising = new StateClock(now);
  }

  setUart(name: string, on: boolean): void {
    let clock = this.uarts.get(name);
    if (!clock) this.uarts.set(name, (clock = new StateClock(this.now)));
    clock.set(on);
    this.update();
  }

  setDeepSleep(on: boolean): void {
    this.deepSleepAllowed = on;
    this.update();
  }

  setAdvertising(on: boolean): void {
    this.advertising.set(on);
  }

  uartOnMs(name: string): number {
    return this.uarts.get(name)?.ms ?? 0;
  }

  get anyUartOnMs(): number {
    return this.anyUart.ms;
  }

  get deepSleepMs(): number {
    return this.deepSleep.ms;
  }

  get bleAdvertisingMs(): number {
    return this.advertising.ms;
  }

  private update(): void {
    let uartOn = false;
    for (const clock of this.uarts.values()) uartOn = uartOn || clock.on;
    this.anyUart.set(uartOn);
    this.deepSleep.set(this.deepSleepAllowed && !uartOn);
  }
}
