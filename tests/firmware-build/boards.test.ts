import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ANALOG_PINS, BOARD_PINS, boardPins, validateBoardProfile, type BoardProfile } from '../../hardware/boards/board-profile.ts';
import { BOARDS_DIR, listBoards, loadBoard } from '../../tools/firmware-build/boards.ts';
import { boardModuleSource } from '../../tools/firmware-build/bundle.ts';
import { REPO_ROOT } from '../../tools/firmware-build/paths.ts';

const profiles = listBoards().map((id) => loadBoard(id));

/** A deep copy with one change applied. */
function changed(profile: BoardProfile, change: (copy: BoardProfile & Record<string, unknown>) => void): unknown {
  const copy = structuredClone(profile) as BoardProfile & Record<string, unknown>;
  change(copy);
  return copy;
}

describe('board profiles', () => {
  it('are the MDBT42Q and Pico boards with a RAK3172 or a RAK811, and all validate', () => {
    expect(listBoards()).toEqual(['mdbt42q-rak3172', 'mdbt42q-rak811', 'pico-rak3172', 'pico-rak811']);
    for (const profile of profiles) {
      const file = join(BOARDS_DIR, `${profile.id}.json`);
      expect(validateBoardProfile(JSON.parse(readFileSync(file, 'utf8')), profile.id), file).toEqual([]);
      expect(profile.modem.chip).toBe(profile.id.endsWith('-rak811') ? 'RAK811' : 'RAK3172');
      expect(profile.modem.baud).toBe(115200);
      // RAK3172 AT port: UART2, PA2 TX / PA3 RX (shared/reference/sensors.md); RAK811: UART1, PA9 TX / PA10 RX
      // (RAK811 module datasheet, pins 6 and 7)
      expect([profile.modem.modemTx, profile.modem.modemRx]).toEqual(profile.modem.chip === 'RAK811' ? ['PA9', 'PA10'] : ['PA2', 'PA3']);
      // neither board's Espruino build has AES (shared/reference/espruino.md)
      expect(profile.builtinAes).toBe(false);
    }
  });

  it('use no pin twice, and only pins the board has', () => {
    for (const profile of profiles) {
      const pins = boardPins(profile).map((p) => p.pin);
      expect(pins.length).toBeGreaterThanOrEqual(7);
      expect(new Set(pins).size, `${profile.id}: ${pins.join(' ')}`).toBe(pins.length);
      for (const pin of pins) expect(BOARD_PINS[profile.espruinoBoard], `${profile.id} ${pin}`).toContain(pin);
      expect(ANALOG_PINS[profile.espruinoBoard]).toContain(profile.battery.pin);
    }
  });

  it('match the variable counts of their Espruino builds', () => {
    const variables = Object.fromEntries(profiles.map((p) => [p.espruinoBoard, p.variables]));
    expect(variables).toEqual({ MDBT42Q: 2500, PICO_R1_3: 5000 });
  });
});

describe('validateBoardProfile', () => {
  const [profile] = profiles as [BoardProfile];

  it('reports a pin used twice, a pin the board lacks and a battery pin without ADC', () => {
    expect(validateBoardProfile(changed(profile, (p) => (p.i2c.sda = p.modem.rx)))).toEqual([`i2c.sda: ${profile.modem.rx} is already used by modem.rx`]);
    expect(validateBoardProfile(changed(profile, (p) => (p.leds = ['Z9'])))).toEqual([`leds[0]: Z9 is not a pin of ${profile.espruinoBoard}`]);
    const digitalOnly = BOARD_PINS[profile.espruinoBoard].find((pin) => !ANALOG_PINS[profile.espruinoBoard].includes(pin) && !boardPins(profile).some((p) => p.pin === pin));
    expect(validateBoardProfile(changed(profile, (p) => (p.battery.pin = digitalOnly ?? '')))).toEqual([
      `battery.pin: ${digitalOnly} has no ADC input on ${profile.espruinoBoard}`,
    ]);
  });

  it('reports missing, unknown and mistyped fields and a wrong id', () => {
    expect(validateBoardProfile(changed(profile, (p) => delete (p as Partial<BoardProfile>).modem))).toEqual(['modem: missing']);
    expect(validateBoardProfile(changed(profile, (p) => (p.colour = 'red')))).toEqual(['colour: unknown field']);
    expect(validateBoardProfile(changed(profile, (p) => (p.modem.baud = 0)))).toEqual(['modem.baud: expected a positive integer']);
    expect(validateBoardProfile(changed(profile, (p) => (p.builtinAes = 'no' as unknown as boolean)))).toEqual(['builtinAes: expected true or false']);
    expect(validateBoardProfile(profile, 'other-board')).toEqual([`id: "${profile.id}" differs from the file name "other-board"`]);
    expect(validateBoardProfile([])).toEqual(['profile: expected an object']);
  });
});

describe('the stadtsensor:board module', () => {
  it('exports every profile field, and firmware/platform/board.d.ts declares each of them', () => {
    const declarations = readFileSync(join(REPO_ROOT, 'firmware', 'platform', 'board.d.ts'), 'utf8');
    for (const profile of profiles) {
      const source = boardModuleSource(profile);
      for (const [key, value] of Object.entries(profile)) {
        expect(source).toContain(`export const ${key} = ${JSON.stringify(value)};`);
        expect(declarations).toContain(`export declare const ${key}: BoardProfile['${key}'];`);
      }
    }
  });

  it('adds nrf52, derived from the MCU, so that the minifier keeps only the branch for the board', () => {
    const declarations = readFileSync(join(REPO_ROOT, 'firmware', 'platform', 'board.d.ts'), 'utf8');
    expect(declarations).toContain('export declare const nrf52: boolean;');
    const byId = new Map(profiles.map((p) => [p.id, boardModuleSource(p)]));
    expect(byId.get('mdbt42q-rak3172')).toContain('export const nrf52 = true;');
    expect(byId.get('pico-rak3172')).toContain('export const nrf52 = false;');
  });
});
