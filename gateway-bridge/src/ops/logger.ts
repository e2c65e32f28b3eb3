/**
 * The bridge's pino logger. Secrets are kept out twice over: every value under a key-ish name (nwkSKey, appSKey,
 * key, password, token, ...) is replaced at any depth before serialisation, and the finished line is scrubbed of
 * the configuration's actual secret values, so a key that slips into a message or an error text is caught too.
 * `pretty` prints plain text lines (no pino-pretty dependency).
 */
import { pino, type Logger } from 'pino';
import { collectSecrets } from '../config/secrets.ts';
import type { BridgeConfig, LogLevel } from '../config/schema.ts';

export type { Logger } from 'pino';

export const REDACTED = '[redacted]';

/** Names whose values are never logged; `passwordFile` (a path) is not one of them. */
export const SECRET_KEY_NAME = /(key|keys|password|passwd|secret|token|authorization|credentials?)$/i;

export interface LineSink {
  write(line: string): unknown;
}

export interface LoggerOptions {
  level?: LogLevel;
  pretty?: boolean;
  /** Values to scrub from every line (keys, passwords). */
  secrets?: Iterable<string>;
  /** Default: standard output, written synchronously so nothing is lost on a crash. */
  destination?: LineSink;
  /** Fields on every line. */
  bindings?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const scrub = createSecretScrubber(options.secrets ?? []);
  const sink = options.destination ?? pino.destination({ dest: 1, sync: true });
  const format = options.pretty ? formatPlainLine : (line: string) => line;
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: options.bindings ?? null,
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => redactSecretFields(bindings) as Record<string, unknown>,
        log: (object) => redactSecretFields(object) as Record<string, unknown>,
      },
    },
    { write: (line: string) => sink.write(format(scrub(line))) },
  );
  // pino passes a child's bindings to no formatter: redact them on the way in. Children inherit this method.
  const pinoChild = logger.child;
  logger.child = function child(this: Logger, bindings, childOptions) {
    return pinoChild.call(this, redactSecretFields(bindings) as typeof bindings, childOptions);
  } as Logger['child'];
  return logger;
}

/** The bridge's logger as its configuration asks, scrubbing the configuration's own secrets. */
export function createBridgeLogger(config: BridgeConfig, destination?: LineSink): Logger {
  return createLogger({
    level: config.log.level,
    pretty: config.log.pretty,
    secrets: collectSecrets(config),
    bindings: { gateway: config.gateway.id },
    ...(destination ? { destination } : {}),
  });
}

/** A copy with the values of secret-named fields replaced, at any depth; class instances (errors) pass unchanged. */
export function redactSecretFields(value: unknown, ancestors: object[] = []): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.includes(value)) return '[circular]';
  if (ancestors.length >= 16) return '[too deep]';
  if (Array.isArray(value)) return value.map((item) => redactSecretFields(item, [...ancestors, value]));
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    copy[key] = field !== undefined && SECRET_KEY_NAME.test(key) ? REDACTED : redactSecretFields(field, [...ancestors, value]);
  }
  return copy;
}

/**
 * Replaces known secrets in a text. Hex keys are found case-insensitively inside any run of 32 or more hex digits
 * (one pass over the line, whatever the number of keys); other secrets of 4 or more characters by plain search,
 * also in their JSON-escaped form.
 */
export function createSecretScrubber(secrets: Iterable<string>): (text: string) => string {
  const hexKeys = new Set<string>();
  const others: string[] = [];
  for (const secret of secrets) {
    if (/^[0-9a-f]{32}$/i.test(secret)) hexKeys.add(secret.toLowerCase());
    else if (secret.length >= 4) {
      others.push(secret);
      const escaped = JSON.stringify(secret).slice(1, -1);
      if (escaped !== secret) others.push(escaped);
    }
  }
  // longer first, so a secret containing another is replaced whole
  others.sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    if (hexKeys.size > 0) {
      out = out.replace(/[0-9a-fA-F]{32,}/g, (run) => {
        const lower = run.toLowerCase();
        for (let i = 0; i + 32 <= lower.length; i++) if (hexKeys.has(lower.slice(i, i + 32))) return REDACTED;
        return run;
      });
    }
    for (const secret of others) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  };
}

/** `2025-01-31T12:00:00.000Z INFO  message key=value ...` from one pino JSON line. */
export function formatPlainLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { time, level, msg, err, error, ...fields } = record;
  const parts = [String(time ?? ''), String(level ?? '').toUpperCase().padEnd(5), String(msg ?? '')];
  for (const [key, value] of Object.entries(fields)) {
    parts.push(`${key}=${typeof value === 'string' && !/[\s"=]/.test(value) ? value : JSON.stringify(value)}`);
  }
  let text = parts.filter((part) => part !== '').join(' ');
  for (const failure of [err, error]) {
    if (failure && typeof failure === 'object') {
      const { stack, message } = failure as { stack?: string; message?: string };
      text += `\n  ${(stack ?? message ?? JSON.stringify(failure)).split('\n').join('\n  ')}`;
    }
  }
  return `${text}\n`;
}
