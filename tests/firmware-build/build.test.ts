import * as acorn from 'acorn';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode } from '../../payload-schema/src/codec.ts';
import { checkEspruinoCompat } from '../../tools/espruino-compat/check.ts';
import { buildFirmware, formatBuildProblems, listApps, listBoards, loadBoard, type FirmwareBuild } from '../../tools/firmware-build/index.ts';
import { runBundle, tempApps } from './support.ts';

const outDir = mkdtempSync(join(tmpdir(), 'stadtsensor-firmware-dist-'));
const builds: FirmwareBuild[] = [];
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

/** Apps whose LoRaWAN bundle (`--radio lorawan`) is built here as well; every app's P2P bundle (the default) is. */
const LORAWAN_APPS = new Set(['road-climate', 'selftest']);

beforeAll(async () => {
  for (const app of listApps()) {
    for (const board of listBoards()) {
      builds.push(await buildFirmware({ app, board, minify: true, outDir }));
      if (LORAWAN_APPS.has(app)) builds.push(await buildFirmware({ app, board, radio: 'lorawan', minify: true, outDir }));
    }
  }
}, 600_000);

function bundlesOf(build: FirmwareBuild): [string, string][] {
  return [
    [build.file, build.code],
    [build.minifiedFile ?? '', build.minifiedCode ?? ''],
  ];
}

