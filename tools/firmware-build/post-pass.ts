/**
 * Step 4 (after lowering and minifying): rewrites what runs differently in Espruino even though it is valid there
 * (shared/reference/espruino.md, "Silent differences"):
 * - Espruino does not hoist. Function declarations move to the top of their statement list; `var` names that may be
 *   read before their declaration has run (used earlier, used inside a function declaration, or used outside the
 *   block or loop that declares them) are declared once more at the top of their function (`var a, b;`).
 * - A named class expression's own name is not bound inside the class. An unused name is dropped; references to it
 *   are renamed to the variable the class is assigned to when that is safe, otherwise the class becomes a class
 *   declaration inside a function that returns it (terser inlines single-use classes as named expressions).
 * - Espruino keeps a template literal as one string token (ended by the next backtick, with escapes already applied)
 *   and re-parses each `${...}` by counting braces, every time it runs. Templates whose expressions hold a nested
 *   template, a function or class, a string or regex with a brace, backslash or backtick, or a comment, are
 *   rewritten as string concatenation; the rest stay.
 * - Non-ASCII characters are written as \uXXXX escapes.
 * Other text is kept byte for byte.
 */
import * as acorn from 'acorn';
import * as walk from 'acorn-walk';
import { analyzeScopes, type Binding, type Reference, type Scope } from '../espruino-compat/scope.ts';

interface Edit {
  start: number;
  end: number;
  render: () => string;
  /** An insertion that closes the code before it: it belongs to a range ending at `start`, not to one starting there. */
  closing?: boolean;
}

type StatementList = acorn.Program | acorn.BlockStatement;

const isDirective = (node: acorn.Node): boolean => node.type === 'ExpressionStatement' && typeof (node as acorn.ExpressionStatement).directive === 'string';

/** The statement-list node that holds a function's (or the program's) `var` declarations. */
function varList(scope: Scope): StatementList | null {
  const node = scope.node;
  if (node.type === 'Program') return node as acorn.Program;
  const body = (node as acorn.Function).body;
  return body?.type === 'BlockStatement' ? body : null;
}

/**
 * A `var` declaration: where it starts, and the end of what holds it (its block, statement list or loop): code
 * between the two runs only after the declaration has.
 */
interface VarDeclaration {
  start: number;
  end: number;
}

/** Every `var` declaration of each name, keyed by the function (or program) whose scope gets the name. */
function varDeclarations(ast: acorn.Program): Map<acorn.Node, Map<string, VarDeclaration[]>> {
  const found = new Map<acorn.Node, Map<string, VarDeclaration[]>>();
  walk.ancestor(ast, {
    VariableDeclaration(node, _state, ancestors) {
      if (node.kind !== 'var') return;
      const parent = ancestors[ancestors.length - 2] as acorn.Node;
      // A `for (var ...;;)` head runs whenever the loop statement does: its names are safe after the loop too.
      const forHead = parent.type === 'ForStatement' && (parent as acorn.ForStatement).init === node;
      const holder = forHead ? (ancestors[ancestors.length - 3] as acorn.Node) : parent;
      const owner = [...ancestors].reverse().find((a) => a === ast || /Function/.test(a.type)) as acorn.Node;
      let names = found.get(owner);
      if (!names) found.set(owner, (names = new Map()));
      for (const declarator of node.declarations) {
        if (declarator.id.type !== 'Identifier') continue;
        const list = names.get(declarator.id.name) ?? [];
        list.push({ start: node.start, end: holder.end });
        names.set(declarator.id.name, list);
      }
    },
  });
  return found;
}

function insideFunctionDeclaration(scope: Scope, stop: Scope): boolean {
  for (let s: Scope | null = scope; s && s !== stop; s = s.parent) if (s.node.type === 'FunctionDeclaration') return true;
  return false;
}

