/**
 * A new device identity with keys from the operating system's cryptographic random source (crypto.randomBytes).
 *
 * - DevEUI (EUI-64): a locally administered address by default: the first octet has the U/L bit (0x02) set and the
 *   I/G bit (0x01) clear (IEEE 802 / EUI-64 rules), so it can never collide with an IEEE-assigned EUI. With an OUI
 *   (the organisation's IEEE MA-L block, 6 hex digits) the EUI is the OUI followed by 40 random bits instead; with
 *   --dev-eui the given EUI is used as it is (e.g. the one on a RAK3172's label, for OTAA).
 * - DevAddr (P2P / ABP): from the block of NetID 0x000000, which the LoRa Alliance (Backend Interfaces, NetID
 *   type 0) reserves for private and experimental networks: NwkID 0 gives DevAddr 0x00000000-0x01FFFFFF
 *   (prefix bit 0, 6 bits NwkID, 25 bits NwkAddr). 0x00000000 itself is never chosen. A network with its own
 *   NetID (TTN is 0x000013: 0x26000000-0x27FFFFFF) passes --devaddr.
 * - NwkSKey, AppSKey (P2P / ABP) and AppKey (OTAA): 128 random bits each.
 * - OTAA JoinEUI (AppEUI): all zeros unless given, as TTN and ChirpStack suggest when there is no join server.
 *
 * The keys file is exactly what the firmware's readKeys() parses (firmware/core/node.ts NodeKeys); P2P nodes get
 * the radio settings of the gateway bridge's defaults (gateway-bridge/src/config/defaults.ts), so node and bridge
 * meet on the same channel unless one of them is changed.
 */
import { randomBytes } from 'node:crypto';
import { P2P_DEFAULTS } from '../../gateway-bridge/src/config/defaults.ts';
import { DEVICE_TYPES } from '../../gateway-bridge/src/config/schema.ts';
import type { DeviceType } from '../../gateway-bridge/src/types.ts';
import type { NodeKeys } from '../../firmware/core/node.ts';

export type KeyMode = 'p2p' | 'otaa';

/** NetID 0x000000 (private / experimental): DevAddr 0x00000000-0x01FFFFFF. */
export const PRIVATE_DEVADDR_RANGE = { netId: 0x000000, first: 0x00000001, last: 0x01ffffff } as const;

export interface IdentityOptions {
  app: string;
  mode: KeyMode;
  /** Human-readable name; the registry id is made from it (or from app and DevEUI). */
  name?: string;
  /** 8 hex digits (P2P only). */
  devAddr?: string;
  /** 16 hex digits; default a random locally administered EUI-64. */
  devEui?: string;
  /** 6 hex digits of an IEEE OUI to prefix random DevEUIs with. */
  oui?: string;
  /** 16 hex digits (OTAA only); default all zeros. */
  joinEui?: string;
  /** Default crypto.randomBytes (tests pass a deterministic source to check the layout rules). */
  random?: (bytes: number) => Uint8Array;
}

export interface DeviceIdentity {
  /** Bridge registry id (topic-safe). */
  id: string;
  name: string;
  type: DeviceType;
  devEui: string;
  keys: NodeKeys;
}

export class IdentityError extends Error {
  override readonly name = 'IdentityError';
}

const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').toUpperCase();

function hexOption(value: string | undefined, digits: number, what: string): string | undefined {
  if (value === undefined) return undefined;
  const clean = value.replace(/^0x/i, '').replace(/[:\s-]/g, '');
  if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(clean)) throw new IdentityError(`${what} must be ${digits} hex digits, not ${JSON.stringify(value)}`);
  return clean.toUpperCase();
}

/** A random EUI-64: the OUI and 40 random bits, or 64 random bits made locally administered and unicast. */
export function randomDevEui(random: (bytes: number) => Uint8Array, oui?: string): string {
  if (oui !== undefined) {
    const prefix = Buffer.from(oui, 'hex');
    if (prefix[0]! & 0x03) throw new IdentityError(`OUI ${oui} is not an IEEE-assigned OUI (its first octet has the U/L or I/G bit set)`);
    return hexOf(Buffer.concat([prefix, Buffer.from(random(5))]));
  }
  const bytes = Uint8Array.from(random(8));
  bytes[0] = (bytes[0]! & 0xfc) | 0x02;
  return hexOf(bytes);
}

/** A random DevAddr from the private NetID 0x000000 block (never 0). */
export function randomPrivateDevAddr(random: (bytes: number) => Uint8Array): string {
  for (;;) {
    const value = Buffer.from(random(4)).readUInt32BE(0) & PRIVATE_DEVADDR_RANGE.last;
    if (value >= PRIVATE_DEVADDR_RANGE.first) return value.toString(16).toUpperCase().padStart(8, '0');
  }
}

/** The bridge's device type for a firmware app: `road-climate` -> `roadClimate`, `unknown` for apps without one. */
export function deviceTypeFor(app: string): DeviceType {
  const camel = app.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return (DEVICE_TYPES as readonly string[]).includes(camel) ? (camel as DeviceType) : 'unknown';
}

/** A topic-safe id ([a-z0-9][a-z0-9_-]{0,63}) from a name. */
export function registryId(text: string): string {
  const id = text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ß/g, 'ss')
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
  if (!id) throw new IdentityError(`cannot make a registry id from ${JSON.stringify(text)}: use letters or digits`);
  return id;
}

export function createIdentity(options: IdentityOptions): DeviceIdentity {
  const random = options.random ?? ((n: number) => randomBytes(n));
  const oui = hexOption(options.oui, 6, '--oui');
  const devEui = hexOption(options.devEui, 16, '--dev-eui') ?? randomDevEui(random, oui);
  const id = registryId(options.name ?? `${options.app}-${devEui.slice(-6)}`);
  const base = { id, name: options.name ?? id, type: deviceTypeFor(options.app), devEui };
  if (options.mode === 'p2p') {
    if (options.joinEui !== undefined) throw new IdentityError('--join-eui is for --mode otaa');
    const devAddr = hexOption(options.devAddr, 8, '--devaddr') ?? randomPrivateDevAddr(random);
    return {
      ...base,
      keys: {
        network: 'p2p',
        devAddr,
        nwkSKey: hexOf(random(16)),
        appSKey: hexOf(random(16)),
        p2p: {
          freqHz: P2P_DEFAULTS.frequencyHz,
          sf: P2P_DEFAULTS.spreadingFactor,
          bwKhz: P2P_DEFAULTS.bandwidthKhz,
          cr: P2P_DEFAULTS.codingRate,
          preamble: P2P_DEFAULTS.preamble,
          txPowerDbm: P2P_DEFAULTS.txPowerDbm,
        },
      },
    };
  }
  if (options.devAddr !== undefined) throw new IdentityError('--devaddr is for --mode p2p (an OTAA node gets its DevAddr when it joins)');
  return {
    ...base,
    keys: {
      network: 'lorawan',
      band: 'EU868',
      activation: 'otaa',
      devEui,
      appEui: hexOption(options.joinEui, 16, '--join-eui') ?? '0000000000000000',
      appKey: hexOf(random(16)),
    },
  };
}
