/**
 * Step 3 (optional): log calls below the app's level are compiled out (strip-logs.ts) and `let`/`const` become
 * `var` (Babel's block-scoping transform, which keeps each loop closure's own binding); then terser, held to ES2015
 * output so that it introduces no syntax the lowering removed (no `**`, no computed keys, no `?.`) but may write
 * what Espruino runs natively: arrow functions for function expressions that use neither `this` nor `arguments`,
 * shorthand properties and methods.
 */
import { createRequire } from 'node:module';
import { minify } from 'terser';
import type { LogLevel } from '../../firmware/drivers/at-line.ts';
import { stripLogsBelow } from './strip-logs.ts';

const require = createRequire(import.meta.url);
const babel = require('@babel/core') as { transformAsync(code: string, options: Record<string, unknown>): Promise<{ code?: string | null } | null> };
// preset-env's own copy (it is not a direct dependency)
const blockScoping = createRequire(require.resolve('@babel/preset-env'))('@babel/plugin-transform-block-scoping') as unknown;

/** `var` is 2 to 4 bytes shorter than `let`/`const`, and terser joins neighbouring `var` statements. */
export async function prepare(code: string, logLevel: LogLevel): Promise<string> {
  const plugins = [stripLogsBelow(logLevel), blockScoping];
  const result = await babel.transformAsync(code, { babelrc: false, configFile: false, sourceType: 'script', plugins });
  if (typeof result?.code !== 'string') throw new Error('Babel returned no code');
  return result.code;
}

/** `logLevel`: the lowest log level kept; default debug (every log call). */
export async function minifyForEspruino(code: string, logLevel: LogLevel = 'debug'): Promise<string> {
  const result = await minify(await prepare(code, logLevel), {
    ecma: 2015,
    module: false,
    toplevel: false,
    compress: {
      arrows: true,
      unsafe_arrows: true,
      passes: 5,
      // firmware has no getters with side effects (no get accessors outside classes, none that write)
      pure_getters: true,
      // `a < b` as `!(a >= b)` and back: firmware compares numbers, never objects with valueOf
      unsafe_comps: true,
      unsafe_math: true,
      // drop unused trailing parameters: firmware never reads fn.length (Espruino reports it wrongly anyway)
      keep_fargs: false,
      // `(function () {...})()` rather than `!function () {...}()`
      negate_iife: false,
      // `typeof x == "undefined"` stays as written: firmware uses it to probe for globals a board may lack
      typeofs: false,
    },
    mangle: true,
    format: { ascii_only: true, comments: false },
  });
  if (typeof result.code !== 'string') throw new Error('terser returned no code');
  return result.code;
}
