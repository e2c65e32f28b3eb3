/**
 * The ECMAScript 5.1 interpreter shared by the generated formatter and firmware module: it encodes and decodes
 * any message from its layout table (es5-codec.ts emits one per message). Every field kind is an object
 * { read, write } that the tables refer to, so a bundler drops the kinds no imported message uses.
 * Everything here must run on The Things Stack (ES5.1), ChirpStack (QuickJS) and the Espruino interpreter:
 * no ES2015 syntax, no Map/Set, every function and variable defined before anything calls or reads it.
 */
import { ERROR_TEMPLATES } from '../errors.ts';

export type ByteTarget = 'array' | 'uint8array';

/**
 * 'text': errors carry the full message of errors.ts (the formatter, and the firmware module the golden vectors check).
 * 'codes': the message is `field: CODE` (or `CODE`), with the same .code and .field; no templates, no parameters and
 * no input-type check of decoded bytes: what a firmware bundle carries, where TypeScript types the decoder's input.
 */
export type ErrorStyle = 'text' | 'codes';

/** A `fail(...)` call for the style: `params` is the JavaScript text of the template parameters (text style only). */
export function failCall(style: ErrorStyle, code: string, field: string, params = '{}'): string {
  return style === 'text' ? `fail(${code}, ${field}, ${params})` : `fail(${code}, ${field})`;
}

/** A wrong message length: the text style names what was expected (`args`: atLeast, expected, actual). */
function wrongLength(style: ErrorStyle, args: string): string {
  return style === 'text' ? `lengthError(${args})` : failCall(style, 'WRONG_LENGTH', "''");
}

