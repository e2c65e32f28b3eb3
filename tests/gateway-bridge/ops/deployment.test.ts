import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultOutboxPath } from '../../../gateway-bridge/src/config/defaults.ts';

const GATEWAY = join(import.meta.dirname, '../../../hardware/gateway');
const UNIT_FILE = join(GATEWAY, 'stadtsensor-bridge.service');
const README = join(GATEWAY, 'README.md');

/** A systemd unit as section -> key -> values (keys may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(\w+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const entry = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!entry || !current) throw new Error(`not a unit file line: ${raw}`);
    current.set(entry[1]!, [...(current.get(entry[1]!) ?? []), entry[2]!]);
  }
  return sections;
}

describe('systemd unit', () => {
  const unit = parseUnit(readFileSync(UNIT_FILE, 'utf8'));
  const service = unit.get('Service')!;
  const one = (key: string) => {
    const values = service.get(key);
    expect(values, key).toHaveLength(1);
    return values![0]!;
  };

  it('runs the bridge as its own user with the serial ports, and restarts it forever', () => {
    expect(one('Type')).toBe('simple');
    expect(one('User')).toBe('stadtsensor');
    expect(one('Group')).toBe('stadtsensor');
    expect(one('SupplementaryGroups')).toBe('dialout');
    expect(one('ExecStart')).toBe('/usr/bin/env stadtsensor bridge --config /etc/stadtsensor/bridge.yaml');
    expect(one('Restart')).toBe('always');
    expect(Number(one('RestartSec'))).toBeGreaterThan(0);
    expect(unit.get('Unit')!.get('StartLimitIntervalSec')).toEqual(['0']);
    expect(unit.get('Install')!.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('stops with SIGTERM and time to flush the outbox', () => {
    expect(one('KillSignal')).toBe('SIGTERM');
    expect(Number(one('TimeoutStopSec'))).toBeGreaterThanOrEqual(10);
  });

  it('keeps state where the bridge looks for its outbox, private', () => {
    expect(one('StateDirectory')).toBe('stadtsensor');
    expect(one('UMask')).toBe('0077');
    expect(defaultOutboxPath({ STATE_DIRECTORY: `/var/lib/${one('StateDirectory')}` }, 999)).toBe('/var/lib/stadtsensor/bridge.sqlite');
  });

  it('is hardened but can reach the serial adapters', () => {
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('ProtectHome')).toBe('yes');
    expect(one('PrivateTmp')).toBe('yes');
    expect(one('DevicePolicy')).toBe('closed');
    expect(service.get('DeviceAllow')).toEqual(['char-ttyUSB rw', 'char-ttyACM rw', 'char-ttyAMA rw', 'char-ttyS rw']);
    // would hide /dev/tty* or break Node's JIT
    expect(service.has('PrivateDevices')).toBe(false);
    expect(service.has('MemoryDenyWriteExecute')).toBe(false);
  });

  const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  it.skipIf(analyze.status !== 0)('passes systemd-analyze verify without a warning', () => {
    const result = spawnSync('systemd-analyze', ['verify', UNIT_FILE], { encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('gateway setup guide', () => {
  const text = readFileSync(README, 'utf8');

  it('links only to files that exist', () => {
    const links = [...text.matchAll(/\]\(([^)#]+)(#[^)]*)?\)/g)].map((m) => m[1]!).filter((target) => !/^[a-z]+:/.test(target));
    expect(links.length).toBeGreaterThan(5);
    for (const target of links) expect(existsSync(resolve(dirname(README), target)), target).toBe(true);
    expect(links).toContain('../../docs/gateway-bridge/frame-counters.md');
  });

  it('uses the unit\'s paths and user', () => {
    expect(text).toContain('/etc/stadtsensor/bridge.yaml');
    expect(text).toContain('/var/lib/stadtsensor/bridge.sqlite');
    expect(text).toContain('--groups dialout stadtsensor');
    expect(text).toMatch(/install -m 640 -o root -g stadtsensor/);
  });
});
