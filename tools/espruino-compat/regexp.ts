/**
 * A small scanner for RegExp patterns that finds the features Espruino's RegExp engine lacks
 * (measured on Espruino 2v29, see shared/reference/espruino.md).
 *
 * It only tracks what matters for that: escapes, character classes (where `{`, `?`, `(` are
 * literal and `\b` is a backspace), groups and quantifiers. It does not validate the pattern.
 */

export interface RegExpIssue {
  kind: 'syntax' | 'flag';
  /** Offset into the pattern (syntax issues) or into the flags (flag issues). */
  offset: number;
  message: string;
}

const UNSUPPORTED_FLAGS: Readonly<Record<string, string>> = {
  m: 'the `m` (multiline) flag is not supported; split the input into lines first',
  s: 'the `s` (dotAll) flag is not supported; use `[^]` or `[\\s\\S]` instead of `.`',
  u: 'the `u` (unicode) flag is not supported; drop it and use `\\uXXXX` escapes',
  v: 'the `v` (unicodeSets) flag is not supported; drop it',
  y: 'the `y` (sticky) flag is not supported; use `g` with lastIndex and check the match index',
  d: 'the `d` (indices) flag is not supported; compute indices from match.index',
};

const QUANTIFIER = /^\{\d+(?:,\d*)?\}/;

export function scanRegExp(pattern: string, flags: string): RegExpIssue[] {
  const issues: RegExpIssue[] = [];
  const seen = new Set<string>();
  const issue = (offset: number, feature: string, message: string): void => {
    if (seen.has(feature)) return;
    seen.add(feature);
    issues.push({ kind: 'syntax', offset, message });
  };
  const lazyCheck = (at: number, quantifier: string): number => {
    if (pattern[at] !== '?') return at;
    issue(at - quantifier.length, 'lazy', `lazy quantifier \`${quantifier}?\` is not supported; use a greedy quantifier with a narrower character class`);
    return at + 1;
  };

  let i = 0;
  let inClass = false;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (!inClass) {
        if (next === 'b' || next === 'B') {
          issue(i, 'boundary', `word boundary \`\\${next}\` is not supported; match the neighbouring character explicitly (e.g. (^|\\W))`);
        } else if (next >= '1' && next <= '9') {
          issue(i, 'backref', `backreference \`\\${next}\` is not supported (it throws); compare the captured groups in code`);
        } else if (next === 'k' && pattern[i + 2] === '<') {
          issue(i, 'backref', 'named backreference `\\k<...>` is not supported; compare the captured groups in code');
        }
      }
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      i++;
      continue;
    }
    switch (c) {
      case '[':
        inClass = true;
        i++;
        break;
      case '(':
        if (pattern[i + 1] === '?') {
          const kind = pattern[i + 2];
          const after = pattern[i + 3];
          if (kind === '=' || kind === '!') {
            issue(i, 'lookaround', `lookahead \`(?${kind}\` is not supported (it silently never matches); test the following text in code`);
          } else if (kind === '<' && (after === '=' || after === '!')) {
            issue(i, 'lookaround', `lookbehind \`(?<${after}\` is not supported; test the preceding text in code`);
          } else if (kind === ':') {
            issue(i, 'non-capturing', 'non-capturing group `(?:` is not supported; use a capturing group `(...)` and adjust the group numbers');
          } else if (kind === '<') {
            issue(i, 'named-group', 'named group `(?<name>` is not supported; use a plain capturing group and its index');
          } else {
            issue(i, 'modifier', 'inline modifier group `(?...)` is not supported');
          }
        }
        i++;
        break;
      case '*':
      case '+':
      case '?':
        i = lazyCheck(i + 1, c);
        break;
      case '{': {
        const m = QUANTIFIER.exec(pattern.slice(i));
        if (m) {
          issue(i, 'quantifier', `counted quantifier \`${m[0]}\` is not supported; repeat the atom or check the length in code`);
          i = lazyCheck(i + m[0].length, m[0]);
        } else {
          i++; // a literal `{`
        }
        break;
      }
      default:
        i++;
    }
  }

  for (let f = 0; f < flags.length; f++) {
    const message = UNSUPPORTED_FLAGS[flags[f] ?? ''];
    if (message) issues.push({ kind: 'flag', offset: f, message });
  }
  return issues;
}
