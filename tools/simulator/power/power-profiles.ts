/**
 * The currents of the parts of a sensor node, each with its source, and the power model of a board profile from
 * hardware/boards. Figures from shared/reference/sensors.md, the Espruino power pages, the RAK3172 and SHT3x-DIS
 * datasheets and measurements published on the RAKwireless and Seeed forums; where no published figure was found the
 * source says "assumption". The cells are in cells.ts.
 */
import type { BoardProfile } from '../../../hardware/boards/board-profile.ts';
import type { McuPower, ModemPower, PowerModel, SensorPower } from './battery-model.ts';

const ESPRUINO_POWER = 'espruino.com/Power+Consumption';

export const NRF52832: McuPower = {
  name: 'nRF52832',
  runMa: { mA: 6, source: `sensors.md and ${ESPRUINO_POWER}: 4-8 mA running JavaScript, middle of the range` },
  sleepMa: { mA: 0.003, source: `sensors.md and ${ESPRUINO_POWER}: 3 µA asleep, Bluetooth advertising off` },
  uartOnMa: { mA: 1, source: `${ESPRUINO_POWER}: nRF52 asleep with the HF clock on (USART in use) ~1 mA` },
  bleAdvertisingMa: { mA: 0.017, source: 'espruino.com/MDBT42Q: 20 µA while advertising, less the 3 µA asleep' },
};

export const STM32F401: McuPower = {
  name: 'STM32F401',
  runMa: { mA: 32, source: `${ESPRUINO_POWER}: Pico running 32 mA` },
  sleepMa: { mA: 0.02, source: `${ESPRUINO_POWER}: Pico in Stop (setDeepSleep(1)) 0.02 mA` },
  idleMa: { mA: 11, source: `${ESPRUINO_POWER}: Pico in Sleep (no deep sleep, or a UART in use) ~11 mA` },
};

/** By the profile's `espruinoBoard`. */
export const MCU_POWER: Readonly<Record<string, McuPower>> = { MDBT42Q: NRF52832, PICO_R1_3: STM32F401 };

export const RAK3172: ModemPower = {
  name: 'RAK3172',
  txMa: {
    14: {
      mA: 90,
      source:
        'forum.rakwireless.com/t/4781: about 90 mA at 14 dBm measured (RUI3 and STM32WL firmware); the module wires only ' +
        'the high-power PA, for which the STM32WLE5 datasheet (p. 69, as quoted there) gives 92 mA at 14 dBm with the PA ' +
        'set for 22 dBm, 45.5 mA set for 14 dBm; forum.seeedstudio.com/t/260126: 86 mA on the same HP-only design with ' +
        "ST's settings, 60 mA retuned. The RAK3172 datasheet gives only 87 mA at 20 dBm",
    },
  },
  rxMa: {
    mA: 8.4,
    source: 'forum.rakwireless.com/t/7754: 8.42 mA measured with RUI3 (5.37 mA with the Semtech stack; datasheet 5.22 mA "minimum")',
  },
  sleepMa: {
    mA: 0.00169,
    source: 'RAK3172 datasheet: 1.69 µA asleep (typ., 3.3 V); RUI3 sleeps by itself between commands only with AT+LPM=1',
  },
  idleMa: {
    mA: 1.5,
    source:
      'assumption: with AT+LPM=0 RUI3 keeps the STM32WLE5 (48 MHz) out of its Stop modes between commands; no measurement ' +
      'found, taken between its 1.69 µA asleep and the 5 mA assumed while handling a command',
  },
  commandMa: { mA: 5, source: 'assumption: STM32WLE5 at 48 MHz awake a few ms per AT command' },
  commandMs: 5,
};

export const SHT31: SensorPower = {
  name: 'SHT31',
  measuringMa: { mA: 0.6, source: 'SHT3x-DIS datasheet: 600 µA measuring (typ.)' },
  idleMa: { mA: 0.0002, source: 'SHT3x-DIS datasheet: 0.2 µA idle in single-shot mode (typ.)' },
  heaterMa: { mA: 3.3, source: 'assumption: about 10 mW at 3.0 V (datasheet heater power 3.6-33 mW over 2.15-5.5 V)' },
};

/** The power model of a node on `board` with `sensorCount` SHT31 sensors and the battery at `batteryVolts` (the cells: cells.ts). */
export function powerModelFor(board: BoardProfile, options: { sensorCount: number; batteryVolts: number }): PowerModel {
  const mcu = MCU_POWER[board.espruinoBoard];
  if (!mcu) throw new Error(`no power figures for Espruino board ${board.espruinoBoard}`);
  const { r1Ohms, r2Ohms } = board.battery;
  const dividerMa = (options.batteryVolts / (r1Ohms + r2Ohms)) * 1000;
  return {
    mcu,
    modem: RAK3172,
    sensor: SHT31,
    sensorCount: options.sensorCount,
    constantMa: { mA: dividerMa, source: `battery divider ${r1Ohms / 1000} k + ${r2Ohms / 1000} k at ${options.batteryVolts} V` },
  };
}
