import { describe, expect, it } from 'vitest';
import { Settings, type SettingsTree } from '../../firmware/core/settings.ts';

const defaults: SettingsTree = { sendInterval: 900, heartbeatInterval: 360, adr: true, road: { iceMargin: 2 } };

function memoryStore(initial?: Record<string, string>) {
  const files: Record<string, string> = { ...initial };
  return { files, read: (n: string) => files[n], write: (n: string, v: string) => void (files[n] = v) };
}

describe('settings', () => {
  it('starts from the defaults and applies partial downlinks', () => {
    const store = memoryStore();
    const s = new Settings(defaults, store);
    expect(s.current()).toEqual(defaults);
    expect(s.apply({ sendInterval: 600, road: { iceMargin: 3.5 } })).toEqual({ changed: true, ignored: [] });
    expect(s.get('sendInterval')).toBe(600);
    expect(s.get('road.iceMargin')).toBe(3.5);
    expect(s.get('heartbeatInterval')).toBe(360);
  });

  it('persists only overrides, which survive a restart', () => {
    const store = memoryStore();
    new Settings(defaults, store).apply({ sendInterval: 600 });
    expect(JSON.parse(store.files['ss.settings']!)).toEqual({ sendInterval: 600 });
    expect(new Settings(defaults, store).get('sendInterval')).toBe(600);
  });

  it('restores a default on null and reports settings this device does not have', () => {
    const store = memoryStore();
    const s = new Settings(defaults, store);
    s.apply({ road: { iceMargin: 4 } });
    expect(s.apply({ road: { iceMargin: null }, parking: { dwell: 3 }, commands: { reboot: true } })).toEqual({
      changed: true,
      ignored: ['parking'],
    });
    expect(s.get('road.iceMargin')).toBe(2);
  });

  it('does not write flash when nothing changes', () => {
    const store = memoryStore();
    const s = new Settings(defaults, store);
    expect(s.apply({ sendInterval: 900 }).changed).toBe(false);
    expect(store.files['ss.settings']).toBeUndefined();
  });

  it('survives a damaged or foreign settings file', () => {
    expect(new Settings(defaults, memoryStore({ 'ss.settings': '{not json' })).current()).toEqual(defaults);
    const foreign = new Settings(defaults, memoryStore({ 'ss.settings': '{"sendInterval":"fast","__proto__":{"x":1},"road":{"iceMargin":1}}' }));
    expect(foreign.current()).toEqual({ ...defaults, road: { iceMargin: 1 } });
  });
});
