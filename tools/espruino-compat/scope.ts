/**
 * A simple static scope analysis over an acorn AST: which identifier refers to which declaration,
 * and which code runs "immediately" relative to which scope.
 *
 * Simplifications: `with` and sloppy-mode `eval` are ignored, functions in blocks are block-scoped,
 * export specifiers (`export { a }`) are not references.
 */
import type * as acorn from 'acorn';

export type BindingKind =
  | 'var'
  | 'let'
  | 'const'
  | 'class'
  | 'function'
  | 'param'
  | 'catch'
  | 'import'
  | 'class-name'
  | 'function-name'
  | 'arguments';

export interface Binding {
  name: string;
  kind: BindingKind;
  scope: Scope;
  /** The declaring identifier (for the implicit `arguments`, the function). */
  id: acorn.Node;
  /** The function a binding is known to hold: a function declaration, or `var f = function/arrow`. */
  fn: acorn.Function | null;
}

export interface Scope {
  node: acorn.Node;
  parent: Scope | null;
  bindings: Map<string, Binding>;
  /** True for scopes that receive `var` declarations (program, functions, static blocks). */
  functionScope: boolean;
  /**
   * The function (or Program) whose execution runs this scope's code. Code inside a nested
   * function runs only when that function is called, so it has another runner; immediately
   * invoked function expressions and static class members keep the runner of their surroundings.
   */
  runner: acorn.Node;
  /** The statements run in order, for scopes that own a statement list (program, function and block bodies). */
  statements: readonly acorn.Node[] | null;
}

export interface Reference {
  id: acorn.Identifier;
  scope: Scope;
  runner: acorn.Node;
  parent: acorn.Node | null;
  read: boolean;
  write: boolean;
  /** null: a global (nothing in the file declares it). */
  binding: Binding | null;
}

export interface ScopeAnalysis {
  root: Scope;
  scopes: Scope[];
  references: Reference[];
  referenceOf: Map<acorn.Identifier, Reference>;
}

type FunctionNode = acorn.FunctionDeclaration | acorn.FunctionExpression | acorn.ArrowFunctionExpression | acorn.AnonymousFunctionDeclaration;
type ClassNode = acorn.ClassDeclaration | acorn.ClassExpression | acorn.AnonymousClassDeclaration;

function isNode(value: unknown): value is acorn.AnyNode {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

function childNodes(node: acorn.Node): acorn.AnyNode[] {
  const out: acorn.AnyNode[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'loc') continue;
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) out.push(item);
    } else if (isNode(value)) {
      out.push(value);
    }
  }
  return out;
}

function asFunction(node: acorn.Node | null | undefined): acorn.Function | null {
  if (!node) return null;
  return node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression' || node.type === 'FunctionDeclaration'
    ? (node as acorn.Function)
    : null;
}

/** `(function () {...})()`, `new function () {...}`, `(function () {...}).call(this)`. */
function isImmediatelyInvoked(fn: acorn.Node, parent: acorn.Node | undefined, grandparent: acorn.Node | undefined): boolean {
  if (!parent) return false;
  if ((parent.type === 'CallExpression' || parent.type === 'NewExpression') && (parent as acorn.CallExpression).callee === fn) return true;
  if (parent.type !== 'MemberExpression' || grandparent?.type !== 'CallExpression') return false;
  const member = parent as acorn.MemberExpression;
  return (
    member.object === fn &&
    !member.computed &&
    member.property.type === 'Identifier' &&
    (member.property.name === 'call' || member.property.name === 'apply') &&
    (grandparent as acorn.CallExpression).callee === member
  );
}

class Analyzer {
  readonly scopes: Scope[] = [];
  readonly references: Reference[] = [];
  private readonly stack: acorn.Node[] = [];
  private scope: Scope;
  private runner: acorn.Node;

  constructor(readonly program: acorn.Program) {
    this.runner = program;
    this.scope = this.newScope(program, true, program.body);
  }

  run(): ScopeAnalysis {
    this.stack.push(this.program);
    for (const statement of this.program.body) this.visit(statement);
    this.stack.pop();
    const referenceOf = new Map<acorn.Identifier, Reference>();
    for (const ref of this.references) {
      for (let s: Scope | null = ref.scope; s; s = s.parent) {
        const binding = s.bindings.get(ref.id.name);
        if (binding) {
          ref.binding = binding;
          break;
        }
      }
      referenceOf.set(ref.id, ref);
    }
    return { root: this.scopes[0] as Scope, scopes: this.scopes, references: this.references, referenceOf };
  }

