/**
 * The ultrasonic ranger drivers: MaxBotix `R####\r` and A01NYUB `0xFF H L SUM` frames, their no-target and
 * too-close codes, checksums, and resync after garbage, both as TypeScript in Node and as bundles in the Espruino
 * sandbox. Frames are built here from the datasheets' descriptions, not by the simulated parts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as a01 from '../../firmware/drivers/ranger/a01nyub.ts';
import * as maxbotix from '../../firmware/drivers/ranger/maxbotix.ts';
import type { RangeStatus } from '../../firmware/drivers/ranger/ranger.ts';
import { validateBoardProfile } from '../../hardware/boards/board-profile.ts';
import { checkEspruinoCompat } from '../../tools/espruino-compat/check.ts';
import { listBoards, loadBoard } from '../../tools/firmware-build/boards.ts';
import { loadEspruinoModule } from '../../tools/espruino-compat/sandbox.ts';
import { bundleFirmwareModule } from '../support/firmware-module.ts';

type Parsed = [RangeStatus, number][];
type Factory = (listener: (status: RangeStatus, mm: number) => void) => { feed(data: string): void; bad(): number };

const bytes = (...values: number[]): string => String.fromCharCode(...values);
/** The A01NYUB frame for `mm` (DFRobot SEN0311 wiki: SUM = (0xFF + H + L) & 0xFF). */
const a01Frame = (mm: number): string => bytes(0xff, mm >> 8, mm & 0xff, (0xff + (mm >> 8) + (mm & 0xff)) & 0xff);
const mbFrame = (mm: number): string => `R${String(mm).padStart(4, '0')}\r`;

function run(factory: Factory, ...chunks: string[]): { parsed: Parsed; bad: number } {
  const parsed: Parsed = [];
  const parser = factory((status, mm) => parsed.push([status, mm]));
  for (const chunk of chunks) parser.feed(chunk);
  return { parsed, bad: parser.bad() };
}

const variants: [string, () => Promise<{ mb: Factory; a01: Factory }>][] = [
  ['TypeScript in Node', async () => ({ mb: maxbotix.maxbotixParser, a01: a01.a01nyubParser })],
  [
    'bundles in the Espruino sandbox',
    async () => {
      const mbCode = await bundleFirmwareModule('firmware/drivers/ranger/maxbotix.ts');
      const a01Code = await bundleFirmwareModule('firmware/drivers/ranger/a01nyub.ts');
      const mb = loadEspruinoModule(mbCode, {}, 'maxbotix.js') as unknown as typeof maxbotix;
      const a = loadEspruinoModule(a01Code, {}, 'a01nyub.js') as unknown as typeof a01;
      // results cross the realm boundary as plain values
      const wrap = (f: Factory): Factory => (listener) => f((s, mm) => listener(String(s) as RangeStatus, Number(mm)));
      return { mb: wrap(mb.maxbotixParser), a01: wrap(a.a01nyubParser) };
    },
  ],
];

describe('the driver bundles', () => {
  it('pass the Espruino compatibility check', async () => {
    for (const file of ['maxbotix', 'a01nyub']) {
      expect(checkEspruinoCompat(await bundleFirmwareModule(`firmware/drivers/ranger/${file}.ts`), { sourceType: 'module' }), file).toEqual([]);
    }
  });
});

describe.each(variants)('MaxBotix MB738x frames (%s)', (_name, load) => {
  it('reads R####<CR> as millimetres, split anywhere across UART chunks', async () => {
    const { mb } = await load();
    const stream = mbFrame(1953) + mbFrame(301) + mbFrame(4999);
    for (let cut = 0; cut <= stream.length; cut++) {
      expect(run(mb, stream.slice(0, cut), stream.slice(cut)).parsed).toEqual([
        ['ok', 1953],
        ['ok', 301],
        ['ok', 4999],
      ]);
    }
  });

  it('reports 5000 and 9999 as no target and 300 (the minimum it reports) as too close', async () => {
    const { mb } = await load();
    expect(run(mb, mbFrame(5000), mbFrame(9999), mbFrame(300), mbFrame(9998)).parsed).toEqual([
      ['noTarget', 5000],
      ['noTarget', 9999],
      ['tooClose', 300],
      ['ok', 9998],
    ]);
  });

  it('drops malformed frames and resyncs on the next R', async () => {
    const { mb } = await load();
    const { parsed, bad } = run(mb, '\x00\xffgarbage', 'R12', mbFrame(2000), 'R12a4\r', 'R12345\r', 'R123\r', mbFrame(2100));
    expect(parsed).toEqual([
      ['ok', 2000],
      ['ok', 2100],
    ]);
    expect(bad).toBeGreaterThanOrEqual(5);
  });

  it('never reports a value that was not sent whole, whatever the garbage around it', async () => {
    const { mb } = await load();
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 301, max: 4999 }), { maxLength: 5 }), fc.uint8Array({ maxLength: 12 }), (values, noise) => {
        const garbage = String.fromCharCode(...noise).replace(/R/g, '');
        const { parsed } = run(mb, garbage + values.map(mbFrame).join(garbage ? '\x00' : ''));
        expect(parsed.map((p) => p[1])).toEqual(values);
      }),
      { numRuns: 100 },
    );
  });
});

