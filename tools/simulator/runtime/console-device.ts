/**
 * Where Espruino's REPL (the console) is, as src/jsinteractive.c decides it. The preferred device is the board's host
 * link while one is connected (USB on the Pico, a Bluetooth central on the nRF52 boards) and DEFAULT_CONSOLE_DEVICE
 * otherwise, Serial1 on every board here. Connecting and disconnecting move the console there
 * (targets/nrf5x/bluetooth.c BLE_GAP_EVT_CONNECTED/DISCONNECTED, targets/stm32/jshardware.c jshIdle) unless a
 * `setConsole(true)` forced it. A node in the field has neither link, so its console is Serial1: the UART its
 * modem or ranger is on, unless the firmware forces the console away.
 *
 * While the console is on a UART, jsiIdle hands that UART's received bytes to the REPL, not to its 'data' listeners
 * ("don't allow us to read data when the device is our console device"); the REPL echoes them (running them as
 * code is not modelled), and everything printed goes out on the UART's TX.
 * Not modelled: the console moving to a UART that was not set up sets it up on its default pins.
 */

export interface ConsoleProfile {
  readonly family: 'nrf52' | 'stm32f4';
  /** DEFAULT_CONSOLE_DEVICE in Espruino's boards/*.py. */
  readonly defaultConsole: string;
  /** The link a computer connects over: 'Bluetooth' (nRF52) or 'USB'. */
  readonly hostConsole: string;
}

export class ConsoleDevice {
  private current: string;
  private forced = false;
  private hostConnected = false;

  constructor(private readonly profile: ConsoleProfile) {
    this.current = profile.defaultConsole;
  }

  /** The device name the console is on (`Serial1`, `Bluetooth`, `USB`, `LoopbackA`, ...). */
  get device(): string {
    return this.current;
  }

  get isForced(): boolean {
    return this.forced;
  }

  get isHostConnected(): boolean {
    return this.hostConnected;
  }

  /** jsiGetPreferredConsoleDevice(). */
  preferred(): string {
    return this.hostConnected ? this.profile.hostConsole : this.profile.defaultConsole;
  }

  /** Serial.setConsole(force), E.setConsole(device, {force}). */
  set(device: string, force: boolean): void {
    this.forced = force;
    this.current = device;
  }

  /** A USB cable plugged in or out, a Bluetooth central connected or gone. */
  setHostConnected(connected: boolean): void {
    if (connected === this.hostConnected) return;
    this.hostConnected = connected;
    if (this.forced) return;
    if (connected) this.current = this.profile.hostConsole;
    // the nRF52 port moves the console back whatever it is on; the STM32 port only when it is on USB
    else if (this.profile.family === 'nrf52' || this.current === this.profile.hostConsole) this.current = this.profile.defaultConsole;
  }

  /**
   * A new run of the interpreter. Every start clears the forced flag (jsiSemiInit keeps only JSIS_SOFTINIT_MASK);
   * reset() and load() leave the console where it is, a hardware reset starts it on the preferred device. That reset
   * restarts an nRF52's radio, which drops a Bluetooth connection; a USB cable stays plugged in.
   */
  startRun(hardware: boolean): void {
    this.forced = false;
    if (!hardware) return;
    if (this.profile.family === 'nrf52') this.hostConnected = false;
    this.current = this.preferred();
  }
}
