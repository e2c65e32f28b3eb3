/**
 * The small ECMAScript 5.1 runtime shared by the generated formatter and firmware module. Each message gets
 * specialised straight-line code (es5-codec.ts) that calls these helpers with its constants.
 * Everything here must run on The Things Stack (ES5.1), ChirpStack (QuickJS) and the Espruino interpreter:
 * no ES2015 syntax, no Map/Set, every function defined before anything calls it.
 */
import { ERROR_TEMPLATES } from '../errors.ts';

export type ByteTarget = 'array' | 'uint8array';

export function es5Runtime(target: ByteTarget): string {
  const newWriter =
    target === 'array'
      ? `function nw(n) {
  var b = [], i;
  for (i = 0; i < n; i++) b.push(0);
  return { b: b, p: 0 };
}
function fin(w) {
  return w.b.slice(0, (w.p + 7) >> 3);
}`
      : `function nw(n) {
  return { b: new Uint8Array(n), p: 0 };
}
function fin(w) {
  return new Uint8Array(w.b.buffer, 0, (w.p + 7) >> 3);
}`;
  return `var ERR = ${JSON.stringify(ERROR_TEMPLATES)};
function fmt(t, p) {
  var out = '', i = 0, j, k;
  while ((j = t.indexOf('{', i)) >= 0) {
    k = t.indexOf('}', j);
    out += t.substring(i, j) + String(p[t.substring(j + 1, k)]);
    i = k + 1;
  }
  return out + t.substring(i);
}
function fail(code, field, params) {
  var text = fmt(ERR[code], params);
  var e = new Error(field ? field + ': ' + text : text);
  e.code = code;
  e.field = field;
  throw e;
}
function hop(o, k) {
  return Object.prototype.hasOwnProperty.call(o, k);
}
function isObj(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function tn(v) {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}
function dsc(v) {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}
function cb(b) {
  var ok = Array.isArray(b) || (typeof Uint8Array !== 'undefined' && b instanceof Uint8Array), i;
  if (ok) {
    for (i = 0; i < b.length; i++) {
      if (typeof b[i] !== 'number' || b[i] < 0 || b[i] > 255 || Math.floor(b[i]) !== b[i]) { ok = false; break; }
    }
  }
  if (!ok) fail('WRONG_TYPE', '', { expected: 'bytes (0-255)', actual: tn(b) });
}
function len(b, n) {
  if (b.length !== n) fail('WRONG_LENGTH', '', { atLeast: '', expected: n, actual: b.length });
}
function end(r) {
  var used = (r.p + 7) >> 3;
  if (used !== r.b.length) fail('WRONG_LENGTH', '', { atLeast: '', expected: used, actual: r.b.length });
}
function rd(r, n) {
  if (r.p + n > r.b.length * 8) {
    fail('WRONG_LENGTH', '', { atLeast: 'at least ', expected: Math.ceil((r.p + n) / 8), actual: r.b.length });
  }
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
function rU(r, n, min, max, f) {
  var v = rd(r, n);
  if (v < min || v > max) fail('OUT_OF_RANGE', f, { value: v, min: min, max: max });
  return v;
}
function rI(r, n, min, max, f) {
  var v = rd(r, n);
  if (v >= Math.pow(2, n - 1)) v -= Math.pow(2, n);
  if (v < min || v > max) fail('OUT_OF_RANGE', f, { value: v, min: min, max: max });
  return v;
}
function rS(r, n, mi, st, sc, mx, min, max, f) {
  var raw = rd(r, n), v;
  if (raw === Math.pow(2, n) - 1) return null;
  v = (mi + raw * st) / sc;
  if (raw > mx) fail('OUT_OF_RANGE', f, { value: v, min: min, max: max });
  return v;
}
function rE(r, n, labels, f) {
  var raw = rd(r, n);
  if (raw >= labels.length) fail('UNKNOWN_ENUM', f, { value: raw, labels: labels.join(', ') });
  return labels[raw];
}
function rF(r, names) {
  var o = {}, i;
  for (i = 0; i < names.length; i++) o[names[i]] = rd(r, 1) === 1;
  return o;
}
function rX(r, n) {
  var s = '', i, v;
  for (i = 0; i < n; i++) {
    v = rd(r, 8);
    s += (v < 16 ? '0' : '') + v.toString(16);
  }
  return s;
}
function rL(r, n, min, max, f) {
  var c = rd(r, n);
  if (c < min || c > max) fail('OUT_OF_RANGE', f, { value: c, min: min, max: max });
  return c;
}
function dv(o, path) {
  var i;
  for (i = 0; i < path.length; i++) {
    if (!isObj(o)) return null;
    o = o[path[i]];
  }
  return typeof o === 'number' ? o : null;
}
${newWriter}
function wr(w, v, n) {
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
function gv(o, parents, k) {
  var i;
  for (i = 0; i < parents.length; i++) {
    if (!isObj(o) || !hop(o, parents[i])) return undefined;
    o = o[parents[i]];
  }
  return isObj(o) && hop(o, k) ? o[k] : undefined;
}
function co(o, f) {
  if (!isObj(o)) fail('WRONG_TYPE', f, { expected: 'an object', actual: tn(o) });
}
function ck(o, t, pre) {
  var k, n, v, i;
  for (k in o) {
    if (!hop(o, k)) continue;
    n = hop(t, k) ? t[k] : undefined;
    if (n === undefined) fail('UNKNOWN_FIELD', pre + k, {});
    v = o[k];
    if (n === 1) continue;
    if (Array.isArray(n)) {
      if (Array.isArray(v)) {
        for (i = 0; i < v.length; i++) if (isObj(v[i])) ck(v[i], n[0], pre + k + '[' + i + '].');
      }
    } else if (isObj(v)) {
      ck(v, n, pre + k + '.');
    }
  }
}
function num(v, f, nullable) {
  if (v === undefined) fail('MISSING_FIELD', f, {});
  if (v === null && nullable) return null;
  if (typeof v !== 'number') fail('WRONG_TYPE', f, { expected: nullable ? 'a number or null' : 'a number', actual: tn(v) });
  if (!isFinite(v)) fail('NOT_FINITE', f, { value: String(v) });
  return v;
}
function int(v, f, min, max) {
  num(v, f, false);
  if (Math.floor(v) !== v) fail('NOT_INTEGER', f, { value: v });
  if (v < min || v > max) fail('OUT_OF_RANGE', f, { value: v, min: min, max: max });
  return v;
}
function wU(w, v, n, min, max, f) {
  wr(w, int(v, f, min, max), n);
}
function wW(w, v, n, f) {
  wr(w, int(v, f, 0, 9007199254740991) % Math.pow(2, n), n);
}
function wI(w, v, n, min, max, f) {
  int(v, f, min, max);
  wr(w, v < 0 ? v + Math.pow(2, n) : v, n);
}
function wS(w, v, n, mi, st, sc, mx, min, max, f) {
  var raw;
  if (num(v, f, true) === null) {
    wr(w, Math.pow(2, n) - 1, n);
    return;
  }
  raw = Math.round((v * sc - mi) / st);
  if (!(raw >= 0 && raw <= mx)) fail('OUT_OF_RANGE', f, { value: v, min: min, max: max });
  wr(w, raw, n);
}
function wB(w, v, f) {
  if (v === undefined) fail('MISSING_FIELD', f, {});
  if (typeof v !== 'boolean') fail('WRONG_TYPE', f, { expected: 'a boolean', actual: tn(v) });
  wr(w, v ? 1 : 0, 1);
}
function wE(w, v, n, labels, f) {
  var raw = -1, i;
  if (v === undefined) fail('MISSING_FIELD', f, {});
  if (typeof v === 'string') for (i = 0; i < labels.length; i++) if (labels[i] === v) raw = i;
  if (raw < 0) fail('UNKNOWN_ENUM', f, { value: dsc(v), labels: labels.join(', ') });
  wr(w, raw, n);
}
function wF(w, v, names, f) {
  var k, i, ok;
  if (v === undefined) fail('MISSING_FIELD', f, {});
  if (!isObj(v)) fail('WRONG_TYPE', f, { expected: 'an object of booleans', actual: tn(v) });
  for (k in v) {
    if (!hop(v, k)) continue;
    ok = false;
    for (i = 0; i < names.length; i++) if (names[i] === k) ok = true;
    if (!ok) fail('UNKNOWN_FLAG', f, { value: dsc(k) });
    if (typeof v[k] !== 'boolean' && v[k] !== undefined) fail('WRONG_TYPE', f + '.' + k, { expected: 'a boolean', actual: tn(v[k]) });
  }
  for (i = 0; i < names.length; i++) wr(w, hop(v, names[i]) && v[names[i]] === true ? 1 : 0, 1);
}
function wX(w, v, n, f) {
  var i, ok = typeof v === 'string' && v.length === n * 2;
  if (v === undefined) fail('MISSING_FIELD', f, {});
  if (ok) for (i = 0; i < v.length; i++) if ('0123456789abcdefABCDEF'.indexOf(v.charAt(i)) < 0) ok = false;
  if (!ok) fail('WRONG_TYPE', f, { expected: n + ' bytes as ' + n * 2 + ' hex digits', actual: dsc(v) });
  for (i = 0; i < n; i++) wr(w, parseInt(v.substring(i * 2, i * 2 + 2), 16), 8);
}
function wL(w, v, n, min, max, f) {
  if (v === undefined) fail('MISSING_FIELD', f, {});
  if (!Array.isArray(v)) fail('WRONG_TYPE', f, { expected: 'an array', actual: tn(v) });
  if (v.length < min || v.length > max) fail('OUT_OF_RANGE', f, { value: v.length, min: min, max: max });
  wr(w, v.length, n);
}`;
}