/** Errors, type checks and the bit reader and writer. */
function basics(target: ByteTarget, style: ErrorStyle): string {
  const F = (code: string, field: string, params?: string): string => failCall(style, code, field, params);
  const writer =
    target === 'array'
      ? `function newWriter(n) {
  var b = [], i;
  for (i = 0; i < n; i++) b.push(0);
  return { b: b, p: 0 };
}
function finish(w) {
  return w.b.slice(0, (w.p + 7) >> 3);
}`
      : `function newWriter(n) {
  return { b: new Uint8Array(n), p: 0 };
}
function finish(w) {
  return new Uint8Array(w.b.buffer, 0, (w.p + 7) >> 3);
}`;
  const errors = Object.entries(ERROR_TEMPLATES)
    .map(([code, text]) => `var ${code} = ${JSON.stringify(style === 'text' ? [code, text] : code)};`)
    .join('\n');
  // Only the network-server target keeps split paths: on Espruino the cache would hold RAM for good.
  const pathParts =
    target === 'array'
      ? `/* Dotted names are split once: V8 fills decoded objects much faster with the same key strings. */
var PATHS = Object.create(null);
function pathParts(name) {
  return PATHS[name] || (PATHS[name] = name.split('.'));
}`
      : `function pathParts(name) {
  return name.split('.');
}`;
  const failing =
    style === 'text'
      ? `/* Errors: [code, text]; fail() throws an Error with .code and .field. */
${errors}
function fmt(t, p) {
  var out = '', i = 0, j, k;
  while ((j = t.indexOf('{', i)) >= 0) {
    k = t.indexOf('}', j);
    out += t.substring(i, j) + String(p[t.substring(j + 1, k)]);
    i = k + 1;
  }
  return out + t.substring(i);
}
function fail(error, field, params) {
  var text = fmt(error[1], params);
  var e = new Error(field ? field + ': ' + text : text);
  e.code = error[0];
  e.field = field;
  throw e;
}`
      : `/* Error codes; fail() throws an Error with .code and .field whose message is \`field: CODE\`. */
${errors}
function fail(code, field) {
  var e = new Error(field ? field + ': ' + code : code);
  e.code = code;
  e.field = field;
  throw e;
}`;
  const described =
    style === 'text'
      ? `
function typeName(v) {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}
function describeValue(v) {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'function') return 'a function';
  if (v !== null && typeof v === 'object') return Array.isArray(v) ? 'an array' : 'an object';
  return String(v);
}`
      : '';
  const lengthError =
    style === 'text'
      ? `
function lengthError(atLeast, expected, actual) {
  ${F('WRONG_LENGTH', "''", '{ atLeast: atLeast, expected: expected, actual: actual }')};
}`
      : '';
  const checkBytes =
    style === 'text'
      ? `
function checkBytes(b) {
  var ok = Array.isArray(b) || (typeof Uint8Array !== 'undefined' && b instanceof Uint8Array), i;
  if (ok) {
    for (i = 0; i < b.length; i++) {
      if (typeof b[i] !== 'number' || b[i] < 0 || b[i] > 255 || Math.floor(b[i]) !== b[i]) { ok = false; break; }
    }
  }
  if (!ok) ${F('WRONG_TYPE', "''", "{ expected: 'bytes (0-255)', actual: typeName(b) }")};
}`
      : '';
  const isHex =
    style === 'text'
      ? `function isHex(s) {
  var i;
  for (i = 0; i < s.length; i++) if ('0123456789abcdefABCDEF'.indexOf(s.charAt(i)) < 0) return false;
  return true;
}`
      : `function isHex(s) {
  return /^[0-9a-fA-F]*$/.test(s);
}`;
  return `${failing}
function hop(o, k) {
  return Object.prototype.hasOwnProperty.call(o, k);
}
function isObj(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}${described}${lengthError}
function checkRange(v, min, max, f) {
  if (v < min || v > max) ${F('OUT_OF_RANGE', 'f', '{ value: v, min: min, max: max }')};
  return v;
}
function requireObject(v, f) {
  if (!isObj(v)) ${F('WRONG_TYPE', 'f', "{ expected: 'an object', actual: typeName(v) }")};
}
function requireNumber(v, f, nullable) {
  if (v === null && nullable) return null;
  if (typeof v !== 'number') ${F('WRONG_TYPE', 'f', "{ expected: nullable ? 'a number or null' : 'a number', actual: typeName(v) }")};
  if (!isFinite(v)) ${F('NOT_FINITE', 'f', '{ value: String(v) }')};
  return v;
}
function requireInteger(v, f, min, max) {
  requireNumber(v, f, false);
  if (Math.floor(v) !== v) ${F('NOT_INTEGER', 'f', '{ value: v }')};
  return checkRange(v, min, max, f);
}
${isHex}
function byteHex(v) {
  return (v < 16 ? '0' : '') + v.toString(16);
}${checkBytes}
/* Fields are bit-packed MSB first; a reader or writer is { b: bytes, p: bit position }. */
function readBits(r, n) {
  if (r.p + n > r.b.length * 8) ${wrongLength(style, "'at least ', Math.ceil((r.p + n) / 8), r.b.length")};
  var v = 0, p = r.p, b = r.b, a, t;
  while (n > 0) {
    a = 8 - (p & 7);
    t = n < a ? n : a;
    v = v * (1 << t) + ((b[p >> 3] >> (a - t)) & ((1 << t) - 1));
    p += t;
    n -= t;
  }
  r.p = p;
  return v;
}
${writer}
function writeBits(w, v, n) {
  var p = w.p, f, t;
  while (n > 0) {
    f = 8 - (p & 7);
    t = n < f ? n : f;
    w.b[p >> 3] |= ((v >>> (n - t)) & ((1 << t) - 1)) << (f - t);
    p += t;
    n -= t;
  }
  w.p = p;
}
${pathParts}
/* The value at a dotted path ('air.temperature'): own properties of objects only, else undefined. */
function getPath(o, name) {
  var parts = pathParts(name), i;
  for (i = 0; i < parts.length; i++) {
    if (!isObj(o) || !hop(o, parts[i])) return undefined;
    o = o[parts[i]];
  }
  return o;
}
function setPath(o, name, v) {
  var parts = pathParts(name), i;
  for (i = 0; i < parts.length - 1; i++) {
    if (o[parts[i]] === undefined) o[parts[i]] = {};
    o = o[parts[i]];
  }
  o[parts[i]] = v;
}`;
}

