/** TypeScript declarations of every message's object, for the firmware module's .d.ts. */
import type { Field, MessageDef, ValueField } from '../dsl.ts';
import { pascal, decoderName, encoderName } from './es5-codec.ts';

/** A nested property tree: leaves are TypeScript type texts. */
interface Node {
  [key: string]: { type: string; optional: boolean; doc: string } | Node;
}

function valueType(field: ValueField): string {
  switch (field.kind) {
    case 'uint':
    case 'int':
      return 'number';
    case 'scaled':
      return 'number | null';
    case 'bool':
      return 'boolean';
    case 'enum':
      return field.values.map((v) => JSON.stringify(v)).join(' | ');
    case 'flags':
      return `{ ${field.flags.map((f) => `${f}?: boolean`).join('; ')} }`;
    case 'bytes':
      return 'string';
    case 'list':
      return `Array<${render(tree(field.item), '  ')}>`;
  }
}

function put(node: Node, name: string, leaf: { type: string; optional: boolean; doc: string }): void {
  const parts = name.split('.');
  const key = parts.pop()!;
  for (const part of parts) node = (node[part] ??= {}) as Node;
  node[key] = leaf;
}

function tree(fields: readonly Field[]): Node {
  const root: Node = {};
  for (const field of fields) {
    const optional = field.kind === 'optional';
    for (const f of optional ? field.fields : [field]) {
      const unit = f.unit ? ` [${f.unit}]` : '';
      put(root, f.name, { type: valueType(f), optional, doc: `${f.description}${unit}` });
    }
  }
  return root;
}

/** A nested object whose every value is optional is optional itself (an optional group's `parking.*`). */
function allOptional(node: Node): boolean {
  return Object.values(node).every((v) => ('type' in v && typeof v.type === 'string' ? (v as { optional: boolean }).optional : allOptional(v as Node)));
}

function render(node: Node, indent: string): string {
  const lines = ['{'];
  for (const [key, value] of Object.entries(node)) {
    if ('type' in value && typeof value.type === 'string') {
      const leaf = value as { type: string; optional: boolean; doc: string };
      lines.push(`${indent}  /** ${leaf.doc.replace(/\*\//g, '* /')} */`);
      lines.push(`${indent}  ${key}${leaf.optional ? '?' : ''}: ${leaf.type};`);
    } else {
      lines.push(`${indent}  ${key}${allOptional(value as Node) ? '?' : ''}: ${render(value as Node, `${indent}  `)};`);
    }
  }
  lines.push(`${indent}}`);
  return lines.join('\n');
}

export function emitTypeDeclarations(messages: readonly MessageDef[]): string {
  return messages
    .map((m) => {
      const root = tree(m.fields);
      for (const d of m.derived) put(root, d.name, { type: 'number | null', optional: true, doc: `Derived: ${d.description} [${d.unit}]` });
      const type = pascal(m.name);
      return [
        `/** FPort ${m.port}, ${m.direction}: ${m.title}. */`,
        `export interface ${type} ${render(root, '')}`,
        `export declare function ${encoderName(m)}(value: ${type}): Uint8Array;`,
        `export declare function ${decoderName(m)}(bytes: Uint8Array | number[]): ${type};`,
      ].join('\n');
    })
    .join('\n\n');
}
