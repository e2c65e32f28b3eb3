/** Test helpers: an AT session over a real serial port (a socat pty), wired as SerialInput wires it. */
import { SerialPort } from 'serialport';
import type { P2PSettings } from '../../../firmware/drivers/modem.ts';
import { AtSession } from '../../../gateway-bridge/src/inputs/serial/at-session.ts';
import { LineFramer } from '../../../gateway-bridge/src/inputs/serial/line-framer.ts';
import type { ModuleLine } from '../../../gateway-bridge/src/inputs/serial/module-lines.ts';
import type { ModuleDriver } from '../../../gateway-bridge/src/inputs/serial/module-setup.ts';

export const P2P: P2PSettings = { freqHz: 868_100_000, sf: 9, bwKhz: 125, cr: 1, preamble: 8, txPowerDbm: 14 };

export interface PortSession {
  session: AtSession;
  /** Every classified line, in order. */
  lines: ModuleLine[];
  close(): Promise<void>;
}

export async function openSession(path: string, driver: ModuleDriver): Promise<PortSession> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  const session = new AtSession((text) => port.write(Buffer.from(text, 'latin1')), (s) => driver.describeStatus(s));
  const framer = new LineFramer();
  const parser = driver.createParser();
  const lines: ModuleLine[] = [];
  port.on('data', (chunk: Buffer) => {
    for (const framed of framer.push(chunk.toString('latin1'))) {
      for (const line of parser.parse(framed.text)) {
        lines.push(line);
        if (line.kind !== 'packet' && line.kind !== 'rejected') session.offer(line);
      }
    }
  });
  return {
    session,
    lines,
    close: async () => {
      session.close('test done');
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    },
  };
}

/** Resolves when `predicate` holds, polling; rejects after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
