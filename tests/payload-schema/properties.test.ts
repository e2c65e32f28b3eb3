/**
 * Property tests: decode(encode(x)) is x quantized to each field's resolution, for every message; and random bytes
 * never crash any decoder — the TypeScript codec, the formatter and the firmware module agree on every input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { catalog } from '../../payload-schema/src/catalog/index.ts';
import { codec } from '../../payload-schema/src/codec.ts';
import { PayloadError } from '../../payload-schema/src/errors.ts';
import { messageSize } from '../../payload-schema/src/layout.ts';
import { messageArb } from './arbitraries.ts';
import { loadFirmwareModule, loadFormatter } from './support.ts';

const { formatter } = loadFormatter();
const { module: firmware } = loadFirmwareModule();
// per message and run; fast-check draws new ones every run, so CI covers more strings over time than any single run
const RANDOM_INPUTS_PER_PORT = 25_000;

describe.each(catalog.map((m) => [`${m.name} (FPort ${m.port})`, m] as const))('%s', (_title, message) => {
  it('decode(encode(x)) equals x quantized to the field resolution', () => {
    fc.assert(
      fc.property(messageArb(message), ({ input, expected }) => {
        const encoded = codec.encode(message.port, input);
        if (!encoded.ok) throw encoded.error;
        expect(encoded.bytes.length).toBeLessThanOrEqual(messageSize(message).maxBytes);
        const decoded = codec.decode(message.port, encoded.bytes);
        expect(decoded.ok && decoded.data).toEqual(expected);
        // the firmware module writes the same bytes
        expect([...firmware.encode(message.port, input)]).toEqual([...encoded.bytes]);
      }),
      { numRuns: 2_000 },
    );
  });

  it(`${RANDOM_INPUTS_PER_PORT.toLocaleString('en')} random byte strings: no crash, all decoders agree`, () => {
    const size = messageSize(message);
    // valid encodings with a few bits flipped and the length nudged reach deep into variable-length messages
    const mutated = fc
      .tuple(messageArb(message), fc.array(fc.nat(), { maxLength: 3 }), fc.integer({ min: -1, max: 1 }))
      .map(([drawn, flips, nudge]) => {
        const encoded = codec.encode(message.port, drawn.input);
        if (!encoded.ok) throw encoded.error;
        const out = Uint8Array.from({ length: Math.max(0, encoded.bytes.length + nudge) }, (_v, i) => encoded.bytes[i] ?? 0);
        for (const bit of flips) if (out.length) out[(bit >> 3) % out.length]! ^= 1 << (bit & 7);
        return out;
      });
    const bytes = fc.oneof(
      fc.uint8Array({ minLength: size.minBytes, maxLength: size.maxBytes }),
      fc.uint8Array({ maxLength: 64 }),
      mutated,
    );
    let accepted = 0;
    fc.assert(
      fc.property(bytes, (raw) => {
        const array = [...raw];
        const ts = codec.decode(message.port, raw);
        if (!ts.ok && !(ts.error instanceof PayloadError)) throw new Error('decode returned an untyped error');
        const up = message.direction === 'uplink';
        const result = up ? formatter.decodeUplink({ fPort: message.port, bytes: array }) : formatter.decodeDownlink({ fPort: message.port, bytes: array });
        let firmwareResult: string;
        try {
          firmwareResult = JSON.stringify(firmware.decode(message.port, array));
        } catch (error) {
          const e = error as Error & { code?: string };
          if (!e.code) throw error;
          firmwareResult = `error: ${e.message}`;
        }
        // plain comparisons: expect() in a loop of 100,000 would dominate the run time
        const want = ts.ok ? JSON.stringify(ts.data) : `error: ${ts.error.message}`;
        const formatterResult = result.errors?.length
          ? `error: ${result.errors.join('; ')}`
          : JSON.stringify(up ? result.data : (result.data as Record<string, unknown>)[message.name]);
        if (formatterResult !== want) throw new Error(`formatter gave ${formatterResult}, codec ${want}`);
        if (firmwareResult !== want) throw new Error(`firmware module gave ${firmwareResult}, codec ${want}`);
        if (ts.ok) accepted++;
      }),
      { numRuns: RANDOM_INPUTS_PER_PORT },
    );
    // random bytes of the right length must mostly decode, or the comparison above tested nothing
    expect(accepted).toBeGreaterThan(RANDOM_INPUTS_PER_PORT / 100);
  });
});
