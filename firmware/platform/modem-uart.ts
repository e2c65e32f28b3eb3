/**
 * The modem's UART, set up only while the modem has something to say. On an nRF52 a UART that is set up keeps the
 * high-speed clock running, about 1 mA (espruino.com/Power+Consumption): thirty times the rest of the node asleep.
 * It opens before every write and before a modem reset, and closes MODEM_UART_IDLE_MS after the node reports idle
 * (its last uplink's events are in), or MODEM_UART_HOLD_MS after the last traffic (error paths). While it is closed
 * an STM32 board (the Pico) may deep-sleep. Every app uses it (water-level through its shared UART).
 */
import { modem as modemPins } from 'stadtsensor:board';
import type { SerialPort } from '../drivers/at-line.ts';

/** Longer than the driver's longest wait for a line (60 s for a confirmed uplink). */
export const MODEM_UART_HOLD_MS = 65000;
/**
 * After the node reports idle: its last operation is over (the driver has already waited for a downlink line after
 * TX_DONE, or for the end of the P2P receive window), so only the last command's bytes may still be leaving.
 */
export const MODEM_UART_IDLE_MS = 50;

/** The port to hand the modem driver, plus `open` (before a modem reset) and `idle` (the node has nothing to send). */
export interface ModemUart extends SerialPort {
  open(): void;
  idle(): void;
}

export function modemUart(): ModemUart {
  const pins = global as unknown as Record<string, Pin>;
  const serial = pins[modemPins.serial] as unknown as Serial & { unsetup(): void };
  let on = false;
  let timer: unknown;

  function closeIn(ms: number): void {
    if (timer !== undefined) clearTimeout(timer as number);
    timer = setTimeout(() => {
      timer = undefined;
      serial.unsetup();
      on = false;
      setDeepSleep(true);
    }, ms);
  }

  function open(): void {
    if (!on) {
      setDeepSleep(false);
      serial.setup(modemPins.baud, { rx: pins[modemPins.rx], tx: pins[modemPins.tx] });
      on = true;
    }
    closeIn(MODEM_UART_HOLD_MS);
  }

  serial.on('data', () => closeIn(MODEM_UART_HOLD_MS));
  open();
  return {
    write: (data) => {
      open();
      serial.write(data);
    },
    on: (event, listener) => serial.on(event, listener),
    open: open,
    idle: () => closeIn(MODEM_UART_IDLE_MS),
  };
}
