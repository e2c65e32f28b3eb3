/**
 * The build's virtual module `stadtsensor:board`: the board profile the bundle is built for
 * (hardware/boards/<board>.json), one export per field. The firmware tsconfig maps the module name to this file.
 */
import type { BoardProfile } from '../../hardware/boards/board-profile.ts';

export declare const id: BoardProfile['id'];
export declare const name: BoardProfile['name'];
export declare const mcu: BoardProfile['mcu'];
export declare const espruinoBoard: BoardProfile['espruinoBoard'];
export declare const variables: BoardProfile['variables'];
export declare const builtinAes: BoardProfile['builtinAes'];
export declare const modem: BoardProfile['modem'];
export declare const i2c: BoardProfile['i2c'];
export declare const battery: BoardProfile['battery'];
export declare const leds: BoardProfile['leds'];
export declare const rfid: BoardProfile['rfid'];
export declare const buttons: BoardProfile['buttons'];
export declare const buzzer: BoardProfile['buzzer'];
export declare const ranger: BoardProfile['ranger'];
export declare const barriers: BoardProfile['barriers'];
/** Derived by the build: the MCU is an nRF52 (mcu starts with `nRF52`). */
export declare const nrf52: boolean;
/** Derived by the build: the link the board's REPL is forced onto (HOST_CONSOLE in board-profile.ts). */
export declare const hostConsole: 'Bluetooth' | 'USB';
