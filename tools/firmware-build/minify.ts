/**
 * Step 3 (optional): terser, held to ES5 output rules so that it introduces no syntax the lowering removed
 * (no `**`, no new arrows, shorthand or computed forms) and keeps what Espruino parses most reliably.
 */
import { minify } from 'terser';

export async function minifyForEspruino(code: string): Promise<string> {
  const result = await minify(code, {
    ecma: 5,
    module: false,
    toplevel: false,
    compress: {
      arrows: false,
      passes: 2,
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
