/** The simulated Espruino runtime: boards that run firmware bundle text on the simulator's virtual clock. */
export {
  createEspruinoBoard,
  type ConsoleLine,
  type EspruinoBoard,
  type EspruinoBoardOptions,
  type PinView,
  type ResetReason,
  type WatchdogState,
} from './board.ts';
export { BOARDS, boardProfile, type BoardName, type BoardProfile } from './boards.ts';
export type { PowerStatesView } from './power-states.ts';
export { RESET_CAUSE_ADDRESS } from './reset-register.ts';
export { FlashImage } from './storage.ts';
export type { SerialPortView, UartConfig } from './serial.ts';
export type { I2CBusView, I2CConfig } from './i2c.ts';
export type { SPIBusView, SPIConfig, SPIDevice } from './spi.ts';
export type { PinListener, PinMode } from './pins.ts';
