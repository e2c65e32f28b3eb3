import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DeviceRegistry } from '../../../gateway-bridge/src/lorawan/registry.ts';
import { keysIn, otherDevice, VECTOR, vectorDevice } from './support.ts';

describe('DeviceRegistry', () => {
  const registry = new DeviceRegistry([vectorDevice(), otherDevice(), { id: 'ttn-1', name: 'TTN node', devEui: '0004a30b001c0530', type: 'waterLevel' }]);

  it('finds a device by DevAddr, DevEUI and id, in any case', () => {
    expect(registry.byDevAddr('49BE7DF1')?.id).toBe('road-3');
    expect(registry.byDevAddr('26011bda')?.id).toBe('bay-7');
    expect(registry.byDevEui('70B3D57ED0000007')?.id).toBe('bay-7');
    expect(registry.byId('ttn-1')?.devEui).toBe('0004a30b001c0530');
    expect(registry.byDevAddr('00000000')).toBeUndefined();
    expect(registry.byDevEui('0000000000000000')).toBeUndefined();
    expect(registry.byId('nope')).toBeUndefined();
    expect(registry.size).toBe(3);
    expect(registry.devices().map((d) => d.id)).toEqual(['road-3', 'bay-7', 'ttn-1']);
  });

  it('normalises configured hex to lower case', () => {
    const r = new DeviceRegistry([vectorDevice({ devEui: '70B3D57ED000000A', devAddr: '49BE7DF1' })]);
    expect(r.byDevAddr('49be7df1')?.devEui).toBe('70b3d57ed000000a');
    expect(r.byDevEui('70b3d57ed000000a')?.devAddr).toBe('49be7df1');
  });

  it('hands out entries without keys, and frozen', () => {
    const device = registry.byDevAddr(VECTOR.devAddr)!;
    expect(device).not.toHaveProperty('nwkSKey');
    expect(device).not.toHaveProperty('appSKey');
    expect(Object.isFrozen(device)).toBe(true);
    expect(keysIn(registry.devices())).toEqual([]);
  });

  it('keeps the keys as Buffers for the frame processor', () => {
    const keys = registry.sessionKeys(registry.byId('road-3')!)!;
    expect(Buffer.isBuffer(keys.nwkSKey)).toBe(true);
    expect(keys.nwkSKey.toString('hex')).toBe(VECTOR.nwkSKey);
    expect(keys.appSKey.toString('hex')).toBe(VECTOR.appSKey);
    expect(registry.sessionKeys(registry.byId('ttn-1')!)).toBeUndefined();
  });

  it('describe() and JSON show no key, only whether there is one', () => {
    const summary = registry.describe();
    expect(summary.map((d) => [d.id, d.hasSessionKeys])).toEqual([
      ['road-3', true],
      ['bay-7', true],
      ['ttn-1', false],
    ]);
    expect(keysIn(summary)).toEqual([]);
    expect(keysIn(registry)).toEqual([]);
    expect(JSON.parse(JSON.stringify(registry))).toEqual(summary);
    const printed = inspect(registry, { depth: 10, showHidden: true }).toLowerCase();
    expect(printed).not.toContain(VECTOR.nwkSKey);
    expect(printed).not.toContain(VECTOR.appSKey);
  });

  it('refuses duplicate ids, DevEUIs and DevAddrs, naming both devices', () => {
    expect(() => new DeviceRegistry([vectorDevice(), otherDevice({ id: 'road-3' })])).toThrow(
      'duplicate device id road-3: devices "road-3" and "road-3"',
    );
    expect(() => new DeviceRegistry([vectorDevice(), otherDevice({ devEui: '70B3D57ED0000003' })])).toThrow(
      'duplicate DevEUI 70b3d57ed0000003: devices "road-3" and "bay-7"',
    );
    expect(() => new DeviceRegistry([vectorDevice(), otherDevice({ devAddr: '49BE7DF1' })])).toThrow(
      'duplicate DevAddr 49be7df1: devices "road-3" and "bay-7"',
    );
  });

  it('refuses malformed identifiers and keys without printing the key', () => {
    expect(() => new DeviceRegistry([vectorDevice({ devEui: '70b3' })])).toThrow('devEui must be 16 hex digits');
    expect(() => new DeviceRegistry([vectorDevice({ devAddr: '49be7df' })])).toThrow('devAddr must be 8 hex digits');
    const badKey = VECTOR.nwkSKey.slice(0, 30) + 'zz';
    let message = '';
    try {
      new DeviceRegistry([vectorDevice({ nwkSKey: badKey })]);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('device road-3: nwkSKey must be 32 hex digits (16 bytes), got 32 characters');
    expect(message).not.toContain(badKey.slice(0, 8));
  });

  it('needs both session keys and a DevAddr for them', () => {
    expect(() => new DeviceRegistry([vectorDevice({ appSKey: undefined })])).toThrow('give both nwkSKey and appSKey');
    expect(() => new DeviceRegistry([vectorDevice({ devAddr: undefined })])).toThrow('session keys need a devAddr');
  });
});
