/**
 * Compiles log calls below a level out of a bundle (a Babel plugin, run before terser). A log call is recognized by
 * the firmware's Logger convention (firmware/drivers/at-line.ts): `log(level, message)` or `<object>.log(level,
 * message)` with the level written as a string literal, used as a statement. Its arguments are dropped with it, so
 * log messages must not have side effects. `console.log` is never touched.
 */
import type { LogLevel } from '../../firmware/drivers/at-line.ts';

/** The firmware's log levels, least severe first. */
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** The slice of Babel's NodePath used here (Babel ships no TypeScript types). */
interface Path {
  node: Node;
  get(key: 'expression'): Path;
  remove(): void;
}
interface Node {
  type: string;
  name?: string;
  value?: unknown;
  computed?: boolean;
  object?: Node;
  property?: Node;
  callee?: Node;
  arguments?: Node[];
}

/** A rollup-renamed `log` stays a log (`log$1`). */
const LOG_NAME = /^log(\$\d+)?$/;

function isLogger(callee: Node | undefined): boolean {
  if (!callee) return false;
  if (callee.type === 'Identifier') return LOG_NAME.test(callee.name ?? '');
  if (callee.type !== 'MemberExpression' || callee.computed || callee.property?.name !== 'log') return false;
  return !(callee.object?.type === 'Identifier' && callee.object.name === 'console');
}

/** The level of a log call statement, or undefined when the statement is something else. */
function logCallLevel(statement: Node): LogLevel | undefined {
  if (statement.type !== 'CallExpression' || !isLogger(statement.callee)) return undefined;
  const level = statement.arguments?.[0];
  if (level?.type !== 'StringLiteral') return undefined;
  return LOG_LEVELS.find((l) => l === level.value);
}

/** A Babel plugin removing log call statements whose level is below `keep`. */
export function stripLogsBelow(keep: LogLevel): () => { name: string; visitor: { ExpressionStatement(path: Path): void } } {
  const min = LOG_LEVELS.indexOf(keep);
  return () => ({
    name: 'stadtsensor-strip-logs',
    visitor: {
      ExpressionStatement(path) {
        const level = logCallLevel(path.get('expression').node);
        if (level !== undefined && LOG_LEVELS.indexOf(level) < min) path.remove();
      },
    },
  });
}