/** A template literal Espruino would split or re-parse wrongly (see the file comment). */
function breaksEspruinoTemplate(code: string, template: acorn.TemplateLiteral): boolean {
  if (template.quasis.some((quasi) => /\\\$|\$\\\{/.test(quasi.value.raw))) return true;
  return template.expressions.some((expression) => {
    let text = code.slice(expression.start, expression.end);
    let unsafe = false;
    walk.full(expression, (node) => {
      // nested templates end the outer one early; functions and classes would be re-parsed on every evaluation
      if (/^(TemplateLiteral|FunctionExpression|ArrowFunctionExpression|ClassExpression)$/.test(node.type)) unsafe = true;
      if (node.type !== 'Literal') return;
      const raw = code.slice(node.start, node.end);
      if (/[{}\\`]/.test(raw)) unsafe = true;
      text = text.slice(0, node.start - expression.start) + ' '.repeat(raw.length) + text.slice(node.end - expression.start);
    });
    return unsafe || /[`\\]|\/\/|\/\*/.test(text);
  });
}

/**
 * Non-ASCII characters as \uXXXX: valid in strings, templates, regexes, identifiers and comments alike, and it
 * keeps plain and minified bundles (terser writes ASCII) the same on Espruino builds without Unicode strings,
 * where a raw UTF-8 character would be read as several characters.
 */
function escapeNonAscii(code: string): string {
  return code.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function resolve(name: string, scope: Scope): Binding | null {
  for (let s: Scope | null = scope; s; s = s.parent) {
    const binding = s.bindings.get(name);
    if (binding) return binding;
  }
  return null;
}

/** `compact`: no line breaks between moved statements (for minified code, whose statements all end in `;` or `}`). */
export function espruinoPostPass(code: string, options: { compact?: boolean } = {}): string {
  const newline = options.compact ? '' : '\n';
  const ast = acorn.parse(code, { ecmaVersion: 'latest', sourceType: 'script', allowHashBang: true });
  const analysis = analyzeScopes(ast);
  const refsOf = new Map<Binding, Reference[]>();
  for (const ref of analysis.references) {
    if (!ref.binding) continue;
    const list = refsOf.get(ref.binding);
    if (list) list.push(ref);
    else refsOf.set(ref.binding, [ref]);
  }

  // var names to declare at the top of each function body (or the program): those with a reference that may run
  // before any of their declarations has
  const declarations = varDeclarations(ast);
  const hoistedVars = new Map<StatementList, string[]>();
  for (const scope of analysis.scopes) {
    const list = scope.functionScope ? varList(scope) : null;
    if (!list) continue;
    for (const binding of scope.bindings.values()) {
      const declared = binding.kind === 'var' ? declarations.get(scope.node)?.get(binding.name) : undefined;
      if (!declared) continue;
      const unsafe = (ref: Reference): boolean =>
        insideFunctionDeclaration(ref.scope, scope) || !declared.some((d) => d.start <= ref.id.start && ref.id.start < d.end);
      if ((refsOf.get(binding) ?? []).some(unsafe)) hoistedVars.set(list, [...(hoistedVars.get(list) ?? []), binding.name]);
    }
  }

  const edits: Edit[] = [];
  const render = (start: number, end: number): string => renderRange(code, edits, start, end);

  const lists: StatementList[] = [ast];
  walk.simple(ast, { BlockStatement: (node) => lists.push(node) });
  for (const list of lists) {
    const statements = list.body as acorn.Node[];
    const directives = statements.filter(isDirective);
    const rest = statements.slice(directives.length);
    const functions = rest.filter((s) => s.type === 'FunctionDeclaration');
    const others = rest.filter((s) => s.type !== 'FunctionDeclaration');
    const reorder = others.length > 0 && functions.length > 0 && rest.indexOf(functions[functions.length - 1] as acorn.Node) > functions.length - 1;
    const names = hoistedVars.get(list);
    const varLine = names ? `var ${names.join(',')};` : '';
    const first = rest[0];
    if (!first || (!reorder && !names)) continue;
    if (!reorder) {
      edits.push({ start: first.start, end: first.start, render: () => varLine + newline });
      continue;
    }
    const last = rest[rest.length - 1] as acorn.Node;
    const ordered = [...functions, ...others];
    edits.push({
      start: first.start,
      end: last.end,
      render: () => [...(varLine ? [varLine] : []), ...ordered.map((s) => render(s.start, s.end))].join(newline),
    });
  }

  walk.ancestor(ast, {
    ClassExpression(node, _state, ancestors) {
      const id = node.id;
      if (!id) return;
      const ownName = [...(analysis.scopes.find((s) => s.node === node)?.bindings.values() ?? [])].find((b) => b.kind === 'class-name');
      const selfRefs = ownName ? (refsOf.get(ownName) ?? []) : [];
      const parent = ancestors[ancestors.length - 2];
      if (selfRefs.length === 0) {
        edits.push({ start: id.start, end: id.end, render: () => '' });
        return;
      }
      // `const C = class K {...K...}`: K becomes C when C is never reassigned and nothing in between shadows it.
      const declarator = parent?.type === 'VariableDeclarator' ? (parent as acorn.VariableDeclarator) : null;
      const target = declarator?.init === node && declarator.id.type === 'Identifier' ? declarator.id : null;
      const outer = target ? analysis.scopes.map((s) => s.bindings.get(target.name)).find((b) => b?.id === target) : undefined;
      const renamable =
        target !== null && outer !== undefined && !(refsOf.get(outer) ?? []).some((ref) => ref.write) && selfRefs.every((ref) => resolve(target.name, ref.scope) === outer);
      if (target && renamable) {
        edits.push({ start: id.start, end: id.end, render: () => '' });
        for (const ref of selfRefs) edits.push({ start: ref.id.start, end: ref.id.end, render: () => target.name });
        return;
      }
      // Otherwise a class declaration, which does bind its name, inside a function that returns it.
      edits.push({ start: node.start, end: node.start, render: () => '(function(){' });
      edits.push({ start: node.end, end: node.end, render: () => `;return ${id.name}})()`, closing: true });
    },
  });

  walk.ancestor(ast, {
    TemplateLiteral(node, _state, ancestors) {
      // tagged templates cannot be rewritten; the compatibility check rejects them
      if (ancestors[ancestors.length - 2]?.type === 'TaggedTemplateExpression' || !breaksEspruinoTemplate(code, node)) return;
      edits.push({
        start: node.start,
        end: node.end,
        render: () => {
          const parts: string[] = [];
          node.quasis.forEach((quasi, i) => {
            if (quasi.value.cooked) parts.push(JSON.stringify(quasi.value.cooked));
            const expression = node.expressions[i];
            if (expression) parts.push(`(${render(expression.start, expression.end)})`);
          });
          if (!node.quasis[0]?.value.cooked) parts.unshift('""');
          return `(${parts.join(' + ')})`;
        },
      });
    },
  });

  // By position; at one position closing insertions, then opening insertions, then ranges, outer before inner.
  const rank = (edit: Edit): number => (edit.closing ? 0 : edit.start === edit.end ? 1 : 2);
  edits.sort((a, b) => a.start - b.start || rank(a) - rank(b) || b.end - a.end);
  return escapeNonAscii(render(0, code.length));
}

/** The text of [start, end) with the outermost edits inside it applied (each edit renders its own nested edits). */
function renderRange(code: string, edits: readonly Edit[], start: number, end: number): string {
  let out = '';
  let cursor = start;
  let lo = 0;
  let hi = edits.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((edits[mid] as Edit).start < start) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < edits.length; i++) {
    const edit = edits[i] as Edit;
    if (edit.closing) {
      if (edit.start > end) break;
      if (edit.start === start) continue; // closes the code before this range
    } else if (edit.start >= end) break;
    if (edit.start < cursor || edit.end > end) continue; // nested in an edit already rendered, or outside the range
    out += code.slice(cursor, edit.start) + edit.render();
    cursor = edit.end;
  }
  return out + code.slice(cursor, end);
}
