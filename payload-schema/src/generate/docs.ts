/** Markdown byte-layout documentation of every message. */
import type { Field, MessageDef, ValueField } from '../dsl.ts';
import { fixedBits, messageSize, scaledConstants } from '../layout.ts';

export interface DocExample {
  description: string;
  hex: string;
  data: unknown;
}

function typeText(field: ValueField): string {
  switch (field.kind) {
    case 'uint':
      return field.wraps ? `uint${field.bits} (wraps)` : `uint${field.bits}`;
    case 'int':
      return `int${field.bits}`;
    case 'scaled':
      return `scaled ${field.bits} bits`;
    case 'bool':
      return 'bool';
    case 'enum':
      return `enum ${field.bits} bits`;
    case 'flags':
      return `flags ${field.flags.length} bits`;
    case 'bytes':
      return `${field.length} bytes`;
    case 'list':
      return `list (count ${field.countBits} bits)`;
  }
}

function rangeText(field: ValueField): { range: string; resolution: string; nullCode: string } {
  switch (field.kind) {
    case 'uint':
      return { range: field.wraps ? `0..${2 ** field.bits - 1}, modulo ${2 ** field.bits}` : `${field.min}..${field.max}`, resolution: '1', nullCode: '-' };
    case 'int':
      return { range: `${field.min}..${field.max}`, resolution: '1', nullCode: '-' };
    case 'scaled': {
      const k = scaledConstants(field);
      return {
        range: `${field.min}..${field.max} (raw 0..${k.maxRaw})`,
        resolution: String(field.step),
        nullCode: `0x${k.nullRaw.toString(16).toUpperCase()}`,
      };
    }
    case 'bool':
      return { range: 'false, true', resolution: '-', nullCode: '-' };
    case 'enum':
      return { range: field.values.map((v, i) => `${i} = \`${v}\``).join(', '), resolution: '-', nullCode: '-' };
    case 'flags':
      return { range: field.flags.map((f, i) => `bit ${field.flags.length - 1 - i} = \`${f}\``).join(', '), resolution: '-', nullCode: '-' };
    case 'bytes':
      return { range: `${field.length * 2} hex digits`, resolution: '-', nullCode: '-' };
    case 'list':
      return { range: `${field.minCount}..${field.maxCount} items`, resolution: '-', nullCode: '-' };
  }
}

const esc = (text: string): string => text.replace(/\|/g, '\\|');

interface Row {
  offset: string;
  bits: string;
  name: string;
  type: string;
  unit: string;
  range: string;
  resolution: string;
  nullCode: string;
  description: string;
}

/** Rows in wire order; offsets are absolute until the first variable-length part, then relative (`+n`). */
function rows(fields: readonly Field[], start: number | undefined, prefix: string): { rows: Row[]; end: number | undefined } {
  const out: Row[] = [];
  let offset = start;
  let relative = 0;
  const at = (): string => (offset === undefined ? `+${relative}` : String(offset));
  const advance = (bits: number | undefined): void => {
    if (bits === undefined) {
      offset = undefined;
      relative = 0;
    } else if (offset === undefined) relative += bits;
    else offset += bits;
  };
  const valueRow = (field: ValueField, note: string): Row => {
    const r = rangeText(field);
    const reason = field.reason ? ` *Why:* ${field.reason}` : '';
    return {
      offset: at(),
      bits: String(fixedBits(field) ?? ''),
      name: `\`${prefix}${field.name}\``,
      type: typeText(field),
      unit: field.unit ?? '-',
      ...r,
      description: esc(`${note}${field.description}${reason}`),
    };
  };
  for (const field of fields) {
    if (field.kind === 'optional') {
      out.push({
        offset: at(),
        bits: String(field.fields.length),
        name: '*presence map*',
        type: `flags ${field.fields.length} bits`,
        unit: '-',
        range: field.fields.map((f, i) => `bit ${field.fields.length - 1 - i} = \`${f.name}\``).join(', '),
        resolution: '-',
        nullCode: '-',
        description: esc(`${field.description} The fields below follow in this order, each only when its bit is set.`),
      });
      advance(field.fields.length);
      advance(undefined);
      for (const f of field.fields) {
        const row = valueRow(f, '*Optional.* ');
        row.offset = 'if present';
        out.push(row);
      }
      continue;
    }
    if (field.kind === 'list') {
      const row = valueRow(field, '');
      row.bits = String(field.countBits);
      row.description = esc(`Count prefix, then that many items of the fields \`${field.name}[].*\` below. ${field.description}${field.reason ? ` *Why:* ${field.reason}` : ''}`);
      out.push(row);
      advance(field.countBits);
      out.push(...rows(field.item, 0, `${prefix}${field.name}[].`).rows.map((r) => ({ ...r, offset: `item +${r.offset}` })));
      advance(undefined);
      continue;
    }
    out.push(valueRow(field, ''));
    advance(fixedBits(field));
  }
  return { rows: out, end: offset };
}

