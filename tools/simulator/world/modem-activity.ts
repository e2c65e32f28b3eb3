/**
 * Watches the UART between the node's board and its RAK3172 without changing a byte, for power accounting and
 * tests: how many AT commands the module handled (and when, by name), and how long it listened in LoRa P2P receive
 * windows (`AT+PRECV=<ms>` until `+EVT:RXP2P...`, `AT+PRECV=0` or a restart). LoRaWAN receive windows are the module's own affair: they are taken
 * from the frames on the air (tools/simulator/power/node-activity.ts).
 */
import type { Scheduler, SerialDevice } from '../contracts.ts';

export class ModemActivity implements SerialDevice {
  /** Command lines the board sent to the module. */
  commands = 0;
  /** When each command arrived, by name (`AT+BAND`, `AT+SEND`; values left out: they may be keys). */
  readonly commandLog: { timeMs: number; name: string }[] = [];
  private rxOpenedAt: number | undefined;
  private rxTotalMs = 0;
  /** An AT+PRECV is waiting for its status line (an error means no window opened). */
  private precvPending = false;
  private scheduler: Scheduler | undefined;
  private fromBoard = '';
  private fromModem = '';

  constructor(private readonly modem: SerialDevice) {}

  connect(toBoard: (bytes: Uint8Array) => void, scheduler: Scheduler): void {
    this.scheduler = scheduler;
    this.modem.connect((bytes) => {
      this.fromModem = this.lines(this.fromModem, bytes, (line) => this.modemLine(line));
      toBoard(bytes);
    }, scheduler);
  }

  receive(bytes: Uint8Array): void {
    this.fromBoard = this.lines(this.fromBoard, bytes, (line) => this.boardLine(line));
    this.modem.receive(bytes);
  }

  /** Milliseconds spent in P2P receive windows so far. */
  get p2pReceiveMs(): number {
    return this.rxTotalMs + (this.rxOpenedAt === undefined ? 0 : this.now() - this.rxOpenedAt);
  }

  private now(): number {
    return this.scheduler ? this.scheduler.now() : 0;
  }

  private lines(buffer: string, bytes: Uint8Array, onLine: (line: string) => void): string {
    let text = buffer;
    for (const byte of bytes) {
      if (byte === 0x0d || byte === 0x0a) {
        if (text.trim()) onLine(text.trim());
        text = '';
      } else if (text.length < 600) text += String.fromCharCode(byte);
    }
    return text;
  }

  private boardLine(line: string): void {
    this.commands++;
    this.commandLog.push({ timeMs: this.now(), name: line.split('=')[0]!.toUpperCase() });
    const precv = /^AT\+PRECV=(\d+)$/i.exec(line);
    if (!precv) return;
    if (precv[1] === '0') this.closeReceive();
    else if (this.rxOpenedAt === undefined) {
      this.rxOpenedAt = this.now();
      this.precvPending = true;
    }
  }

  private modemLine(line: string): void {
    if (line.startsWith('+EVT:RXP2P') || line.startsWith('Current Work Mode')) this.closeReceive();
    else if (this.precvPending && line === 'OK') this.precvPending = false;
    else if (this.precvPending && line.startsWith('AT_')) {
      // refused: the radio never listened
      this.rxOpenedAt = undefined;
      this.precvPending = false;
    }
  }

  private closeReceive(): void {
    this.precvPending = false;
    if (this.rxOpenedAt === undefined) return;
    this.rxTotalMs += this.now() - this.rxOpenedAt;
    this.rxOpenedAt = undefined;
  }
}
