/** JSON Schema (draft 2020-12) of every decoded object, derived values included. */
import type { Field, MessageDef, ValueField } from '../dsl.ts';

type Schema = Record<string, unknown>;

function valueSchema(field: ValueField): Schema {
  const meta: Schema = { description: field.description };
  if (field.unit) meta['x-unit'] = field.unit;
  switch (field.kind) {
    case 'uint':
    case 'int':
      return { ...meta, type: 'integer', minimum: field.min, maximum: field.kind === 'uint' && field.wraps ? 2 ** field.bits - 1 : field.max };
    case 'scaled':
      return { ...meta, type: ['number', 'null'], minimum: field.min, maximum: field.max, 'x-resolution': field.step };
    case 'bool':
      return { ...meta, type: 'boolean' };
    case 'enum':
      return { ...meta, enum: [...field.values] };
    case 'flags':
      return {
        ...meta,
        type: 'object',
        properties: Object.fromEntries(field.flags.map((f) => [f, { type: 'boolean' }])),
        required: [...field.flags],
        additionalProperties: false,
      };
    case 'bytes':
      return { ...meta, type: 'string', pattern: `^[0-9a-f]{${field.length * 2}}$` };
    case 'list':
      return { ...meta, type: 'array', minItems: field.minCount, maxItems: field.maxCount, items: objectSchema(field.item, []) };
  }
}

interface ObjectNode {
  properties: Record<string, Schema | ObjectNode>;
  required: string[];
}

function isNode(value: Schema | ObjectNode): value is ObjectNode {
  return 'properties' in value && 'required' in value && !('type' in value);
}

function put(root: ObjectNode, name: string, schema: Schema, required: boolean): void {
  const parts = name.split('.');
  const key = parts.pop()!;
  let node = root;
  for (const part of parts) {
    if (!node.properties[part]) {
      node.properties[part] = { properties: {}, required: [] };
      if (required && !node.required.includes(part)) node.required.push(part);
    }
    node = node.properties[part] as ObjectNode;
  }
  node.properties[key] = schema;
  if (required) node.required.push(key);
}

function finish(node: ObjectNode): Schema {
  const properties = Object.fromEntries(
    Object.entries(node.properties).map(([k, v]) => [k, isNode(v) ? finish(v) : v]),
  );
  return { type: 'object', properties, required: node.required, additionalProperties: false };
}

function objectSchema(fields: readonly Field[], derived: MessageDef['derived']): Schema {
  const root: ObjectNode = { properties: {}, required: [] };
  for (const field of fields) {
    if (field.kind === 'optional') for (const f of field.fields) put(root, f.name, valueSchema(f), false);
    else put(root, field.name, valueSchema(field), true);
  }
  for (const d of derived) {
    put(root, d.name, { description: `Derived: ${d.description}`, 'x-unit': d.unit, type: ['number', 'null'] }, true);
  }
  return finish(root);
}

export function jsonSchema(message: MessageDef, version: string): Schema {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `urn:stadtsensor:payload:${version}:${message.name}`,
    title: message.title,
    description: `${message.description} FPort ${message.port}, ${message.direction}.`,
    ...objectSchema(message.fields, message.derived),
  };
}
