import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AnnouncedDevices } from '../../../gateway-bridge/src/outbox/announced-devices.ts';
import { openBridgeDatabase, type BridgeDatabase } from '../../../gateway-bridge/src/outbox/database.ts';
import { SqliteOutbox } from '../../../gateway-bridge/src/outbox/sqlite-outbox.ts';
import type { BridgeEvent, DeviceEntry } from '../../../gateway-bridge/src/types.ts';
import { sampleEvent } from './sample-events.ts';

const Database = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => BridgeDatabase;

let dir: string;
let file: string;
const opened: BridgeDatabase[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stadtsensor-announced-'));
  file = join(dir, 'bridge.sqlite');
});
afterEach(() => {
  for (const db of opened.splice(0)) if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(): BridgeDatabase {
  const db = openBridgeDatabase(file);
  opened.push(db);
  return db;
}

/** Event n of a device with this id and DevEUI. */
function eventOf(n: number, id: string, devEui: string, message = 'roadClimate'): BridgeEvent {
  const event = sampleEvent(n, { device: id });
  return { ...event, message, device: { ...event.device, devEui } };
}

function saveState(db: BridgeDatabase, event: BridgeEvent, body = JSON.stringify(event)): void {
  db.prepare('INSERT INTO device_state (device, message, received_at, f_cnt, body) VALUES (?, ?, ?, ?, ?)').run(
    event.device.id,
    event.message,
    Date.parse(event.receivedAt),
    event.fCnt,
    body,
  );
}

function states(db: BridgeDatabase): Array<{ device: string; message: string; f_cnt: number }> {
  return db.prepare('SELECT device, message, f_cnt FROM device_state ORDER BY device, message').all() as Array<{ device: string; message: string; f_cnt: number }>;
}

const EUI_A = '70b3d57ed005a1b2';
const EUI_B = '70b3d57ed005a1b3';

function entry(id: string, devEui: string, type: DeviceEntry['type'] = 'roadClimate'): DeviceEntry {
  return { id, name: id, devEui, type };
}

describe('upgrading the database to schema version 3', () => {
  it('remembers every device of a version 2 file that has a saved state, by its newest event', () => {
    const v2 = open();
    v2.exec('DROP TABLE announced_devices');
    v2.pragma('user_version = 2');
    saveState(v2, eventOf(1, 'old-name', EUI_A));
    saveState(v2, eventOf(5, 'road-3', EUI_A, 'deviceStatus'));
    saveState(v2, { ...eventOf(2, 'bay-1', EUI_B.toUpperCase()), device: { ...eventOf(2, 'bay-1', EUI_B).device, devEui: EUI_B.toUpperCase(), type: 'parkingBay' } });
    saveState(v2, eventOf(3, 'edited', '70b3d57ed005a1b4'), 'not json');
    v2.close();

    for (let reopen = 0; reopen < 2; reopen++) {
      const db = open();
      expect(db.pragma('user_version', { simple: true })).toBe(3);
      expect(new AnnouncedDevices(db).list()).toEqual([
        { devEui: EUI_A, id: 'road-3', type: 'roadClimate' },
        { devEui: EUI_B, id: 'bay-1', type: 'parkingBay' },
      ]);
      expect(states(db)).toHaveLength(4);
      db.close();
    }
  });

  it('migrates a version 1 file through 2 to 3', () => {
    mkdirSync(dirname(file), { recursive: true });
    const v1 = new Database(file);
    v1.exec(readFileSync(new URL('./fixtures/schema-v1.sql', import.meta.url), 'utf8'));
    v1.pragma('user_version = 1');
    const event = sampleEvent(7);
    v1.prepare('INSERT INTO outbox (id, kind, status, added_at, done_at, body) VALUES (?, ?, ?, ?, ?, ?)').run(event.id, 'up', 1, 1_000, 2_000, JSON.stringify(event));
    v1.prepare('INSERT INTO state_marks (device, received_at, f_cnt, event_id) VALUES (?, ?, ?, ?)').run('road-3', Date.parse(event.receivedAt), 7, event.id);
    v1.close();

    const outbox = SqliteOutbox.open(file);
    try {
      expect(outbox.database.pragma('user_version', { simple: true })).toBe(3);
      expect(outbox.deviceStates().get('road-3')?.get('roadClimate')).toEqual(event);
      expect(new AnnouncedDevices(outbox.database).list()).toEqual([{ devEui: EUI_A, id: 'road-3', type: 'roadClimate' }]);
    } finally {
      outbox.close();
    }
  });

  it('a new file starts with nothing remembered', () => {
    expect(new AnnouncedDevices(open()).list()).toEqual([]);
  });
});

describe('AnnouncedDevices', () => {
  it('remembers only DevEUIs it does not know yet, in lower case', () => {
    const store = new AnnouncedDevices(open());
    store.rememberNew([entry('road-3', EUI_A.toUpperCase())]);
    store.rememberNew([entry('renamed', EUI_A, 'parkingBay'), entry('bay-1', EUI_B, 'parkingBay')]);
    expect(store.list()).toEqual([
      { devEui: EUI_A, id: 'road-3', type: 'roadClimate' },
      { devEui: EUI_B, id: 'bay-1', type: 'parkingBay' },
    ]);
    store.update(entry('renamed', EUI_A, 'parkingBay'));
    expect(store.list()[0]).toEqual({ devEui: EUI_A, id: 'renamed', type: 'parkingBay' });
  });

  it("forgets a device with its saved state, not another device's state under the same id", () => {
    const db = open();
    const store = new AnnouncedDevices(db);
    store.rememberNew([entry('road-3', EUI_A), entry('bay-1', EUI_B)]);
    saveState(db, eventOf(1, 'road-3', EUI_A));
    saveState(db, eventOf(2, 'road-3', EUI_B, 'deviceStatus'));
    saveState(db, eventOf(3, 'bay-1', EUI_B));
    store.forget({ devEui: EUI_A, id: 'road-3', type: 'roadClimate' });
    expect(store.list().map((d) => d.devEui)).toEqual([EUI_B]);
    expect(states(db)).toEqual([
      { device: 'bay-1', message: 'roadClimate', f_cnt: 3 },
      { device: 'road-3', message: 'deviceStatus', f_cnt: 2 },
    ]);
  });

  it("moves a renamed device's saved state to its new id, keeping the newer event of each message", () => {
    const db = open();
    const store = new AnnouncedDevices(db);
    saveState(db, eventOf(1, 'old', EUI_A));
    saveState(db, eventOf(9, 'old', EUI_A, 'deviceStatus'));
    saveState(db, eventOf(5, 'new', EUI_A)); // heard under the new id already: newer than the old reading
    saveState(db, eventOf(4, 'new', EUI_A, 'deviceStatus')); // older than the old heartbeat
    saveState(db, eventOf(2, 'old', EUI_B, 'deviceConfigReport')); // another device once had the old id
    expect(store.moveStates(EUI_A, 'old', 'new')).toBe(1);
    expect(states(db)).toEqual([
      { device: 'new', message: 'deviceStatus', f_cnt: 9 },
      { device: 'new', message: 'roadClimate', f_cnt: 5 },
      { device: 'old', message: 'deviceConfigReport', f_cnt: 2 },
    ]);
    expect(store.moveStates(EUI_A, 'old', 'new')).toBe(0);
  });
});
