/**
 * The leaves of a decoded object and of a message definition, as flat lists. SenML (formats.ts) walks the values
 * of one event; Home Assistant discovery (home-assistant.ts) walks the fields a message can carry. Both name a
 * leaf by its dotted path as in the decoded object (`air.temperature`); list items are `readings.0.level` in an
 * event and `readings[].level` in a definition.
 */
import type { DecodedObject, DecodedValue } from '../../../payload-schema/src/codec.ts';
import { decimalsOf, type Field, type MessageDef } from '../../../payload-schema/src/dsl.ts';

export type LeafValue = number | string | boolean | null;

/** One value of a decoded object. */
export interface DataLeaf {
  /** Dotted path; list items carry their index (`readings.0.level`). */
  path: string;
  value: LeafValue;
}

/** Every scalar of a decoded object, depth first in the decoder's key order. */
export function dataLeaves(data: DecodedObject): DataLeaf[] {
  const out: DataLeaf[] = [];
  const walk = (value: DecodedValue, path: string): void => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, `${path}.${i}`));
    } else if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value)) walk(value[key]!, path ? `${path}.${key}` : key);
    } else {
      out.push({ path, value });
    }
  };
  walk(data, '');
  return out;
}

/**
 * The unit of a leaf from an event's `units` map. The map is keyed by field path; a list item's path is tried with
 * its index, as `readings[0].level`, as `readings[].level` and without the index, so any of these key styles works.
 */
export function unitOf(units: Readonly<Record<string, string>>, path: string): string | undefined {
  if (Object.hasOwn(units, path)) return units[path];
  if (!/\.\d+(\.|$)/.test(path)) return undefined;
  const candidates = [
    path.replace(/\.(\d+)(?=\.|$)/g, '[$1]'),
    path.replace(/\.\d+(?=\.|$)/g, '[]'),
    path.replace(/\.\d+(?=\.|$)/g, ''),
  ];
  for (const candidate of candidates) if (Object.hasOwn(units, candidate)) return units[candidate];
  return undefined;
}

/** What a message definition says about one leaf it can carry. */
export interface SchemaLeaf {
  /** Dotted path; inside a list `list[].field`. */
  path: string;
  kind: 'number' | 'boolean' | 'enum' | 'string';
  /** UCUM unit from the definition. */
  unit?: string;
  /** Enumeration labels in raw-value order. */
  values?: readonly string[];
  /** Decimal places of the field's step (scaled fields) or resolution (derived values). */
  decimals?: number;
  /** Present when the leaf is inside a list: the path of the list. */
  list?: string;
  /** The leaf may be null (a scaled field's reserved raw value, or a derived value with a missing input). */
  nullable: boolean;
}

/** Every leaf a message can carry, flags expanded into one boolean each and derived values included. */
export function schemaLeaves(message: MessageDef): SchemaLeaf[] {
  const out: SchemaLeaf[] = [];
  const walk = (fields: readonly Field[], prefix: string, list: string | undefined): void => {
    for (const field of fields) {
      if (field.kind === 'optional') {
        walk(field.fields, prefix, list);
        continue;
      }
      const path = prefix + field.name;
      const inList = list === undefined ? {} : { list };
      switch (field.kind) {
        case 'uint':
        case 'int':
          out.push({ path, kind: 'number', ...unit(field.unit), decimals: 0, nullable: false, ...inList });
          break;
        case 'scaled':
          out.push({ path, kind: 'number', unit: field.unit, decimals: decimalsOf(field.step), nullable: true, ...inList });
          break;
        case 'bool':
          out.push({ path, kind: 'boolean', nullable: false, ...inList });
          break;
        case 'enum':
          out.push({ path, kind: 'enum', values: field.values, nullable: false, ...inList });
          break;
        case 'flags':
          for (const flag of field.flags) out.push({ path: `${path}.${flag}`, kind: 'boolean', nullable: false, ...inList });
          break;
        case 'bytes':
          out.push({ path, kind: 'string', nullable: false, ...inList });
          break;
        case 'list':
          walk(field.item, `${path}[].`, path);
          break;
      }
    }
  };
  walk(message.fields, '', undefined);
  for (const value of message.derived) {
    out.push({ path: value.name, kind: 'number', unit: value.unit, decimals: decimalsOf(value.resolution), nullable: true });
  }
  return out;
}

function unit(u: string | undefined): { unit?: string } {
  return u === undefined ? {} : { unit: u };
}