/** The generic walk over a field table, and the message-level encode and decode. */
function interpreter(checkFieldNames: boolean, style: ErrorStyle): string {
  const F = (code: string, field: string, params?: string): string => failCall(style, code, field, params);
  const names = `
/* Allowed input names, built from a table: 1 for a value, an object for a parent, [object] for list items. */
function putName(tree, name, v) {
  var parts = pathParts(name), i;
  for (i = 0; i < parts.length - 1; i++) tree = hop(tree, parts[i]) ? tree[parts[i]] : (tree[parts[i]] = {});
  tree[parts[i]] = v;
}
function nameTree(fields, tree) {
  var i, d;
  for (i = 0; i < fields.length; i++) {
    d = fields[i];
    if (d[0] === OPTIONAL) nameTree(groupMembers(d), tree);
    else putName(tree, d[1], d[0] === LIST ? [nameTree(d[5], {})] : 1);
  }
  return tree;
}
function checkNames(o, t, pre) {
  var k, n, v, i;
  for (k in o) {
    if (!hop(o, k)) continue;
    n = hop(t, k) ? t[k] : undefined;
    if (n === undefined) ${F('UNKNOWN_FIELD', 'pre + k')};
    v = o[k];
    if (n === 1) continue;
    if (Array.isArray(n)) {
      if (Array.isArray(v)) {
        for (i = 0; i < v.length; i++) if (isObj(v[i])) checkNames(v[i], n[0], pre + k + '[' + i + '].');
      }
    } else if (isObj(v)) {
      checkNames(v, n, pre + k + '.');
    }
  }
}`;
  const check = `
  /* derived names are allowed (a decoded object sent back) and ignored */
  tree = nameTree(layout.fields, {});
  for (i = 0; derived && i < derived.length; i++) putName(tree, derived[i][1], 1);
  checkNames(o, tree, '');`;
  return `/*
 * A layout is { maxBytes, fixedBytes (when every encoding has that length), fields }. fields lists field
 * descriptors [KIND, name, constants...] in transmission order; name is a dotted path in the object.
 * [OPTIONAL, fields, more fields...] is a group behind a presence bitmap, one bit per member (first in the MSB),
 * whose members belong to the enclosing object. Values the decoder derives from decoded fields are listed
 * apart, as [function, name, argument names...], so that an encoder does not pull their functions in.
 */
var OPTIONAL = 'optional';
function groupMembers(d) {
  var out = [], i;
  for (i = 1; i < d.length; i++) out = out.concat(d[i]);
  return out;
}
function readFields(r, fields, o, pre) {
  var i, j, d, m, present;
  for (i = 0; i < fields.length; i++) {
    d = fields[i];
    if (d[0] !== OPTIONAL) {
      setPath(o, d[1], d[0].read(r, d, pre + d[1]));
      continue;
    }
    m = groupMembers(d);
    present = readBits(r, m.length);
    for (j = 0; j < m.length; j++) {
      if ((present >>> (m.length - 1 - j)) & 1) setPath(o, m[j][1], m[j][0].read(r, m[j], pre + m[j][1]));
    }
  }
}
function writeFields(w, fields, o, pre) {
  var i, j, d, m, v;
  for (i = 0; i < fields.length; i++) {
    d = fields[i];
    if (d[0] !== OPTIONAL) {
      v = getPath(o, d[1]);
      if (v === undefined) ${F('MISSING_FIELD', 'pre + d[1]')};
      d[0].write(w, v, d, pre + d[1]);
      continue;
    }
    m = groupMembers(d);
    v = [];
    for (j = 0; j < m.length; j++) {
      v.push(getPath(o, m[j][1]));
      writeBits(w, v[j] !== undefined ? 1 : 0, 1);
    }
    for (j = 0; j < m.length; j++) if (v[j] !== undefined) m[j][0].write(w, v[j], m[j], pre + m[j][1]);
  }
}${checkFieldNames ? names : ''}
function pack(layout, o${checkFieldNames ? ', derived' : ''}) {
  var w${checkFieldNames ? ', tree, i' : ''};
  requireObject(o, '');${checkFieldNames ? check : ''}
  w = newWriter(layout.maxBytes);
  writeFields(w, layout.fields, o, '');
  return finish(w);
}
function unpack(layout, bytes) {
  var r = { b: bytes, p: 0 }, o = {};
${style === 'text' ? '  checkBytes(bytes);\n' : ''}  if (layout.fixedBytes !== undefined && bytes.length !== layout.fixedBytes) ${wrongLength(style, "'', layout.fixedBytes, bytes.length")};
  readFields(r, layout.fields, o, '');
  if ((r.p + 7) >> 3 !== bytes.length) ${wrongLength(style, "'', (r.p + 7) >> 3, bytes.length")};
  return o;
}
/* Adds the derived values to a decoded object: the functions get null for a missing or null argument. */
function derive(o, derived) {
  var i, j, d, args, v;
  for (i = 0; i < derived.length; i++) {
    d = derived[i];
    args = [];
    for (j = 2; j < d.length; j++) {
      v = getPath(o, d[j]);
      args.push(typeof v === 'number' ? v : null);
    }
    setPath(o, d[1], d[0].apply(null, args));
  }
  return o;
}`;
}

