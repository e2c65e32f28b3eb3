/**
 * What the bridge announced on the broker, per DevEUI: the device id its state topic and Home Assistant discovery
 * were published under, and its device type (which entities it had). Kept in the bridge database
 * (`announced_devices`) so that a device removed from the configuration, or given a new id, can be cleared from
 * the broker at a later start (output/device-cleanup.ts).
 */
import type { DeviceEntry, DeviceType } from '../types.ts';
import type { BridgeDatabase } from './database.ts';

export interface AnnouncedDevice {
  /** Lower case. */
  devEui: string;
  /** The device id (topic level) it was announced under. */
  id: string;
  type: DeviceType;
}

/** The device_state rows of one DevEUI under one device id (a reused id may hold another device's rows too). */
const OF_DEVICE = `device = ? AND CASE WHEN json_valid(body) THEN lower(json_extract(body, '$.device.devEui')) END = ?`;

export class AnnouncedDevices {
  readonly #db: BridgeDatabase;
  readonly #now: () => number;
  readonly #stmt: ReturnType<typeof prepare>;

  constructor(db: BridgeDatabase, options: { now?: () => number } = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
    this.#stmt = prepare(db);
  }

  list(): AnnouncedDevice[] {
    return (this.#stmt.list.all() as { dev_eui: string; device: string; type: DeviceType }[]).map((row) => ({
      devEui: row.dev_eui,
      id: row.device,
      type: row.type,
    }));
  }

  /** Remembers the devices whose DevEUI is not remembered yet; the others keep their row until they are cleared. */
  rememberNew(devices: readonly DeviceEntry[]): void {
    const now = this.#now();
    this.#db.transaction(() => {
      for (const device of devices) this.#stmt.insertNew.run(device.devEui.toLowerCase(), device.id, device.type, now);
    })();
  }

  /** A removed device whose topics were cleared: forgets it and its saved retained state. */
  forget(device: AnnouncedDevice): void {
    this.#db.transaction(() => {
      this.#stmt.deleteStates.run(device.id, device.devEui);
      this.#stmt.delete.run(device.devEui);
    })();
  }

  /** A device whose old topics were cleared: remembered with its id and type now. */
  update(device: DeviceEntry): void {
    this.#stmt.update.run(device.id, device.type, this.#now(), device.devEui.toLowerCase());
  }

  /**
   * Moves a renamed device's saved state (device_state) from its old id to its new one, keeping per message the
   * newer event when the new id has one already. Returns the rows that moved in (not the older ones dropped).
   */
  moveStates(devEui: string, fromId: string, toId: string): number {
    if (fromId === toId) return 0;
    const eui = devEui.toLowerCase();
    return this.#db.transaction(() => {
      const moved = this.#stmt.copyStates.run(toId, fromId, eui).changes;
      this.#stmt.deleteStates.run(fromId, eui);
      return moved;
    })();
  }
}

function prepare(db: BridgeDatabase) {
  return {
    list: db.prepare('SELECT dev_eui, device, type FROM announced_devices ORDER BY dev_eui'),
    insertNew: db.prepare('INSERT OR IGNORE INTO announced_devices (dev_eui, device, type, announced_at) VALUES (?, ?, ?, ?)'),
    update: db.prepare('UPDATE announced_devices SET device = ?, type = ?, announced_at = ? WHERE dev_eui = ?'),
    delete: db.prepare('DELETE FROM announced_devices WHERE dev_eui = ?'),
    deleteStates: db.prepare(`DELETE FROM device_state WHERE ${OF_DEVICE}`),
    copyStates: db.prepare(
      `INSERT INTO device_state (device, message, received_at, f_cnt, body) ` +
        `SELECT ?, message, received_at, f_cnt, body FROM device_state WHERE ${OF_DEVICE} ` +
        'ON CONFLICT (device, message) DO UPDATE SET received_at = excluded.received_at, f_cnt = excluded.f_cnt, body = excluded.body ' +
        'WHERE excluded.received_at > device_state.received_at ' +
        'OR (excluded.received_at = device_state.received_at AND excluded.f_cnt > device_state.f_cnt)',
    ),
  };
}