  private newScope(node: acorn.Node, functionScope: boolean, statements: readonly acorn.Node[] | null): Scope {
    const scope: Scope = {
      node,
      parent: this.scopes.length ? this.scope : null,
      bindings: new Map(),
      functionScope,
      runner: this.runner,
      statements,
    };
    this.scopes.push(scope);
    return scope;
  }

  private inScope(scope: Scope, body: () => void): void {
    const saved = [this.scope, this.runner] as const;
    this.scope = scope;
    this.runner = scope.runner;
    body();
    [this.scope, this.runner] = saved;
  }

  private withRunner(runner: acorn.Node, body: () => void): void {
    const saved = this.runner;
    this.runner = runner;
    body();
    this.runner = saved;
  }

  private declare(id: acorn.Identifier, kind: BindingKind, fn: acorn.Function | null): void {
    let target = this.scope;
    if (kind === 'var') while (!target.functionScope && target.parent) target = target.parent;
    // The first declaration wins: it is the one that matters for use-before-declaration.
    if (!target.bindings.has(id.name)) target.bindings.set(id.name, { name: id.name, kind, scope: target, id, fn });
  }

  private reference(id: acorn.Identifier, read: boolean, write: boolean, parent = this.stack[this.stack.length - 1]): void {
    this.references.push({ id, scope: this.scope, runner: this.runner, parent: parent ?? null, read, write, binding: null });
  }

  private visit(node: acorn.AnyNode | null | undefined): void {
    if (!node) return;
    this.stack.push(node);
    this.dispatch(node);
    this.stack.pop();
  }

  private visitAll(nodes: readonly (acorn.AnyNode | null)[]): void {
    for (const node of nodes) this.visit(node);
  }

