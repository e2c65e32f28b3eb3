/**
 * `stadtsensor keys new`: identities follow the EUI-64 and DevAddr rules, the keys file is what the firmware parses
 * and stays private, and the printed registry entry is one the gateway bridge's own schema and loader accept.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../gateway-bridge/src/config/load.ts';
import { deviceListSchema } from '../../gateway-bridge/src/config/schema.ts';
import { createIdentity, PRIVATE_DEVADDR_RANGE, randomDevEui, randomPrivateDevAddr, registryId } from '../../tools/keys/identity.ts';
import { keysProblems, readKeysFile } from '../../tools/keys/keys-file.ts';
import { main } from '../../tools/cli/main.ts';

const temp = mkdtempSync(join(tmpdir(), 'stadtsensor-keys-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** The command in this process (a child process per case costs seconds): exit code, stdout, stderr. */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (stdout += `${a.join(' ')}\n`));
  const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (stderr += `${a.join(' ')}\n`));
  try {
    const code = await main(args.map((a) => (a.endsWith('.json') ? join(temp, a) : a)));
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    log.mockRestore();
    err.mockRestore();
  }
}

/** A byte source that replays the given bytes, then counts up. */
function bytesFrom(...prefix: number[]): (n: number) => Uint8Array {
  const queue = [...prefix];
  let next = 1;
  return (n) => Uint8Array.from({ length: n }, () => (queue.length ? queue.shift()! : next++ & 0xff));
}

describe('identities', () => {
  it('makes random DevEUIs locally administered unicast EUI-64s, or OUI-prefixed ones', () => {
    for (let i = 0; i < 300; i++) {
      const eui = randomDevEui((n) => Uint8Array.from({ length: n }, () => Math.floor(Math.random() * 256)));
      expect(eui).toMatch(/^[0-9A-F]{16}$/);
      expect(parseInt(eui.slice(0, 2), 16) & 0x03).toBe(0x02);
    }
    expect(randomDevEui(bytesFrom(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))).toBe('FEFFFFFFFFFFFFFF');
    expect(randomDevEui(bytesFrom(0xaa, 0xbb, 0xcc, 0xdd, 0xee), 'AC1F09')).toBe('AC1F09AABBCCDDEE');
    expect(() => randomDevEui(bytesFrom(), '020000')).toThrow(/not an IEEE-assigned OUI/);
  });

  it('takes P2P DevAddrs from the private NetID 0x000000 block and never 0', () => {
    expect(randomPrivateDevAddr(bytesFrom(0xff, 0xff, 0xff, 0xff))).toBe('01FFFFFF');
    expect(randomPrivateDevAddr(bytesFrom(0x26, 0x01, 0x1b, 0xda))).toBe('00011BDA');
    // all zeros (and 0xFE000000, which masks to 0) are drawn again
    expect(randomPrivateDevAddr(bytesFrom(0, 0, 0, 0, 0xfe, 0, 0, 0, 0, 0, 0, 7))).toBe('00000007');
    for (let i = 0; i < 300; i++) {
      const addr = parseInt(randomPrivateDevAddr((n) => Uint8Array.from({ length: n }, () => Math.floor(Math.random() * 256))), 16);
      expect(addr).toBeGreaterThanOrEqual(PRIVATE_DEVADDR_RANGE.first);
      expect(addr).toBeLessThanOrEqual(PRIVATE_DEVADDR_RANGE.last);
    }
  });

  it('gives P2P nodes 128-bit session keys and the bridge\'s radio settings, OTAA nodes an AppKey', () => {
    const p2p = createIdentity({ app: 'road-climate', mode: 'p2p', name: 'Brücke Süd / Pegel 2' });
    expect(p2p).toMatchObject({ id: 'brucke-sud-pegel-2', name: 'Brücke Süd / Pegel 2', type: 'roadClimate' });
    expect(keysProblems(p2p.keys)).toEqual([]);
    expect(p2p.keys).toMatchObject({ network: 'p2p', p2p: { freqHz: 868_100_000, sf: 9, bwKhz: 125, cr: 1, preamble: 8, txPowerDbm: 14 } });
    const otaa = createIdentity({ app: 'selftest', mode: 'otaa', devEui: 'ac1f09fffe0a1b2c' });
    expect(otaa).toMatchObject({ id: 'selftest-0a1b2c', type: 'unknown', devEui: 'AC1F09FFFE0A1B2C' });
    expect(otaa.keys).toMatchObject({ network: 'lorawan', activation: 'otaa', devEui: 'AC1F09FFFE0A1B2C', appEui: '0000000000000000' });
    expect(keysProblems(otaa.keys)).toEqual([]);
    // two identities never share a key
    const other = createIdentity({ app: 'road-climate', mode: 'p2p' });
    expect(other.keys).not.toEqual(p2p.keys);
    expect(() => createIdentity({ app: 'x', mode: 'otaa', devAddr: '01020304' })).toThrow(/--devaddr is for --mode p2p/);
    expect(() => createIdentity({ app: 'x', mode: 'p2p', devAddr: '0102' })).toThrow(/8 hex digits/);
    expect(() => registryId('!!!')).toThrow(/registry id/);
  });
});

