/** The other end of a simulated module's pty, as a terminal: writes commands, collects lines. */
import { SerialPort } from 'serialport';

export interface Terminal {
  port: SerialPort;
  lines: string[];
  waitFor(pred: (lines: string[]) => boolean, ms?: number): Promise<void>;
  /** Writes a command and returns the lines up to the first one `isStatus` takes as its reply. */
  command(text: string, ms?: number): Promise<string[]>;
}

/** Opens `path`; `isStatus` knows the module's final reply lines; `cleanups` gets the port's close. */
export async function terminal(path: string, isStatus: (line: string) => boolean, cleanups: (() => Promise<void>)[]): Promise<Terminal> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  cleanups.push(() => new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())));
  const lines: string[] = [];
  let partial = '';
  port.on('data', (d: Buffer) => {
    const parts = (partial + d.toString('latin1')).split('\r\n');
    partial = parts.pop() ?? '';
    lines.push(...parts.filter((p) => p.length > 0));
  });
  const waitFor = async (pred: (lines: string[]) => boolean, ms = 2000): Promise<void> => {
    const end = performance.now() + ms;
    while (!pred(lines)) {
      if (performance.now() > end) throw new Error(`timed out; lines: ${JSON.stringify(lines.slice(-10))}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  };
  const command = async (text: string, ms = 2000): Promise<string[]> => {
    const from = lines.length;
    port.write(text + '\r\n');
    await waitFor((l) => l.slice(from).some(isStatus), ms);
    return lines.slice(from);
  };
  return { port, lines, waitFor, command };
}
