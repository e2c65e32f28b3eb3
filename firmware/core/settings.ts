/**
 * Device settings: the app's defaults, overridden by configuration downlinks (FPort 3) and persisted as overrides
 * only, so a new firmware with new defaults still applies them. The shape is that of the deviceConfig message:
 * `{ sendInterval: 600, road: { iceMargin: 2 } }`. A null value in a downlink restores the default.
 */

export type SettingValue = number | boolean;
export interface SettingsTree {
  [key: string]: SettingValue | SettingsTree;
}

export interface SettingsStore {
  read(name: string): string | undefined;
  write(name: string, value: string): void;
}

const FILE = 'ss.settings';

function isTree(v: unknown): v is SettingsTree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Keeps only keys the defaults know, with the defaults' types: a stale or foreign file cannot inject anything.
 * (Keys come from the defaults, so nothing inherited, such as `__proto__`, is ever read from the file.)
 */
function sanitize(overrides: unknown, defaults: SettingsTree): SettingsTree {
  const out: SettingsTree = {};
  if (!isTree(overrides)) return out;
  for (const k in defaults) {
    const d = defaults[k]!;
    const v = overrides[k];
    if (isTree(d)) {
      const sub = sanitize(v, d);
      if (Object.keys(sub).length > 0) out[k] = sub;
    } else if (typeof v === typeof d) {
      out[k] = v as SettingValue;
    }
  }
  return out;
}

/** A new tree shaped as the defaults, with the (sanitized) overrides in place of their defaults. */
function merge(defaults: SettingsTree, over: SettingsTree): SettingsTree {
  const out: SettingsTree = {};
  for (const k in defaults) {
    const d = defaults[k]!;
    const v = over[k];
    out[k] = isTree(d) ? merge(d, isTree(v) ? v : {}) : v === undefined ? d : v;
  }
  return out;
}

export class Settings {
  private overrides: SettingsTree;
  private effective: SettingsTree;

  constructor(
    private readonly defaults: SettingsTree,
    private readonly store: SettingsStore,
  ) {
    let stored: unknown;
    try {
      const text = store.read(FILE);
      stored = text ? JSON.parse(text) : undefined;
    } catch {
      stored = undefined; // a damaged file means defaults, not a boot loop
    }
    this.overrides = sanitize(stored, defaults);
    this.effective = merge(defaults, this.overrides);
  }

  /** The settings in force: the config report's content. */
  current(): SettingsTree {
    return this.effective;
  }

  get(path: string): SettingValue {
    let node: SettingValue | SettingsTree = this.effective;
    const parts = path.split('.');
    for (let i = 0; i < parts.length; i++) node = (node as SettingsTree)[parts[i]!]!;
    return node as SettingValue;
  }

  /**
   * Applies a decoded deviceConfig downlink. Settings this device does not have are ignored and named in the
   * result, so the config report shows what was not taken. Returns whether anything changed.
   */
  apply(update: Record<string, unknown>): { changed: boolean; ignored: string[] } {
    const ignored: string[] = [];
    let changed = false;
    const walk = (upd: Record<string, unknown>, defaults: SettingsTree, over: SettingsTree, now: SettingsTree, prefix: string): void => {
      for (const k in upd) {
        if (prefix === '' && k === 'commands') continue;
        const v = upd[k];
        const d = defaults[k];
        if (d === undefined) {
          ignored.push(prefix + k);
        } else if (isTree(d)) {
          if (!isTree(over[k])) over[k] = {};
          walk(v as Record<string, unknown>, d, over[k] as SettingsTree, now[k] as SettingsTree, `${prefix}${k}.`);
        } else if (v === null) {
          if (over[k] !== undefined) changed = true;
          delete over[k];
        } else if (typeof v === typeof d && now[k] !== v) {
          over[k] = v as SettingValue;
          changed = true;
        }
      }
    };
    walk(update, this.defaults, this.overrides, this.effective, '');
    if (changed) {
      this.overrides = sanitize(this.overrides, this.defaults);
      this.effective = merge(this.defaults, this.overrides);
      this.store.write(FILE, JSON.stringify(this.overrides));
    }
    return { changed, ignored };
  }
}
