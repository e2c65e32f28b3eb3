/** Checks a catalog before any codec or generator uses it: a bad definition fails at load time, not on the air. */
import type { Field, MessageDef } from './dsl.ts';
import { messageSize, scaledConstants, walkFields } from './layout.ts';

/** LoRaWAN EU868 DR0 (SF12) application payload limit. */
export const MAX_PAYLOAD_BYTES = 51;

const IDENTIFIER = /^[a-z][A-Za-z0-9]*$/;
const RESERVED = new Set(['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf']);

export class SchemaDefinitionError extends Error {
  override readonly name = 'SchemaDefinitionError';
}

function checkName(where: string, name: string): void {
  for (const part of name.split('.')) {
    if (!IDENTIFIER.test(part) || RESERVED.has(part)) {
      throw new SchemaDefinitionError(`${where}: "${name}" is not a valid field name`);
    }
  }
}

function checkFields(where: string, fields: readonly Field[], inGroup: boolean): void {
  const names = new Set<string>();
  for (const field of fields) {
    if (field.kind === 'optional') {
      if (inGroup) throw new SchemaDefinitionError(`${where}: optional groups cannot nest`);
      if (field.fields.length < 1 || field.fields.length > 32) {
        throw new SchemaDefinitionError(`${where}: an optional group holds 1 to 32 fields`);
      }
      checkFields(where, field.fields, true);
      for (const f of field.fields) names.add(f.name);
      continue;
    }
    const at = `${where}.${field.name}`;
    checkName(where, field.name);
    if (names.has(field.name)) throw new SchemaDefinitionError(`${at}: duplicate field`);
    for (const other of names) {
      if (other.startsWith(`${field.name}.`) || field.name.startsWith(`${other}.`)) {
        throw new SchemaDefinitionError(`${at}: clashes with ${other}`);
      }
    }
    names.add(field.name);
    switch (field.kind) {
      case 'uint':
      case 'int':
      case 'scaled':
      case 'enum':
        if (!Number.isInteger(field.bits) || field.bits < 1 || field.bits > 32) {
          throw new SchemaDefinitionError(`${at}: bits must be 1-32`);
        }
        break;
      default:
        break;
    }
    if (field.kind === 'uint' && (field.min < 0 || field.max > 2 ** field.bits - 1 || field.min > field.max)) {
      throw new SchemaDefinitionError(`${at}: min/max outside the ${field.bits}-bit range`);
    }
    if (field.kind === 'int' && (field.min < -(2 ** (field.bits - 1)) || field.max > 2 ** (field.bits - 1) - 1)) {
      throw new SchemaDefinitionError(`${at}: min/max outside the ${field.bits}-bit range`);
    }
    if (field.kind === 'scaled') {
      if (!(field.step > 0)) throw new SchemaDefinitionError(`${at}: step must be positive`);
      const k = scaledConstants(field);
      const top = (k.minInt + (k.nullRaw - 1) * k.stepInt) / k.scale;
      if (k.maxRaw < 0 || field.max > top || Math.abs(k.stepInt / k.scale - field.step) > 1e-12) {
        throw new SchemaDefinitionError(`${at}: min/step/max do not fit ${field.bits} bits`);
      }
    }
    if (field.kind === 'enum') {
      if (field.values.length < 1 || field.values.length > 2 ** field.bits) {
        throw new SchemaDefinitionError(`${at}: ${field.values.length} labels do not fit ${field.bits} bits`);
      }
      if (new Set(field.values).size !== field.values.length) throw new SchemaDefinitionError(`${at}: duplicate label`);
    }
    if (field.kind === 'flags') {
      if (field.flags.length < 1 || field.flags.length > 32) throw new SchemaDefinitionError(`${at}: 1-32 flags`);
      field.flags.forEach((f) => checkName(at, f));
      if (new Set(field.flags).size !== field.flags.length) throw new SchemaDefinitionError(`${at}: duplicate flag`);
    }
    if (field.kind === 'bytes' && !(Number.isInteger(field.length) && field.length >= 1)) {
      throw new SchemaDefinitionError(`${at}: length must be a positive integer`);
    }
    if (field.kind === 'list') {
      if (field.countBits < 1 || field.countBits > 8) throw new SchemaDefinitionError(`${at}: countBits must be 1-8`);
      if (field.maxCount > 2 ** field.countBits - 1 || field.minCount > field.maxCount || field.minCount < 0) {
        throw new SchemaDefinitionError(`${at}: counts do not fit ${field.countBits} bits`);
      }
      checkFields(at, field.item, false);
      if (field.item.some((f) => f.kind === 'list' || f.kind === 'optional')) {
        throw new SchemaDefinitionError(`${at}: list items hold plain fields only`);
      }
    }
  }
}

export function validateMessage(message: MessageDef): void {
  const where = `${message.name} (FPort ${message.port})`;
  if (!Number.isInteger(message.port) || message.port < 1 || message.port > 223) {
    throw new SchemaDefinitionError(`${where}: application FPorts are 1-223`);
  }
  if (!IDENTIFIER.test(message.name)) throw new SchemaDefinitionError(`${where}: invalid message name`);
  checkFields(where, message.fields, false);
  const fieldPaths = new Set(walkFields(message.fields).map((f) => f.path));
  for (const d of message.derived) {
    checkName(where, d.name);
    if (fieldPaths.has(d.name)) throw new SchemaDefinitionError(`${where}: derived ${d.name} clashes with a field`);
    for (const arg of d.args) {
      if (!fieldPaths.has(arg)) throw new SchemaDefinitionError(`${where}: derived ${d.name} needs unknown field ${arg}`);
    }
  }
  const { maxBytes } = messageSize(message);
  if (maxBytes > MAX_PAYLOAD_BYTES) {
    throw new SchemaDefinitionError(`${where}: up to ${maxBytes} bytes, more than the ${MAX_PAYLOAD_BYTES} bytes sendable at DR0`);
  }
}

export function validateCatalog(messages: readonly MessageDef[]): void {
  const ports = new Set<number>();
  const names = new Set<string>();
  for (const message of messages) {
    validateMessage(message);
    if (ports.has(message.port)) throw new SchemaDefinitionError(`FPort ${message.port} is used twice`);
    if (names.has(message.name)) throw new SchemaDefinitionError(`message name ${message.name} is used twice`);
    ports.add(message.port);
    names.add(message.name);
  }
}
