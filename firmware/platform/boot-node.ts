/**
 * How every sensor node starts, after its app module has set up its sensors: the watchdog, Bluetooth off, the keys
 * from Storage, the board's modem on its UART, and the node core running the app.
 */
import { nrf52 } from 'stadtsensor:board';
import { connect } from 'stadtsensor:modem';
import { startNode, type NodeApp, type NodeKeys } from '../core/node.ts';
import type { Logger } from '../drivers/at-line.ts';
import { readBatteryVolts, readKeys, readResetReason, resetModem, storage, timers } from './espruino.ts';
import type { ModemUart } from './modem-uart.ts';

/**
 * The STM32 watchdog (Pico) allows at most 26 s; the nRF52's runs for hours. Every kick wakes the board (a Pico
 * kicking every 10 s spends ~17 s a day awake on it alone), so the kicks are as rare as the chip allows, with 30 %
 * of the timeout as margin for a slow flash write.
 */
const WATCHDOG_S = nrf52 ? 600 : 25;

export interface BootedNode {
  keys: NodeKeys;
  node: ReturnType<typeof startNode>;
}

/**
 * undefined (and an error logged) when the node has no keys: it stays off the air. `withKeys` runs before the node
 * core starts, for an app that plans with the radio settings.
 */
export function bootNode(app: NodeApp, log: Logger, uart: ModemUart, withKeys?: (keys: NodeKeys) => void): BootedNode | undefined {
  E.enableWatchdog(WATCHDOG_S, false);
  setInterval(() => E.kickWatchdog(), WATCHDOG_S * 700);
  // Bluetooth advertising costs 17 µA, and it offers the REPL, which reads the keys: off (power up with the button
  // held to skip this code and reach the node over Bluetooth again).
  if (nrf52) NRF.sleep();

  const keys = readKeys();
  if (!keys) {
    log('error', 'no keys: provision the node with stadtsensor flash (Storage file ss.keys)');
    return undefined;
  }
  if (withKeys) withKeys(keys);
  const hardReset = (): void => {
    uart.open();
    resetModem();
  };
  const modem = connect(uart, timers, { log: log, hardReset: hardReset });
  const node = startNode(
    {
      modem: modem,
      timers: timers,
      now: () => getTime() * 1000,
      storage: storage,
      log: log,
      keys: keys,
      resetReason: readResetReason(),
      batteryVolts: readBatteryVolts,
      reboot: () => E.reboot(),
      idle: uart.idle,
    },
    app,
  );
  return { keys: keys, node: node };
}
