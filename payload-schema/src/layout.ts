/** Sizes and integer constants derived from field definitions, shared by the codec, the generators and the docs. */
import { decimalsOf, type Field, type MessageDef, type ScaledField, type ValueField } from './dsl.ts';

export interface ScaledConstants {
  /** 10^decimals: decoded value = (minInt + raw * stepInt) / scale, exact in decimal. */
  readonly scale: number;
  readonly minInt: number;
  readonly stepInt: number;
  /** The all-ones raw value, meaning null. */
  readonly nullRaw: number;
  /** Largest raw value allowed by the field's max. */
  readonly maxRaw: number;
}

export function scaledConstants(field: ScaledField): ScaledConstants {
  const scale = 10 ** Math.max(decimalsOf(field.min), decimalsOf(field.step));
  const minInt = Math.round(field.min * scale);
  const stepInt = Math.round(field.step * scale);
  const nullRaw = 2 ** field.bits - 1;
  const maxRaw = Math.min(nullRaw - 1, Math.floor((Math.round(field.max * scale) - minInt) / stepInt));
  return { scale, minInt, stepInt, nullRaw, maxRaw };
}

/** Bits of a field with a fixed width; undefined for lists and optional groups. */
export function fixedBits(field: Field): number | undefined {
  switch (field.kind) {
    case 'uint':
    case 'int':
    case 'scaled':
    case 'enum':
      return field.bits;
    case 'bool':
      return 1;
    case 'flags':
      return field.flags.length;
    case 'bytes':
      return field.length * 8;
    case 'list':
    case 'optional':
      return undefined;
  }
}

export function bitRange(fields: readonly Field[]): { min: number; max: number } {
  let min = 0;
  let max = 0;
  for (const field of fields) {
    const fixed = fixedBits(field);
    if (fixed !== undefined) {
      min += fixed;
      max += fixed;
    } else if (field.kind === 'list') {
      const item = bitRange(field.item);
      min += field.countBits + field.minCount * item.min;
      max += field.countBits + field.maxCount * item.max;
    } else if (field.kind === 'optional') {
      min += field.fields.length;
      max += field.fields.length + bitRange(field.fields).max;
    }
  }
  return { min, max };
}

export interface MessageSize {
  readonly minBytes: number;
  readonly maxBytes: number;
  /** Set when every encoding has the same length. */
  readonly fixedBytes: number | undefined;
}

export function messageSize(message: MessageDef): MessageSize {
  const { min, max } = bitRange(message.fields);
  const minBytes = Math.ceil(min / 8);
  const maxBytes = Math.ceil(max / 8);
  return { minBytes, maxBytes, fixedBytes: min === max ? minBytes : undefined };
}

/** Every value field, depth first, with its dotted path (list items as `readings[].level`). */
export function walkFields(fields: readonly Field[], prefix = ''): { path: string; field: ValueField }[] {
  const out: { path: string; field: ValueField }[] = [];
  for (const field of fields) {
    if (field.kind === 'optional') {
      out.push(...walkFields(field.fields, prefix));
      continue;
    }
    const path = prefix + field.name;
    out.push({ path, field });
    if (field.kind === 'list') out.push(...walkFields(field.item, `${path}[].`));
  }
  return out;
}
