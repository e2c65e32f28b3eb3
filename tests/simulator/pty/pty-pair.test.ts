import { existsSync, lstatSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { PtyPair } from '../../../tools/simulator/pty/pty-pair.ts';

const pairs: PtyPair[] = [];
afterEach(async () => {
  for (const p of pairs.splice(0)) await p.close();
});

async function open(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return port;
}

async function roundTrip(pair: PtyPair, text: string): Promise<string> {
  const a = await open(pair.pathA);
  const b = await open(pair.pathB);
  try {
    const got = new Promise<string>((resolve) => b.once('data', (d: Buffer) => resolve(d.toString('latin1'))));
    a.write(text);
    return await got;
  } finally {
    await new Promise((resolve) => a.close(resolve));
    await new Promise((resolve) => b.close(resolve));
  }
}

describe('PtyPair', () => {
  it('connects its two links like a cable', async () => {
    const pair = await PtyPair.create();
    pairs.push(pair);
    expect(await roundTrip(pair, 'AT\r\n')).toBe('AT\r\n');
  });

  it('makes a new pair behind the same links after stop(), as an adapter plugged in again', async () => {
    const pair = await PtyPair.create({ names: ['bridge', 'module'] });
    pairs.push(pair);
    expect(pair.pathA.endsWith('/bridge')).toBe(true);
    await pair.stop();
    expect(existsSync(pair.pathA)).toBe(false);
    expect(pair.running).toBe(false);
    await pair.start();
    expect(await roundTrip(pair, 'again')).toBe('again');
  });

  it('copes with the dangling links a killed socat leaves', async () => {
    const pair = await PtyPair.create();
    pairs.push(pair);
    await pair.stop('SIGKILL');
    expect(lstatSync(pair.pathA).isSymbolicLink()).toBe(true);
    expect(existsSync(pair.pathA)).toBe(false);
    await pair.start();
    expect(await roundTrip(pair, 'x')).toBe('x');
  });

  it('removes its directory on close()', async () => {
    const pair = await PtyPair.create();
    await pair.close();
    expect(existsSync(pair.dir)).toBe(false);
  });
});