describe('stadtsensor keys new', () => {
  it('writes a private keys file, refuses to overwrite it, and prints an entry the bridge loads', async () => {
    const result = await run(['keys', 'new', '--app', 'road-climate', '--name', 'Kreuzung Ost', '--out', 'ost.json']);
    expect(result.code).toBe(0);
    const file = join(temp, 'ost.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const { keys } = readKeysFile(file);
    if (keys.network !== 'p2p') throw new Error('expected P2P keys');
    // keys only where asked for: the file and the entry on stdout, never on stderr
    expect(result.stderr).not.toContain(keys.nwkSKey);
    expect(result.stderr).not.toContain(keys.appSKey);
    expect(result.stdout).toMatch(/SECRET/);

    const entries = deviceListSchema.parse(parse(result.stdout));
    const lower = (hex: string): string => hex.toLowerCase();
    expect(entries).toEqual([
      expect.objectContaining({ id: 'kreuzung-ost', devAddr: lower(keys.devAddr), nwkSKey: lower(keys.nwkSKey), appSKey: lower(keys.appSKey), type: 'roadClimate' }),
    ]);

    // the bridge's own loader, permission checks included, takes a configuration with the entry
    const config = join(temp, 'bridge.yaml');
    const devices = result.stdout.replace(/^/gm, '  ');
    writeFileSync(config, `serial:\n  - path: /dev/ttyUSB9\nmqtt:\n  url: mqtt://127.0.0.1:18830\noutbox:\n  path: ${join(temp, 'outbox.db')}\ndevices:\n${devices}`);
    chmodSync(config, 0o644);
    expect(() => loadConfig(config)).toThrow(/chmod/);
    chmodSync(config, 0o600);
    const loaded = loadConfig(config);
    expect(loaded.devices).toHaveLength(1);
    expect(loaded.devices[0]!.devAddr?.toUpperCase()).toBe(keys.devAddr);
    expect(loaded.devices[0]!.nwkSKey?.toUpperCase()).toBe(keys.nwkSKey);
    expect(loaded.source.warnings).toEqual([]);

    const before = readFileSync(file, 'utf8');
    const again = await run(['keys', 'new', '--app', 'road-climate', '--out', 'ost.json']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists: not overwritten/);
    expect(again.stdout).toBe('');
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('prints an OTAA entry without keys and keeps the AppKey in the file', async () => {
    const result = await run(['keys', 'new', '--app', 'road-climate', '--mode', 'otaa', '--dev-eui', 'AC1F09FFFE0A1B2C', '--out', 'otaa.json']);
    expect(result.code).toBe(0);
    const { keys } = readKeysFile(join(temp, 'otaa.json'));
    if (keys.network !== 'lorawan') throw new Error('expected OTAA keys');
    expect(result.stdout).not.toContain(keys.appKey);
    expect(deviceListSchema.parse(parse(result.stdout))).toEqual([
      { id: 'road-climate-0a1b2c', name: 'road-climate-0a1b2c', devEui: 'ac1f09fffe0a1b2c', type: 'roadClimate' },
    ]);
  });

  it.each([
    [['keys', 'new', '--app', 'no-such-app'], 'unknown app "no-such-app"'],
    [['keys', 'new', '--app', 'road-climate', '--mode', 'abp'], '--mode must be p2p or otaa'],
    [['keys', 'new', '--app', 'road-climate', '--devaddr', 'xyz'], '--devaddr must be 8 hex digits'],
  ])('refuses %j with exit code 2', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
