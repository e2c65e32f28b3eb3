/**
 * `npm run bench`: bytes on the air and codec throughput for a realistic day of readings, against baselines
 * measured in the same run — Cayenne LPP (the field's common format), CBOR (cbor-x, integer and string keys)
 * and JSON. A benchmark, not a test: it prints figures and ratios and asserts nothing.
 *   --json <file>   also write the figures as JSON
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { Encoder } from 'cbor-x';
import { catalog } from '../../payload-schema/src/catalog/index.ts';
import { codec } from '../../payload-schema/src/codec.ts';
import type { Field, MessageDef, ValueField } from '../../payload-schema/src/dsl.ts';
import { GENERATED_PATHS } from '../../payload-schema/src/generate/index.ts';
import { decodeLpp, encodeLpp, type LppRecord, type LppTypeName } from './cayenne-lpp.ts';
import { dayOfReadings, type Reading } from './day-of-readings.ts';

// ---------------------------------------------------------------------------------------------- baselines

/** The LPP record a maker would choose for each field; LPP has no null, so a missing reading is left out. */
function lppRecord(field: ValueField, value: unknown, channel: number): LppRecord | undefined {
  if (value === null || value === undefined) return undefined;
  const rec = (type: LppTypeName, v: number): LppRecord => ({ channel, type, value: v });
  switch (field.kind) {
    case 'bool':
      return rec(field.name === 'occupied' ? 'presence' : 'digitalInput', value ? 1 : 0);
    case 'enum':
      return rec('digitalInput', field.values.indexOf(value as string));
    case 'flags': {
      const mask = field.flags.reduce((m, f, i) => m | ((value as Record<string, boolean>)[f] ? 1 << i : 0), 0);
      return rec(field.flags.length <= 8 ? 'digitalInput' : 'genericSensor', mask);
    }
    case 'bytes':
      return rec('genericSensor', parseInt(value as string, 16));
    case 'uint':
    case 'int': {
      const v = value as number;
      if (field.unit === 's' && field.bits === 32) return rec('unixTime', v);
      return rec(field.max <= 255 && field.min >= 0 ? 'digitalInput' : 'genericSensor', v);
    }
    case 'scaled': {
      const v = value as number;
      if (field.unit === 'Cel') return rec('temperature', v);
      if (field.unit === '%RH') return rec('relativeHumidity', v);
      if (field.unit === 'V') return rec('voltage', v);
      if (field.unit === 'mm') return rec('distance', v / 1000);
      if (field.unit === 'cm') return rec('analogInput', v / 100); // metres, signed: levels can be below gauge zero
      if (Math.abs(v) <= 327.67) return rec('analogInput', v);
      return rec('genericSensor', Math.round(v));
    }
    case 'list':
      return undefined;
  }
}

function toLpp(fields: readonly Field[], data: Record<string, unknown>, records: LppRecord[]): LppRecord[] {
  for (const field of fields) {
    for (const f of field.kind === 'optional' ? field.fields : [field]) {
      const value = f.name.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], data);
      if (f.kind === 'list') {
        for (const item of (value as Record<string, unknown>[] | undefined) ?? []) toLpp(f.item, item, records);
        continue;
      }
      const r = lppRecord(f, value, records.length);
      if (r) records.push(r);
    }
  }
  return records;
}

/** The decoded object with every key replaced by its field index, as a CBOR map with integer keys. */
function withIntegerKeys(fields: readonly Field[], data: Record<string, unknown>): Map<number, unknown> {
  const out = new Map<number, unknown>();
  const flat = fields.flatMap((f) => (f.kind === 'optional' ? f.fields : [f]));
  flat.forEach((f, i) => {
    const value = f.name.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], data);
    if (value === undefined) return;
    if (f.kind === 'list') out.set(i, (value as Record<string, unknown>[]).map((item) => withIntegerKeys(f.item, item)));
    else if (f.kind === 'flags') out.set(i, f.flags.map((flag) => (value as Record<string, boolean>)[flag] === true));
    else out.set(i, value);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------- measuring

function opsPerSecond(run: () => number): number {
  for (let i = 0; i < 3; i++) run();
  const samples: number[] = [];
  for (let s = 0; s < 5; s++) {
    let ops = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < 250) {
      ops += run();
      elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    }
    samples.push((ops / elapsed) * 1000);
  }
  samples.sort((a, b) => a - b);
  return samples[2]!;
}