  private dispatch(node: acorn.AnyNode): void {
    switch (node.type) {
      case 'Identifier':
        this.reference(node, true, false, this.stack[this.stack.length - 2]);
        return;
      case 'VariableDeclaration': {
        const kind: BindingKind = node.kind === 'var' ? 'var' : node.kind === 'let' ? 'let' : 'const';
        for (const declarator of node.declarations) {
          this.stack.push(declarator);
          this.pattern(declarator.id, kind, declarator.id.type === 'Identifier' ? asFunction(declarator.init) : null);
          this.visit(declarator.init);
          this.stack.pop();
        }
        return;
      }
      case 'FunctionDeclaration':
        if (node.id) this.declare(node.id, 'function', node);
        this.func(node);
        return;
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        this.func(node);
        return;
      case 'ClassDeclaration':
        if (node.id) this.declare(node.id, 'class', null);
        this.klass(node);
        return;
      case 'ClassExpression':
        this.klass(node);
        return;
      case 'BlockStatement':
        this.inScope(this.newScope(node, false, node.body), () => this.visitAll(node.body));
        return;
      case 'StaticBlock':
        this.inScope(this.newScope(node, true, node.body), () => this.visitAll(node.body));
        return;
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement': {
        const head = node.type === 'ForStatement' ? node.init : node.left;
        const lexical = head?.type === 'VariableDeclaration' && head.kind !== 'var';
        const body = (): void => {
          if (node.type === 'ForStatement' || node.left.type === 'VariableDeclaration') this.visitAll(childNodes(node));
          else {
            this.pattern(node.left, null, null);
            this.visit(node.right);
            this.visit(node.body);
          }
        };
        if (lexical) this.inScope(this.newScope(node, false, null), body);
        else body();
        return;
      }
      case 'SwitchStatement':
        this.visit(node.discriminant);
        this.inScope(this.newScope(node, false, node.cases.flatMap((c) => c.consequent)), () => this.visitAll(node.cases));
        return;
      case 'CatchClause':
        this.inScope(this.newScope(node, false, null), () => {
          if (node.param) this.pattern(node.param, 'catch', null);
          this.visit(node.body);
        });
        return;
      case 'MemberExpression':
        this.visit(node.object);
        if (node.computed) this.visit(node.property);
        return;
      case 'Property':
        if (node.computed) this.visit(node.key);
        this.visit(node.value);
        return;
      case 'LabeledStatement':
        this.visit(node.body);
        return;
      case 'AssignmentExpression':
        if (node.left.type === 'Identifier') this.reference(node.left, node.operator !== '=', true);
        else this.pattern(node.left, null, null);
        this.visit(node.right);
        return;
      case 'UpdateExpression':
        if (node.argument.type === 'Identifier') this.reference(node.argument, true, true);
        else this.visit(node.argument);
        return;
      case 'ImportDeclaration':
        for (const specifier of node.specifiers) this.declare(specifier.local, 'import', null);
        return;
      case 'ExportNamedDeclaration':
      case 'ExportDefaultDeclaration':
        this.visit(node.declaration);
        return;
      case 'ExportAllDeclaration':
      case 'BreakStatement':
      case 'ContinueStatement':
      case 'MetaProperty':
      case 'PrivateIdentifier':
        return;
      default:
        this.visitAll(childNodes(node));
    }
  }

  /** Binding patterns (kind given) and assignment targets (kind null). */
  private pattern(node: acorn.Pattern, kind: BindingKind | null, fn: acorn.Function | null): void {
    switch (node.type) {
      case 'Identifier':
        if (kind) this.declare(node, kind, fn);
        else this.reference(node, false, true);
        return;
      case 'ObjectPattern':
        for (const property of node.properties) {
          if (property.type === 'RestElement') this.pattern(property.argument, kind, null);
          else {
            if (property.computed) this.visit(property.key);
            this.pattern(property.value, kind, null);
          }
        }
        return;
      case 'ArrayPattern':
        for (const element of node.elements) if (element) this.pattern(element, kind, null);
        return;
      case 'RestElement':
        this.pattern(node.argument, kind, null);
        return;
      case 'AssignmentPattern':
        this.pattern(node.left, kind, null);
        this.visit(node.right);
        return;
      default:
        this.visit(node);
    }
  }

  private func(fn: FunctionNode): void {
    const depth = this.stack.length;
    const immediate = isImmediatelyInvoked(fn, this.stack[depth - 2], this.stack[depth - 3]);
    const body = fn.body;
    const scope = this.newScope(fn, true, body.type === 'BlockStatement' ? body.body : null);
    scope.runner = immediate ? this.runner : fn;
    this.inScope(scope, () => {
      for (const param of fn.params) this.pattern(param, 'param', null);
      if (body.type === 'BlockStatement') {
        this.stack.push(body);
        this.visitAll(body.body);
        this.stack.pop();
      } else {
        this.visit(body);
      }
    });
    const own = (name: string, kind: BindingKind, id: acorn.Node): void => {
      if (!scope.bindings.has(name)) scope.bindings.set(name, { name, kind, scope, id, fn: kind === 'function-name' ? fn : null });
    };
    if (fn.type !== 'ArrowFunctionExpression') own('arguments', 'arguments', fn);
    if (fn.type === 'FunctionExpression' && fn.id) own(fn.id.name, 'function-name', fn.id);
  }

  private klass(cls: ClassNode): void {
    const named = cls.type === 'ClassExpression' && cls.id;
    const scope = named ? this.newScope(cls, false, null) : this.scope;
    this.inScope(scope, () => {
      if (named && cls.id) this.declare(cls.id, 'class-name', null);
      this.visit(cls.superClass);
      this.stack.push(cls.body);
      for (const member of cls.body.body) {
        if (member.type === 'StaticBlock') {
          this.visit(member);
          continue;
        }
        this.stack.push(member);
        if (member.computed) this.visit(member.key as acorn.Expression);
        // Instance field initializers run at construction time, not when the class is defined.
        if (member.type === 'MethodDefinition' || member.static) this.visit(member.value);
        else this.withRunner(member, () => this.visit(member.value));
        this.stack.pop();
      }
      this.stack.pop();
    });
  }
}

export function analyzeScopes(program: acorn.Program): ScopeAnalysis {
  return new Analyzer(program).run();
}

/** Index of the statement of `scope.statements` that contains `pos`, or -1. */
export function statementIndex(scope: Scope, pos: number): number {
  const statements = scope.statements;
  if (!statements) return -1;
  let lo = 0;
  let hi = statements.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const statement = statements[mid] as acorn.Node;
    if (pos < statement.start) hi = mid - 1;
    else if (pos >= statement.end) lo = mid + 1;
    else return mid;
  }
  return -1;
}