describe.each(variants)('DFRobot A01NYUB frames (%s)', (_name, load) => {
  it('reads the wiki example FF 07 A1 A7 as 1953 mm, split anywhere', async () => {
    const { a01: parser } = await load();
    expect(a01Frame(1953)).toBe(bytes(0xff, 0x07, 0xa1, 0xa7));
    const stream = a01Frame(1953) + a01Frame(280) + a01Frame(7500);
    for (let cut = 0; cut <= stream.length; cut++) {
      expect(run(parser, stream.slice(0, cut), stream.slice(cut)).parsed).toEqual([
        ['ok', 1953],
        ['ok', 280],
        ['ok', 7500],
      ]);
    }
  });

  it('rejects a frame with a bad checksum', async () => {
    const { a01: parser } = await load();
    const { parsed, bad } = run(parser, bytes(0xff, 0x07, 0xa1, 0xa8), a01Frame(1000));
    expect(parsed).toEqual([['ok', 1000]]);
    expect(bad).toBeGreaterThan(0);
  });

  it('treats readings above the range (0xFFFD, 0xFFFE) as no target and inside the blind zone (0) as too close', async () => {
    const { a01: parser } = await load();
    expect(run(parser, a01Frame(0xfffd), a01Frame(0xfffe), a01Frame(7501), a01Frame(0), a01Frame(279)).parsed).toEqual([
      ['noTarget', 0xfffd],
      ['noTarget', 0xfffe],
      ['noTarget', 7501],
      ['tooClose', 0],
      ['tooClose', 279],
    ]);
  });

  it('resyncs after a lost byte, finding the header inside a broken frame', async () => {
    const { a01: parser } = await load();
    const lost = a01Frame(1500).slice(0, 3); // the SUM byte was lost: the next header follows at once
    expect(run(parser, lost + a01Frame(1600) + a01Frame(1700)).parsed).toEqual([
      ['ok', 1600],
      ['ok', 1700],
    ]);
  });

  it('recovers every whole frame after random garbage without 0xFF bytes', async () => {
    const { a01: parser } = await load();
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 280, max: 7500 }), { minLength: 1, maxLength: 5 }), fc.uint8Array({ maxLength: 12 }), (values, noise) => {
        const garbage = String.fromCharCode(...noise.filter((b) => b !== 0xff));
        expect(run(parser, garbage + values.map(a01Frame).join('')).parsed.map((p) => p[1])).toEqual(values);
      }),
      { numRuns: 100 },
    );
  });
});

describe('telling the parts apart', () => {
  it('neither parser reads the other part\'s frames', () => {
    const mbStream = [300, 1953, 4999, 9999].map(mbFrame).join('');
    const a01Stream = [280, 1953, 7500, 0xfffd].map(a01Frame).join('');
    expect(run(a01.a01nyubParser, mbStream).parsed).toEqual([]);
    expect(run(maxbotix.maxbotixParser, a01Stream).parsed).toEqual([]);
  });

  it('states what each part does about temperature', () => {
    expect(maxbotix.MAXBOTIX.compensated).toBe(true);
    expect(a01.A01NYUB).toMatchObject({ compensated: false, assumedSoundMs: 343 });
  });
});

describe('the ranger in the board profiles', () => {
  it('is optional, and its pins are checked like every other pin', () => {
    expect(listBoards()).toEqual(expect.arrayContaining(['mdbt42q-rak3172', 'pico-rak3172']));
    for (const id of listBoards()) {
      const profile = loadBoard(id);
      if (!profile.ranger && !['mdbt42q-rak3172', 'pico-rak3172'].includes(id)) continue;
      expect(profile.ranger, id).toMatchObject({ baud: 9600 });
      expect(validateBoardProfile(profile, id)).toEqual([]);
      const without = structuredClone(profile);
      delete without.ranger;
      expect(validateBoardProfile(without, id)).toEqual([]);
      const clash = structuredClone(profile);
      clash.ranger!.rx = profile.modem.rx;
      expect(validateBoardProfile(clash, id)).toEqual([`ranger.rx: ${profile.modem.rx} is already used by modem.rx`]);
      const unknown = structuredClone(profile) as unknown as { ranger: Record<string, unknown> };
      unknown.ranger.trigger = 'D2';
      expect(validateBoardProfile(unknown, id)).toEqual(['ranger.trigger: unknown field']);
    }
    // the MDBT42Q has one UART: the ranger shares the modem's; the Pico gives it its own
    expect(loadBoard('mdbt42q-rak3172').ranger!.serial).toBe(loadBoard('mdbt42q-rak3172').modem.serial);
    expect(loadBoard('pico-rak3172').ranger!.serial).not.toBe(loadBoard('pico-rak3172').modem.serial);
  });
});
