/** Parsing of what people type: hex or base64 payloads, JSON objects, port numbers. */

/** Bad input from the user: printed as one line, exit code 2 unless given. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly exitCode?: number,
  ) {
    super(message);
  }
}

/** Hex with optional 0x prefix and any spaces, colons or dashes between bytes. */
export function parseHex(text: string): Uint8Array {
  const clean = text.trim().replace(/^0x/i, '').replace(/[\s:-]/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) {
    throw new UsageError(`not a hex payload: ${JSON.stringify(text)} (expected pairs of hex digits, e.g. 6A2D0C5A5CC0)`);
  }
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

export function parseBase64(text: string): Uint8Array {
  const clean = text.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) {
    throw new UsageError(`not a base64 payload: ${JSON.stringify(text)}`);
  }
  return Uint8Array.from(Buffer.from(clean, 'base64'));
}

export function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || port < 1 || port > 223) {
    throw new UsageError(`not an application FPort: ${JSON.stringify(text)} (expected 1-223)`);
  }
  return port;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`not valid JSON: ${(error as Error).message}`);
  }
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').toUpperCase();