describe('buildFirmware: every app for every board', () => {
  it('finds the apps and boards', () => {
    expect(listApps()).toContain('selftest');
    expect(listBoards()).toEqual(expect.arrayContaining(['mdbt42q-rak3172', 'pico-rak3172']));
    expect(builds).toHaveLength((listApps().length + LORAWAN_APPS.size) * listBoards().length);
  });

  it('writes a plain and a smaller minified bundle without compatibility problems', () => {
    for (const build of builds) {
      const compatibility = build.problems.filter((p) => p.rule !== 'size-budget');
      expect(formatBuildProblems(compatibility), `${build.app}-${build.board}-${build.radio}`).toBe('');
      expect(build.file).toBe(join(outDir, `${build.app}-${build.board}${build.radio === 'p2p' ? '' : '-lorawan'}.js`));
      expect(readFileSync(build.file, 'utf8')).toBe(build.code);
      expect(readFileSync(build.minifiedFile ?? '', 'utf8')).toBe(build.minifiedCode);
      expect(build.bytes).toBe(Buffer.byteLength(build.code));
      expect(build.minifiedBytes).toBeLessThan(build.bytes);
    }
  });

  it('reports a size-budget problem exactly for the minified bundles over their app\'s limit', () => {
    for (const build of builds) {
      const over = build.minifiedBytes! > build.maxMinifiedBytes;
      expect(build.problems.some((p) => p.rule === 'size-budget'), `${build.app}-${build.board}: ${build.minifiedBytes} of ${build.maxMinifiedBytes}`).toBe(over);
    }
    expect(builds.filter((b) => b.app === 'selftest').every((b) => b.problems.length === 0)).toBe(true);
  });

  it('leaves no module syntax, no Error subclass, nothing the compatibility check rejects and no non-ASCII character', () => {
    for (const build of builds) {
      for (const [file, code] of bundlesOf(build)) {
        expect(() => acorn.parse(code, { ecmaVersion: 'latest', sourceType: 'script' }), file).not.toThrow();
        expect(code, file).not.toMatch(/(^|[^\w$.])(import|export)\s*[{*\w('"]/m);
        expect(code, file).not.toMatch(/class(\s+[\w$]+)?\s+extends\s+[\w$]*Error\b/);
        expect(checkEspruinoCompat(code, { sourceType: 'script' }), file).toEqual([]);
        expect(code, file).not.toMatch(/[\u0080-\uffff]/);
      }
    }
  });

  it('keeps the bundle private: nothing is declared in the global scope', () => {
    for (const build of builds) {
      for (const [file, code] of bundlesOf(build)) {
        const program = acorn.parse(code, { ecmaVersion: 'latest', sourceType: 'script' });
        expect(program.body.map((statement) => statement.type), file).toEqual(['ExpressionStatement']);
      }
    }
  });
});

describe('radio modes (--radio)', () => {
  const roadClimate = (radio: string): FirmwareBuild[] => builds.filter((b) => b.app === 'road-climate' && b.radio === radio);

  it('leaves the other mode out of each road-climate bundle: no join in P2P, no AES, CMAC or ABP frames in LoRaWAN', () => {
    expect(roadClimate('p2p')).toHaveLength(listBoards().length);
    // the commands each modem's driver writes in each mode (rui3.ts; rak811.ts for boards with a RAK811)
    const commands = (board: string): { p2p: string[]; lorawan: string[] } =>
      loadBoard(board).modem.chip === 'RAK811'
        ? { p2p: ['at+send=lorap2p:', 'transfer_mode:'], lorawan: ['at+join', 'at+send=lora:', 'dutycycle_enable'] }
        : { p2p: ['AT+PSEND=', 'AT+PRECV='], lorawan: ['AT+JOIN=', 'AT+SEND='] };
    for (const build of roadClimate('p2p')) {
      const code = build.minifiedCode!;
      const c = commands(build.board);
      for (const p2p of c.p2p) expect(code).toContain(p2p);
      for (const lorawan of [...c.lorawan, 'AT+DEVEUI', 'AT+BAND=', 'Restricted_Wait']) expect(code, `${build.board}: ${lorawan}`).not.toContain(lorawan);
      expect(build.code).toContain('LoRa P2P, built by stadtsensor');
    }
    for (const build of roadClimate('lorawan')) {
      const code = build.minifiedCode!;
      const c = commands(build.board);
      for (const lorawan of c.lorawan) expect(code).toContain(lorawan);
      for (const p2p of [...c.p2p, 'AT+P2P=', 'ss.fcnt']) expect(code, `${build.board}: ${p2p}`).not.toContain(p2p);
      expect(build.code).toContain('LoRa LoRaWAN, built by stadtsensor');
    }
  });

  it('keeps both modes in the modules Node and the tests load (firmware/core/radio.ts)', async () => {
    const radio = await import('../../firmware/core/radio.ts');
    expect([radio.RADIO_P2P, radio.RADIO_LORAWAN]).toEqual([true, true]);
  });
});

describe('the selftest bundle', () => {
  it('prints the AT command of a startup status uplink that decodes back, plain and minified, on every board', () => {
    const selftests = builds.filter((build) => build.app === 'selftest' && build.radio === 'p2p');
    expect(selftests.length).toBe(listBoards().length);
    for (const build of selftests) {
      const board = loadBoard(build.board);
      for (const [file, code] of bundlesOf(build)) {
        const lines = runBundle(code);
        expect(lines, file).toContain(`info modem ${board.modem.chip} on ${board.modem.serial} rx ${board.modem.rx} tx ${board.modem.tx} at ${board.modem.baud} baud`);
        const command = lines.find((line) => line.startsWith('AT+SEND='));
        const match = /^AT\+SEND=(\d+):([0-9A-F]+)$/.exec(command ?? '');
        expect(match, `${file}: ${lines.join(' | ')}`).not.toBeNull();
        const decoded = decode(Number(match?.[1]), Buffer.from(match?.[2] ?? '', 'hex'));
        expect(decoded.ok && decoded.message.name).toBe('deviceStatus');
        expect(decoded.ok && decoded.data).toMatchObject({
          event: 'startup',
          firmware: { major: 0, minor: 1, patch: 0 },
          resetReason: 'powerOn',
          battery: null,
          uptime: 0,
          uplinkCounter: 0,
        });
      }
    }
  });
});

describe('buildFirmware: sources Espruino cannot run', () => {
  it('fails a source that uses a Map, names the problem and writes nothing', async () => {
    const dirs = tempApps({
      'uses-map': "const seen = new Map<string, number>();\nseen.set('a', 1);\nconsole.log(String(seen.get('a')));\n",
    });
    const build = await buildFirmware({ app: 'uses-map', board: 'mdbt42q-rak3172', minify: true, ...dirs });
    expect(build.problems.map((p) => p.rule)).toContain('missing-global');
    expect(formatBuildProblems(build.problems)).toMatch(/uses-map-mdbt42q-rak3172\.js:\d+:\d+ missing-global Map does not exist in Espruino/);
    expect(existsSync(build.file)).toBe(false);
    expect(existsSync(join(dirs.outDir, 'uses-map-mdbt42q-rak3172.min.js'))).toBe(false);
  });

  it('rejects an unknown app or board before building', async () => {
    await expect(buildFirmware({ app: 'no-such-app', board: 'mdbt42q-rak3172', outDir })).rejects.toThrow(/unknown app "no-such-app"/);
    await expect(buildFirmware({ app: 'selftest', board: 'no-such-board', outDir })).rejects.toThrow(/unknown board "no-such-board"/);
  });

  it('rejects an import that resolves to nothing instead of leaving it in the bundle', async () => {
    const dirs = tempApps({
      'missing-file': "import { nothing } from './missing.ts';\nconsole.log(nothing);\n",
      'missing-package': "import { nothing } from 'no-such-package';\nconsole.log(nothing);\n",
    });
    await expect(buildFirmware({ app: 'missing-file', board: 'pico-rak3172', ...dirs })).rejects.toThrow(/missing\.ts/);
    await expect(buildFirmware({ app: 'missing-package', board: 'pico-rak3172', ...dirs })).rejects.toThrow(/no-such-package/);
  });
});

describe('buildFirmware: lowering', () => {
  // Everything here is valid TypeScript that Espruino cannot parse or runs differently until the build rewrites it.
  const source = `
import { modem, leds } from 'stadtsensor:board';

report(area(3));

function report(value: number, unit = 'cm2'): void {
  console.log(\`area \${value} \${unit}\`);
}
function area(side: number): number {
  return side ** 2;
}
function sum(first: number, ...rest: number[]): number {
  let total = first;
  for (const n of rest) total += n;
  return total;
}
const { serial, baud } = modem;
const [firstLed] = leds;
const key = 'dynamic';
const merged = { ...{ a: 1 }, [key]: 2 };
const numbers = [1, 2, 3];
let fallback: string | undefined;
fallback ??= 'set';
const missing: { deep?: { value: number } } = {};
const Named = class Inner {
  static create(): Inner {
    return new Inner();
  }
  describe(): string {
    return \`inner \${JSON.stringify({ braces: '}' })}\`;
  }
};
console.log(\`sum \${sum(1, ...numbers)}\`);
console.log(\`uart \${serial} \${baud} led \${firstLed}\`);
console.log(\`merged \${merged.a} \${merged[key as 'a']} \${fallback} \${missing.deep?.value ?? 'none'}\`);
console.log(Named.create().describe());
`;

  it('lowers destructuring, default and rest parameters, spread, **, ?., ??= and computed keys so that the bundle runs', async () => {
    const dirs = tempApps({ lowering: source });
    const build = await buildFirmware({ app: 'lowering', board: 'mdbt42q-rak3172', minify: true, ...dirs });
    expect(formatBuildProblems(build.problems)).toBe('');
    const board = loadBoard('mdbt42q-rak3172');
    const expected = [
      'area 9 cm2',
      'sum 7',
      `uart ${board.modem.serial} ${board.modem.baud} led ${board.leds[0]}`,
      'merged 1 2 set none',
      'inner {"braces":"}"}',
    ];
    expect(runBundle(build.code)).toEqual(expected);
    expect(runBundle(build.minifiedCode ?? '')).toEqual(expected);
    expect(build.code).not.toMatch(/arguments\.length/);
  });
});
