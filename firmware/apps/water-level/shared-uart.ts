/**
 * The modem's UART and the ranger's, which on the MDBT42Q are one: the nRF52832 has a single UART (Serial1), wired
 * to the RAK3172, and Espruino can set it up on any pins. The modem owns it while it has something to say (as in
 * the road-climate node: opened before every write, closed IDLE_MS after the node reports idle or HOLD_MS after the
 * last traffic); the ranger borrows it only while it is closed, set up on the ranger's RX pin. The TX pin stays on
 * the modem's RX line, idle high, so the modem sees a quiet line rather than a floating one. A write for the modem
 * takes the UART back at once: the ranger's cycle is abandoned (the app tries again). On a board with a UART for
 * each (the Pico: the modem on Serial2, the ranger on Serial1) nothing is shared and nothing is abandoned.
 */
import { modem as modemPins, ranger as rangerWiring } from 'stadtsensor:board';
import { MODEM_UART_HOLD_MS, MODEM_UART_IDLE_MS, type ModemUart } from '../../platform/modem-uart.ts';

const HOLD_MS = MODEM_UART_HOLD_MS;
const IDLE_MS = MODEM_UART_IDLE_MS;

export interface RangerLease {
  /** `granted` once the UART is set up for the ranger; `lost` if the modem takes it back first. */
  borrow(listener: (data: string) => void, granted: () => void, lost: () => void): void;
  giveBack(): void;
}

type Uart = Serial & { unsetup(): void };

export function sharedUart(): { modem: ModemUart; ranger: RangerLease } {
  const pins = global as unknown as Record<string, Pin>;
  const rangerPins = rangerWiring!;
  const modemSerial = pins[modemPins.serial] as unknown as Uart;
  const rangerSerial = pins[rangerPins.serial] as unknown as Uart;
  const shared = modemSerial === rangerSerial;
  const modemListeners: ((data: string) => void)[] = [];
  let modemOn = false;
  let timer: unknown;
  /** The ranger's listener and its lost callback while it holds the UART (or waits for it). */
  let holder: { listener: (data: string) => void; granted: () => void; lost: () => void } | undefined;
  let rangerOn = false;

  function sleepIfQuiet(): void {
    setDeepSleep(!modemOn && !rangerOn);
  }

  function grant(): void {
    if (!holder || rangerOn || (shared && modemOn)) return;
    rangerOn = true;
    sleepIfQuiet();
    rangerSerial.setup(rangerPins.baud, shared ? { rx: pins[rangerPins.rx], tx: pins[modemPins.tx] } : { rx: pins[rangerPins.rx] });
    holder.granted();
  }

  function closeIn(ms: number): void {
    if (timer !== undefined) clearTimeout(timer as number);
    timer = setTimeout(() => {
      timer = undefined;
      modemSerial.unsetup();
      modemOn = false;
      sleepIfQuiet();
      grant();
    }, ms);
  }

  function open(): void {
    if (!modemOn) {
      if (shared && rangerOn) {
        const lost = holder!.lost;
        holder = undefined;
        rangerOn = false;
        lost();
      }
      modemOn = true;
      sleepIfQuiet();
      modemSerial.setup(modemPins.baud, { rx: pins[modemPins.rx], tx: pins[modemPins.tx] });
    }
    closeIn(HOLD_MS);
  }

  modemSerial.on('data', (data: string) => {
    if (shared && rangerOn) {
      holder!.listener(data);
      return;
    }
    closeIn(HOLD_MS);
    for (let i = 0; i < modemListeners.length; i++) modemListeners[i]!(data);
  });
  if (!shared) rangerSerial.on('data', (data: string) => holder && rangerOn && holder.listener(data));
  open();

  return {
    modem: {
      write: (data) => {
        open();
        modemSerial.write(data);
      },
      on: (_event, listener) => modemListeners.push(listener),
      open: open,
      idle: () => closeIn(IDLE_MS),
    },
    ranger: {
      borrow: (listener, granted, lost) => {
        holder = { listener: listener, granted: granted, lost: lost };
        grant();
      },
      giveBack: () => {
        if (rangerOn) rangerSerial.unsetup();
        holder = undefined;
        rangerOn = false;
        sleepIfQuiet();
      },
    },
  };
}
