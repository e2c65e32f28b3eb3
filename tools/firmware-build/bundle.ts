/**
 * Step 1 of the firmware build: rollup bundles an app's main.ts with everything it imports into one ES2022 script.
 * Babel only strips the TypeScript types here; lowering for Espruino comes after bundling (lower.ts).
 */
import { babel } from '@rollup/plugin-babel';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { rollup, type Plugin, type RollupLog } from 'rollup';
import { HOST_CONSOLE, type BoardProfile } from '../../hardware/boards/board-profile.ts';
import { GENERATED_PATHS } from '../../payload-schema/src/generate/index.ts';
import type { RadioMode } from '../../firmware/core/radio.ts';
import { REPO_ROOT } from './paths.ts';

/** The module firmware imports its board profile from (typed by firmware/platform/board.d.ts). */
export const BOARD_MODULE = 'stadtsensor:board';

/** The module apps import `connect` from: the driver of the board's modem (typed by firmware/platform/modem.d.ts). */
export const MODEM_MODULE = 'stadtsensor:modem';

/** One driver per modem chip a board profile can name; each exports `connect(serial, timers, options)`. */
export const MODEM_DRIVERS: Readonly<Record<BoardProfile['modem']['chip'], string>> = {
  RAK3172: join(REPO_ROOT, 'firmware/drivers/rui3.ts'),
  RAK811: join(REPO_ROOT, 'firmware/drivers/rak811.ts'),
};

const require = createRequire(import.meta.url);

/**
 * One `export const` per profile field, so that rollup drops the sections an app does not use, and facts derived
 * from them as constants the minifier can fold (`if (nrf52)` keeps one branch).
 */
export function boardModuleSource(profile: BoardProfile): string {
  const derived = { nrf52: profile.mcu.startsWith('nRF52'), hostConsole: HOST_CONSOLE[profile.espruinoBoard] };
  return Object.entries({ ...profile, ...derived })
    .map(([key, value]) => `export const ${key} = ${JSON.stringify(value)};`)
    .join('\n');
}

function boardModule(profile: BoardProfile): Plugin {
  const resolved = `\0${BOARD_MODULE}`;
  return {
    name: 'stadtsensor-board',
    resolveId: (id) => (id === BOARD_MODULE ? resolved : null),
    load: (id) => (id === resolved ? boardModuleSource(profile) : null),
  };
}

function modemModule(profile: BoardProfile): Plugin {
  return {
    name: 'stadtsensor-modem',
    resolveId: (id) => (id === MODEM_MODULE ? MODEM_DRIVERS[profile.modem.chip] : null),
  };
}

/** The module that says which radio modes firmware carries; a bundle gets the one it is built for. */
export const RADIO_MODULE = join(REPO_ROOT, 'firmware/core/radio.ts');

/** The radio mode a build carries when none is asked for: the town's gateways are single-channel P2P. */
export const DEFAULT_RADIO: RadioMode = 'p2p';

export const RADIO_MODES: readonly RadioMode[] = ['p2p', 'lorawan'];

/** radio.ts with only `radio` switched on: the minifier then drops the other mode's code. */
function radioModule(radio: RadioMode): Plugin {
  return {
    name: 'stadtsensor-radio',
    load: (id) =>
      id === RADIO_MODULE
        ? `export const RADIO_P2P = ${radio === 'p2p'};\nexport const RADIO_LORAWAN = ${radio === 'lorawan'};\n`
        : null,
  };
}

/** The payload codec firmware imports, and the generated variant with error codes instead of texts that bundles get. */
export const PAYLOAD_MODULE = join(REPO_ROOT, GENERATED_PATHS.firmwareModule);
export const COMPACT_PAYLOAD_MODULE = join(REPO_ROOT, GENERATED_PATHS.firmwareCompactModule);

/**
 * Imports of payload.js resolve to payload-compact.js: the same functions, types and behaviour, but errors carry
 * their code rather than a sentence (the firmware only logs them), which keeps about 2 KB of text out of flash.
 */
function compactPayloadCodec(): Plugin {
  return {
    name: 'stadtsensor-compact-payload',
    async resolveId(source, importer, options) {
      if (!source.endsWith('payload.js')) return null;
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      return resolved && resolved.id === PAYLOAD_MODULE ? COMPACT_PAYLOAD_MODULE : null;
    },
  };
}

export interface Bundle {
  code: string;
  /** Rollup warnings worth a look (circular imports, ...). */
  warnings: string[];
  /** Each bundled module's share of `code` (its rendered text, before lowering), in bundle order. */
  modules: { id: string; code: string }[];
}

/** Bundles `entry` (a .ts file) as a plain script: no import/export left, modules in dependency order. */
export async function bundleApp(entry: string, profile: BoardProfile, radio: RadioMode = DEFAULT_RADIO): Promise<Bundle> {
  const warnings: string[] = [];
  const onLog = (level: string, log: RollupLog): void => {
    if (level !== 'warn') return;
    // An import that resolves to nothing would be left as an `import` statement Espruino cannot run.
    if (log.code === 'UNRESOLVED_IMPORT') throw new Error(`${entry}: ${log.message}`);
    warnings.push(log.message);
  };
  const build = await rollup({
    input: entry,
    onLog,
    plugins: [
      boardModule(profile),
      modemModule(profile),
      radioModule(radio),
      compactPayloadCodec(),
      nodeResolve({ extensions: ['.ts', '.js'] }),
      babel({
        babelHelpers: 'bundled',
        babelrc: false,
        configFile: false,
        extensions: ['.ts'],
        presets: [[require.resolve('@babel/preset-typescript'), { onlyRemoveTypeImports: false }]],
      }),
    ],
  });
  try {
    const { output } = await build.generate({ format: 'es', generatedCode: 'es2015' });
    const chunk = output[0];
    if (output.length !== 1 || chunk.exports.length > 0) {
      throw new Error(`${entry}: an app must be one script without exports (got ${output.length} chunks, exports: ${chunk.exports.join(', ') || 'none'})`);
    }
    const modules = Object.entries(chunk.modules).map(([id, m]) => ({ id: id.replace(/^\0/, ''), code: m.code ?? '' }));
    return { code: chunk.code, warnings, modules };
  } finally {
    await build.close();
  }
}