/**
 * The field kinds: read(r, d, f) returns the decoded value, write(w, v, d, f) checks a defined value and writes it;
 * d is the descriptor and f the field's path in error messages (`bookings[2].kind`).
 */
function kinds(style: ErrorStyle): string {
  const F = (code: string, field: string, params?: string): string => failCall(style, code, field, params);
  return `/* [UINT, name, bits, min, max] */
function readUint(r, d, f) {
  return checkRange(readBits(r, d[2]), d[3], d[4], f);
}
var UINT = {
  read: readUint,
  write: function (w, v, d, f) {
    writeBits(w, requireInteger(v, f, d[3], d[4]), d[2]);
  }
};
/* [COUNTER, name, bits, min, max]: an unsigned counter sent modulo 2^bits; any non-negative integer encodes. */
var COUNTER = {
  read: readUint,
  write: function (w, v, d, f) {
    writeBits(w, requireInteger(v, f, 0, 9007199254740991) % Math.pow(2, d[2]), d[2]);
  }
};
/* [INT, name, bits, min, max]: two's complement */
var INT = {
  read: function (r, d, f) {
    var v = readBits(r, d[2]);
    if (v >= Math.pow(2, d[2] - 1)) v -= Math.pow(2, d[2]);
    return checkRange(v, d[3], d[4], f);
  },
  write: function (w, v, d, f) {
    requireInteger(v, f, d[3], d[4]);
    writeBits(w, v < 0 ? v + Math.pow(2, d[2]) : v, d[2]);
  }
};
/* [SCALED, name, bits, minInt, stepInt, scale, maxRaw, min, max]: value = (minInt + raw * stepInt) / scale,
   exact in decimal; the all-ones raw value means null. */
var SCALED = {
  read: function (r, d, f) {
    var raw = readBits(r, d[2]);
    if (raw > d[6]) {
      if (raw === Math.pow(2, d[2]) - 1) return null;
      ${F('OUT_OF_RANGE', 'f', '{ value: (d[3] + raw * d[4]) / d[5], min: d[7], max: d[8] }')};
    }
    return (d[3] + raw * d[4]) / d[5];
  },
  write: function (w, v, d, f) {
    var raw;
    if (requireNumber(v, f, true) === null) {
      raw = Math.pow(2, d[2]) - 1;
    } else {
      raw = Math.round((v * d[5] - d[3]) / d[4]);
      if (!(raw >= 0 && raw <= d[6])) ${F('OUT_OF_RANGE', 'f', '{ value: v, min: d[7], max: d[8] }')};
    }
    writeBits(w, raw, d[2]);
  }
};
/* [BOOL, name] */
var BOOL = {
  read: function (r) {
    return readBits(r, 1) === 1;
  },
  write: function (w, v, d, f) {
    if (typeof v !== 'boolean') ${F('WRONG_TYPE', 'f', "{ expected: 'a boolean', actual: typeName(v) }")};
    writeBits(w, v ? 1 : 0, 1);
  }
};
/* [ENUM, name, bits, labels]: label i is sent as i */
var ENUM = {
  read: function (r, d, f) {
    var raw = readBits(r, d[2]);
    if (raw >= d[3].length) ${F('UNKNOWN_ENUM', 'f', "{ value: raw, labels: d[3].join(', ') }")};
    return d[3][raw];
  },
  write: function (w, v, d, f) {
    var raw = typeof v === 'string' ? d[3].indexOf(v) : -1;
    if (raw < 0) ${F('UNKNOWN_ENUM', 'f', "{ value: describeValue(v), labels: d[3].join(', ') }")};
    writeBits(w, raw, d[2]);
  }
};
/* [FLAGS, name, flag names]: one bit each, first in the MSB; an object of booleans */
var FLAGS = {
  read: function (r, d) {
    var o = {}, i;
    for (i = 0; i < d[2].length; i++) o[d[2][i]] = readBits(r, 1) === 1;
    return o;
  },
  write: function (w, v, d, f) {
    var k, i;
    if (!isObj(v)) ${F('WRONG_TYPE', 'f', "{ expected: 'an object of booleans', actual: typeName(v) }")};
    for (k in v) {
      if (!hop(v, k)) continue;
      if (d[2].indexOf(k) < 0) ${F('UNKNOWN_FLAG', 'f', '{ value: describeValue(k) }')};
      if (typeof v[k] !== 'boolean' && v[k] !== undefined) ${F('WRONG_TYPE', "f + '.' + k", "{ expected: 'a boolean', actual: typeName(v[k]) }")};
    }
    for (i = 0; i < d[2].length; i++) writeBits(w, hop(v, d[2][i]) && v[d[2][i]] === true ? 1 : 0, 1);
  }
};
/* [BYTES, name, length]: lowercase hex */
var BYTES = {
  read: function (r, d) {
    var s = '', i;
    for (i = 0; i < d[2]; i++) s += byteHex(readBits(r, 8));
    return s;
  },
  write: function (w, v, d, f) {
    var i;
    if (typeof v !== 'string' || v.length !== d[2] * 2 || !isHex(v)) {
      ${F('WRONG_TYPE', 'f', "{ expected: d[2] + ' bytes as ' + d[2] * 2 + ' hex digits', actual: describeValue(v) }")};
    }
    for (i = 0; i < d[2]; i++) writeBits(w, parseInt(v.substring(i * 2, i * 2 + 2), 16), 8);
  }
};
/* [LIST, name, countBits, minCount, maxCount, item fields]: a count, then that many records */
var LIST = {
  read: function (r, d, f) {
    var n = checkRange(readBits(r, d[2]), d[3], d[4], f), a = [], i, item;
    for (i = 0; i < n; i++) {
      item = {};
      readFields(r, d[5], item, f + '[' + i + '].');
      a.push(item);
    }
    return a;
  },
  write: function (w, v, d, f) {
    var i;
    if (!Array.isArray(v)) ${F('WRONG_TYPE', 'f', "{ expected: 'an array', actual: typeName(v) }")};
    writeBits(w, checkRange(v.length, d[3], d[4], f), d[2]);
    for (i = 0; i < v.length; i++) {
      requireObject(v[i], f + '[' + i + ']');
      writeFields(w, d[5], v[i], f + '[' + i + '].');
    }
  }
};`;
}

/** Helpers, the table interpreter and the field kinds, in the order Espruino needs them defined. */
export function es5Runtime(target: ByteTarget, checkFieldNames: boolean, style: ErrorStyle): string {
  return [basics(target, style), interpreter(checkFieldNames, style), kinds(style)].join('\n');
}
