/**
 * A serial port (serialport 13) in the shape the firmware's modem drivers take (drivers/at-line.ts SerialPort:
 * write(string), on('data', string)), so the Pi terminal drives its RAK module with the same RUI3 driver as an
 * Espruino board. Bytes are latin1, one character per byte, as Espruino hands them over.
 */
import { SerialPort } from 'serialport';
import type { SerialPort as AtSerialPort } from '../../../drivers/at-line.ts';

export interface NodeSerial extends AtSerialPort {
  close(): Promise<void>;
}

export async function openNodeSerial(path: string, baudRate = 115200, onError?: (message: string) => void): Promise<NodeSerial> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(new Error(`cannot open ${path}: ${error.message}`)) : resolve())));
  port.on('error', (error) => onError?.(`${path}: ${error.message}`));
  return {
    write(data: string) {
      port.write(Buffer.from(data, 'latin1'));
    },
    on(_event: 'data', listener: (data: string) => void) {
      port.on('data', (chunk: Buffer) => listener(chunk.toString('latin1')));
    },
    close() {
      return new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
    },
  };
}
