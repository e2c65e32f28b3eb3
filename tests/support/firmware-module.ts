/** A firmware module and what it imports as one ES module, types stripped and nothing lowered, for the Espruino sandbox. */
import { babel } from '@rollup/plugin-babel';
import { rollup } from 'rollup';

const cache = new Map<string, Promise<string>>();

export function bundleFirmwareModule(input: string): Promise<string> {
  let code = cache.get(input);
  if (!code) {
    code = rollup({
      input,
      plugins: [babel({ babelHelpers: 'bundled', extensions: ['.ts', '.js'], presets: ['@babel/preset-typescript'], babelrc: false, configFile: false })],
    })
      .then((bundle) => bundle.generate({ format: 'es' }))
      .then((result) => result.output[0].code);
    cache.set(input, code);
  }
  return code;
}
