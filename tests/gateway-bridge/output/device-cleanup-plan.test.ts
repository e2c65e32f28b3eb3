/** What DeviceCleanup asks the publisher to clear, from what the bridge database remembers (no broker needed). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { AnnouncedDevices } from '../../../gateway-bridge/src/outbox/announced-devices.ts';
import { openBridgeDatabase, type BridgeDatabase } from '../../../gateway-bridge/src/outbox/database.ts';
import { DeviceCleanup, type DeviceChange } from '../../../gateway-bridge/src/output/device-cleanup.ts';
import { discoveryMessages, entitiesOf } from '../../../gateway-bridge/src/output/home-assistant.ts';
import { topicLayout } from '../../../gateway-bridge/src/output/topics.ts';
import type { DeviceEntry } from '../../../gateway-bridge/src/types.ts';
import { sampleEvent } from '../outbox/sample-events.ts';

let dir: string;
let db: BridgeDatabase;
let store: AnnouncedDevices;
const topics = topicLayout({ gatewayId: 'test-gw' });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stadtsensor-cleanup-plan-'));
  db = openBridgeDatabase(join(dir, 'bridge.sqlite'));
  store = new AnnouncedDevices(db);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const ROAD: DeviceEntry = { id: 'road-3', name: 'Road 3', devEui: '70b3d57ed005a1b2', type: 'roadClimate' };
const BAY: DeviceEntry = { id: 'bay-1', name: 'Bay 1', devEui: '70b3d57ed005a1b3', type: 'parkingBay' };

function cleanup(devices: DeviceEntry[], options: { discovery?: boolean; onCleared?: (change: DeviceChange) => void } = {}): DeviceCleanup {
  const discovery = options.discovery === false ? {} : { discoveryPrefix: 'homeassistant' };
  return new DeviceCleanup({ store, devices, topics, ...discovery, ...(options.onCleared ? { onCleared: options.onCleared } : {}) });
}

const topicsOf = (messages: { topic: string }[]): string[] => messages.map((m) => m.topic).sort();

it('remembers the configured devices and has nothing to clear for them', () => {
  expect(cleanup([ROAD, BAY]).pending()).toEqual([]);
  expect(store.list()).toEqual([
    { devEui: ROAD.devEui, id: ROAD.id, type: ROAD.type },
    { devEui: BAY.devEui, id: BAY.id, type: BAY.type },
  ]);
});

it('clears every config a removed DevEUI could have and its state, and forgets it once cleared', () => {
  cleanup([ROAD, BAY]);
  const changes: DeviceChange[] = [];
  const next = cleanup([ROAD], { onCleared: (change) => changes.push(change) });
  const [item, ...rest] = next.pending();
  expect(rest).toEqual([]);
  expect(item?.key).toBe(BAY.devEui);
  expect(item?.messages.every((m) => m.payload === '')).toBe(true);
  const wanted = [...discoveryMessages(BAY, { gatewayId: 'test-gw', swVersion: '0' }).map((m) => m.topic), topics.state(BAY.id)];
  expect(topicsOf(item!.messages)).toEqual(expect.arrayContaining(wanted));
  // the configs of every other type's entities too, and not one of ROAD's
  expect(item!.messages.length).toBeGreaterThan(wanted.length);
  expect(item!.messages.filter((m) => m.topic.includes(ROAD.devEui))).toEqual([]);
  item!.cleared();
  expect(changes.map((c) => c.kind)).toEqual(['removed']);
  expect(store.list().map((d) => d.id)).toEqual([ROAD.id]);
  expect(next.pending()).toEqual([]);
});

it("clears a renamed device's old state only, moves its saved state at once and remembers the new id once cleared", () => {
  cleanup([ROAD]);
  db.prepare('INSERT INTO device_state (device, message, received_at, f_cnt, body) VALUES (?, ?, ?, ?, ?)').run(
    ROAD.id,
    'roadClimate',
    1_000,
    7,
    JSON.stringify(sampleEvent(7)),
  );
  const renamed = { ...ROAD, id: 'road-3-bridge' };
  const next = cleanup([renamed]);
  expect(db.prepare('SELECT device FROM device_state').all()).toEqual([{ device: renamed.id }]);
  const [item] = next.pending();
  expect(item?.messages).toEqual([{ topic: topics.state(ROAD.id), payload: '' }]);
  item!.cleared();
  expect(store.list()).toEqual([{ devEui: ROAD.devEui, id: renamed.id, type: ROAD.type }]);
  expect(next.pending()).toEqual([]);
});

it("clears only the configs of a retyped device's entities the new type does not have", () => {
  cleanup([ROAD]);
  const asBay = { ...ROAD, type: 'parkingBay' as const };
  const [item] = cleanup([asBay]).pending();
  const cleared = topicsOf(item!.messages);
  const kept = new Set(discoveryMessages(asBay, { gatewayId: 'test-gw', swVersion: '0' }).map((m) => m.topic));
  expect(cleared.filter((topic) => kept.has(topic))).toEqual([]);
  for (const entity of entitiesOf('roadClimate').filter((e) => !entitiesOf('parkingBay').some((b) => b.rule.key === e.rule.key))) {
    expect(cleared).toContain(`homeassistant/${entity.rule.component}/stadtsensor_${ROAD.devEui}_${entity.rule.key}/config`);
  }
  expect(cleared).not.toContain(topics.state(ROAD.id));
});

it('clears only the old state topics when discovery is off', () => {
  cleanup([ROAD, BAY]);
  const items = cleanup([{ ...ROAD, id: 'renamed' }], { discovery: false }).pending();
  expect(items.map((item) => item.messages)).toEqual([[{ topic: topics.state(ROAD.id), payload: '' }], [{ topic: topics.state(BAY.id), payload: '' }]]);
});