export function messageDoc(message: MessageDef, examples: readonly DocExample[]): string {
  const size = messageSize(message);
  const sizeText =
    size.fixedBytes !== undefined ? `${size.fixedBytes} bytes` : `${size.minBytes} to ${size.maxBytes} bytes`;
  const table = rows(message.fields, 0, '').rows;
  const lines = [
    `# FPort ${message.port}: ${message.title}`,
    '',
    `<!-- Generated by \`npm run build\` from payload-schema/src/catalog: do not edit. -->`,
    '',
    message.description,
    '',
    `- Direction: ${message.direction}`,
    `- Size: ${sizeText} (limit 51 bytes, DR0/SF12)`,
    message.direction === 'downlink'
      ? `- Name: \`${message.name}\` (formatter downlink data: \`{ "${message.name}": { ... } }\`)`
      : `- Name: \`${message.name}\``,
    '',
    'Bit offsets count from the most significant bit of the first byte; the last byte is padded with zero bits.',
    'A scaled value is `min + raw * step`; its null code (all ones) means *no reading* and decodes as `null`.',
    '',
    '| Bit | Bits | Field | Type | Unit | Range | Resolution | Null code | Description |',
    '|---|---|---|---|---|---|---|---|---|',
    ...table.map(
      (r) =>
        `| ${r.offset} | ${r.bits} | ${r.name} | ${r.type} | ${r.unit} | ${esc(r.range)} | ${r.resolution} | ${r.nullCode} | ${r.description} |`,
    ),
  ];
  if (message.derived.length) {
    lines.push('', '## Derived by the decoder', '', '| Field | Unit | From | Resolution | Description |', '|---|---|---|---|---|');
    for (const d of message.derived) {
      lines.push(`| \`${d.name}\` | ${d.unit} | ${d.args.map((a) => `\`${a}\``).join(', ')} | ${d.resolution} | ${esc(d.description)} |`);
    }
  }
  if (examples.length) {
    lines.push('', '## Examples', '');
    for (const ex of examples) {
      lines.push(`${ex.description}: \`${ex.hex}\``, '', '```json', JSON.stringify(ex.data, null, 2), '```', '');
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

export function catalogIndexDoc(messages: readonly MessageDef[]): string {
  const lines = [
    '# Payload catalog v1',
    '',
    '<!-- Generated by `npm run build` from payload-schema/src/catalog: do not edit. -->',
    '',
    'Every message is bit-packed, MSB first; FPort names the message type, so the payload carries no type byte.',
    'A changed layout gets a new FPort. Every message fits 51 bytes, so it can be sent at DR0 (SF12).',
    '',
    '| FPort | Message | Direction | Size |',
    '|---|---|---|---|',
  ];
  for (const m of messages) {
    const s = messageSize(m);
    const size = s.fixedBytes !== undefined ? `${s.fixedBytes} B` : `${s.minBytes}-${s.maxBytes} B`;
    lines.push(`| ${m.port} | [${m.title}](${m.name}.md) | ${m.direction} | ${size} |`);
  }
  return `${lines.join('\n')}\n`;
}
