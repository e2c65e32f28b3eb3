/**
 * The build's virtual module `stadtsensor:modem`: the driver of the modem on the board the bundle is built for
 * (the board profile's `modem.chip`; tools/firmware-build/bundle.ts maps chips to drivers). Apps import `connect`
 * from here, so the same app runs on any modem the boards carry.
 */
import type { SerialPort, Timers } from '../drivers/at-line.ts';
import type { Modem, ModemOptions } from '../drivers/modem.ts';

export declare function connect(serial: SerialPort, timers: Timers, options?: ModemOptions): Modem;
