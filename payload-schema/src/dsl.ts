/**
 * The schema definition language: every byte on the air is described with these constructors.
 * Fields are bit-packed MSB first in declaration order; only the last byte is padded (with zero bits).
 * A field name may be a dotted path (`air.temperature`): the decoded object nests accordingly.
 */

export type Direction = 'uplink' | 'downlink';

interface FieldBase {
  /** Dotted path of the value in the decoded object. */
  readonly name: string;
  readonly description: string;
  /** Why this range and resolution: the sensor or the use that fixes it. */
  readonly reason?: string;
  /** UCUM unit of the decoded value (`Cel`, `%RH`, `cm`, `mm`, `V`, `s`, `min`, `uT`). */
  readonly unit?: string;
}

/** Unsigned integer. `wraps` counters are sent modulo 2^bits and may be given any non-negative integer. */
export interface UIntField extends FieldBase {
  readonly kind: 'uint';
  readonly bits: number;
  readonly min: number;
  readonly max: number;
  readonly wraps: boolean;
}

/** Two's-complement signed integer. */
export interface IntField extends FieldBase {
  readonly kind: 'int';
  readonly bits: number;
  readonly min: number;
  readonly max: number;
}

/**
 * Fixed-point number: value = min + raw * step. The all-ones raw value is reserved for `null` (no reading),
 * so the largest value is min + (2^bits - 2) * step unless `max` narrows it.
 */
export interface ScaledField extends FieldBase {
  readonly kind: 'scaled';
  readonly bits: number;
  readonly min: number;
  readonly step: number;
  readonly max: number;
  readonly unit: string;
}

export interface BoolField extends FieldBase {
  readonly kind: 'bool';
}

/** A label per raw value, in order from 0; raw values without a label are rejected when decoding. */
export interface EnumField extends FieldBase {
  readonly kind: 'enum';
  readonly bits: number;
  readonly values: readonly string[];
}

/** One bit per flag, first flag in the most significant bit; decodes to an object of booleans. */
export interface FlagsField extends FieldBase {
  readonly kind: 'flags';
  readonly flags: readonly string[];
}

/** Fixed-length byte string; lowercase hex in the decoded object. */
export interface BytesField extends FieldBase {
  readonly kind: 'bytes';
  readonly length: number;
}

/** A count prefix of `countBits`, then that many records of `item` fields. */
export interface ListField extends FieldBase {
  readonly kind: 'list';
  readonly countBits: number;
  readonly minCount: number;
  readonly maxCount: number;
  readonly item: readonly Field[];
}

/**
 * Optional fields behind a presence bitmap (one bit per field, first field in the most significant bit);
 * only present fields follow. The fields belong to the enclosing object: the group has no name of its own.
 * Used for partial updates.
 */
export interface OptionalGroup {
  readonly kind: 'optional';
  readonly name: '';
  readonly description: string;
  readonly fields: readonly ValueField[];
}

export type ValueField = UIntField | IntField | ScaledField | BoolField | EnumField | FlagsField | BytesField | ListField;
export type Field = ValueField | OptionalGroup;

/** Names of the pure functions in derived-functions.js that the decoders may call. */
export type DerivedFunctionName = 'dewPoint' | 'frostPoint';

/** A value computed by the decoder from transmitted fields; never sent, ignored when encoding. */
export interface DerivedValue {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly fn: DerivedFunctionName;
  readonly args: readonly string[];
  /** Resolution the function rounds to (documentation and JSON Schema). */
  readonly resolution: number;
}

export interface MessageDef {
  readonly port: number;
  /** camelCase identifier, used in generated function names and for downlink selection. */
  readonly name: string;
  readonly title: string;
  readonly direction: Direction;
  readonly description: string;
  readonly fields: readonly Field[];
  readonly derived: readonly DerivedValue[];
}

type Meta = { description: string; reason?: string; unit?: string };

export function uint(name: string, bits: number, meta: Meta & { min?: number; max?: number; wraps?: boolean }): UIntField {
  const limit = 2 ** bits - 1;
  return { kind: 'uint', name, bits, ...meta, min: meta.min ?? 0, max: meta.max ?? limit, wraps: meta.wraps ?? false };
}

export function int(name: string, bits: number, meta: Meta & { min?: number; max?: number }): IntField {
  const half = 2 ** (bits - 1);
  return { kind: 'int', name, bits, ...meta, min: meta.min ?? -half, max: meta.max ?? half - 1 };
}

export function scaled(
  name: string,
  spec: { min: number; step: number; bits: number; max?: number; unit: string } & Meta,
): ScaledField {
  const top = decimalAdd(spec.min, spec.step, 2 ** spec.bits - 2);
  return { kind: 'scaled', ...spec, name, max: spec.max ?? top };
}

export function bool(name: string, meta: Meta): BoolField {
  return { kind: 'bool', name, ...meta };
}

export function enumeration(name: string, bits: number, values: readonly string[], meta: Meta): EnumField {
  return { kind: 'enum', name, bits, values, ...meta };
}

export function flags(name: string, names: readonly string[], meta: Meta): FlagsField {
  return { kind: 'flags', name, flags: names, ...meta };
}

export function bytes(name: string, length: number, meta: Meta): BytesField {
  return { kind: 'bytes', name, length, ...meta };
}

export function list(
  name: string,
  spec: { countBits: number; maxCount: number; minCount?: number; item: readonly Field[] } & Meta,
): ListField {
  return { kind: 'list', ...spec, name, minCount: spec.minCount ?? 0 };
}

export function optional(description: string, fields: readonly ValueField[]): OptionalGroup {
  return { kind: 'optional', name: '', description, fields };
}

export function derived(name: string, spec: Omit<DerivedValue, 'name'>): DerivedValue {
  return { name, ...spec };
}

export function message(def: Omit<MessageDef, 'derived'> & { derived?: readonly DerivedValue[] }): MessageDef {
  return { ...def, derived: def.derived ?? [] };
}

/** Number of decimal places needed to write `x` exactly (0.05 -> 2, 1 -> 0). */
export function decimalsOf(x: number): number {
  const text = String(x);
  const exp = /e-(\d+)$/.exec(text);
  if (exp) return Number(exp[1]) + (text.split('e')[0]!.split('.')[1]?.length ?? 0);
  return text.split('.')[1]?.length ?? 0;
}

/** min + step * n computed in integers so the result is the exact decimal. */
export function decimalAdd(min: number, step: number, n: number): number {
  const scale = 10 ** Math.max(decimalsOf(min), decimalsOf(step));
  return (Math.round(min * scale) + n * Math.round(step * scale)) / scale;
}