const fmt = (n: number, digits = 1): string => n.toFixed(digits);
const pad = (s: string, n: number): string => s.padStart(n);
const kops = (n: number): string => `${(n / 1000).toFixed(0)}k`;

function main(): void {
  const jsonOut = process.argv.includes('--json') ? process.argv[process.argv.indexOf('--json') + 1] : undefined;
  const readings: Reading[] = dayOfReadings();
  const cborStrings = new Encoder({ useRecords: false, mapsAsObjects: true, variableMapSize: true });
  const cborIntegers = new Encoder({ useRecords: false, mapsAsObjects: false, variableMapSize: true });
  const byPort = new Map<number, MessageDef>(catalog.map((m) => [m.port, m]));

  // the same readings in every format, prepared once
  const prepared = readings.map((r) => {
    const message = byPort.get(r.port)!;
    const encoded = codec.encode(r.port, r.data);
    if (!encoded.ok) throw new Error(`${message.name}: ${encoded.error.message}`);
    const decoded = codec.decode(r.port, encoded.bytes);
    if (!decoded.ok) throw new Error(`${message.name}: ${decoded.error.message}`);
    const lppRecords = toLpp(message.fields, decoded.data, []);
    const intMap = withIntegerKeys(message.fields, decoded.data);
    return {
      message,
      port: r.port,
      input: r.data,
      object: decoded.data,
      ours: encoded.bytes,
      oursArray: [...encoded.bytes],
      lppRecords,
      lpp: encodeLpp(lppRecords),
      intMap,
      cborInt: cborIntegers.encode(intMap),
      cborStr: cborStrings.encode(decoded.data),
      json: Buffer.from(JSON.stringify(decoded.data)),
    };
  });

  console.log(`stadtsensor payload benchmark: ${readings.length} messages of a realistic day`);
  console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores\n`);

  // sizes
  console.log('Bytes per message (mean), and the stadtsensor size as a share of Cayenne LPP');
  console.log(`${'message'.padEnd(20)}${pad('msgs', 6)}${pad('ours', 8)}${pad('LPP', 8)}${pad('CBOR int', 10)}${pad('CBOR str', 10)}${pad('JSON', 8)}${pad('ours/LPP', 10)}`);
  const sizes: Record<string, unknown>[] = [];
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  for (const message of catalog) {
    const rows = prepared.filter((p) => p.port === message.port);
    if (!rows.length) continue;
    const mean = (f: (p: (typeof rows)[number]) => number): number => sum(rows.map(f)) / rows.length;
    const entry = {
      message: message.name,
      count: rows.length,
      ours: mean((p) => p.ours.length),
      lpp: mean((p) => p.lpp.length),
      cborInt: mean((p) => p.cborInt.length),
      cborStr: mean((p) => p.cborStr.length),
      json: mean((p) => p.json.length),
    };
    sizes.push(entry);
    console.log(
      `${message.name.padEnd(20)}${pad(String(entry.count), 6)}${pad(fmt(entry.ours), 8)}${pad(fmt(entry.lpp), 8)}${pad(fmt(entry.cborInt), 10)}${pad(fmt(entry.cborStr), 10)}${pad(fmt(entry.json), 8)}${pad(`${fmt((entry.ours / entry.lpp) * 100, 0)} %`, 10)}`,
    );
  }
  const totals = {
    ours: sum(prepared.map((p) => p.ours.length)),
    lpp: sum(prepared.map((p) => p.lpp.length)),
    cborInt: sum(prepared.map((p) => p.cborInt.length)),
    cborStr: sum(prepared.map((p) => p.cborStr.length)),
    json: sum(prepared.map((p) => p.json.length)),
  };
  console.log(
    `${'whole day (bytes)'.padEnd(20)}${pad(String(prepared.length), 6)}${pad(String(totals.ours), 8)}${pad(String(totals.lpp), 8)}${pad(String(totals.cborInt), 10)}${pad(String(totals.cborStr), 10)}${pad(String(totals.json), 8)}${pad(`${fmt((totals.ours / totals.lpp) * 100, 0)} %`, 10)}`,
  );
  console.log(
    `stadtsensor needs ${fmt((totals.ours / totals.lpp) * 100)} % of LPP's bytes, ${fmt((totals.ours / totals.cborInt) * 100)} % of CBOR with integer keys, ${fmt((totals.ours / totals.json) * 100)} % of JSON.\n`,
  );

  // throughput
  const formatterSource = readFileSync(new URL(`../../${GENERATED_PATHS.formatter}`, import.meta.url), 'utf8');
  const formatter = new Function(`${formatterSource}\nreturn { decodeUplink: decodeUplink, MESSAGES: MESSAGES };`)() as {
    MESSAGES: Record<string, { decode(bytes: number[]): unknown; encode(o: unknown): number[] }>;
  };
  const n = prepared.length;
  const contenders: [string, () => number][] = [
    ['stadtsensor decode (TypeScript codec)', () => { for (const p of prepared) codec.decode(p.port, p.ours); return n; }],
    ['stadtsensor decode (generated ES5 decoders)', () => { for (const p of prepared) formatter.MESSAGES[p.port]!.decode(p.oursArray); return n; }],
    ['cbor-x decode, string keys', () => { for (const p of prepared) cborStrings.decode(p.cborStr); return n; }],
    ['cbor-x decode, integer keys', () => { for (const p of prepared) cborIntegers.decode(p.cborInt); return n; }],
    ['Cayenne LPP decode', () => { for (const p of prepared) decodeLpp(p.lpp); return n; }],
    ['JSON.parse', () => { for (const p of prepared) JSON.parse(p.json.toString()); return n; }],
    ['stadtsensor encode (TypeScript codec)', () => { for (const p of prepared) codec.encode(p.port, p.input); return n; }],
    ['stadtsensor encode (generated ES5 encoders)', () => { for (const p of prepared) formatter.MESSAGES[p.port]!.encode(p.input); return n; }],
    ['cbor-x encode, string keys', () => { for (const p of prepared) cborStrings.encode(p.object); return n; }],
    ['cbor-x encode, integer keys', () => { for (const p of prepared) cborIntegers.encode(p.intMap); return n; }],
    ['Cayenne LPP encode', () => { for (const p of prepared) encodeLpp(p.lppRecords); return n; }],
  ];
  const speed = new Map<string, number>();
  for (const [name, run] of contenders) {
    process.stderr.write(`measuring ${name} ...\r`);
    speed.set(name, opsPerSecond(run));
  }
  process.stderr.write(`${' '.repeat(70)}\r`);
  const decodeBase = speed.get('cbor-x decode, string keys')!;
  const encodeBase = speed.get('cbor-x encode, string keys')!;
  console.log('Messages per second (median of 5 runs of 250 ms), and the ratio to cbor-x with string keys');
  for (const [name] of contenders) {
    const ops = speed.get(name)!;
    const base = name.includes('decode') || name.includes('parse') ? decodeBase : encodeBase;
    console.log(`${name.padEnd(46)}${pad(kops(ops), 10)}/s${pad(`${fmt(ops / base, 2)}x`, 9)}`);
  }
  const ref = speed.get('stadtsensor decode (TypeScript codec)')! / decodeBase;
  const gen = speed.get('stadtsensor decode (generated ES5 decoders)')! / decodeBase;
  console.log(`\nDecoding: the TypeScript codec is ${fmt(ref, 1)}x and the generated decoders ${fmt(gen, 1)}x as fast as cbor-x (same readings, same run).`);

  if (jsonOut) {
    writeFileSync(jsonOut, `${JSON.stringify({ messages: prepared.length, sizes, totals, speed: Object.fromEntries(speed) }, null, 2)}\n`);
    console.log(`figures written to ${jsonOut}`);
  }
}

main();
