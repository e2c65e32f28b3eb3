/**
 * The LoRaWAN stage for raw frames heard by a serial module in P2P mode: parse, find the device by DevAddr, check
 * the MIC with the reconstructed 32-bit counter, apply the counter policy (docs/gateway-bridge/frame-counters.md),
 * decrypt. Network uplinks (TTN, ChirpStack) were checked by the network and only get their device looked up.
 * Never throws for any input: every frame ends accepted, duplicate or rejected with a reason.
 */
import loraPacketModule from 'lora-packet';
import { deviceStatus } from '../../../payload-schema/src/catalog/device-status.ts';
import { codec as defaultCodec, type Codec } from '../../../payload-schema/src/codec.ts';
import type {
  AcceptedFrame,
  CounterResetPolicy,
  DeviceEntry,
  NetworkUplink,
  RawFrame,
  RejectReason,
  Rejection,
  RxInfo,
} from '../types.ts';
import { MemoryCounterStore, type CounterState, type CounterStore } from './counter-store.ts';
import { counterCandidates, fCntMsbBytes, MAX_FCNT_GAP, relationOf, type CounterCandidate } from './frame-counter.ts';
import type { DeviceRegistry, SessionKeys } from './registry.ts';
import { buildRejection, toHex, type RejectionFields } from './rejection.ts';

// lora-packet is CommonJS typed as an ES default export: at run time the default import is the API itself.
const loraPacket = loraPacketModule as unknown as typeof loraPacketModule.default;
type LoraPacket = ReturnType<typeof loraPacket.fromWire>;

export type ProcessResult =
  | { kind: 'accepted'; frame: AcceptedFrame }
  /** The frame last accepted for this device, heard again by another receiver (`rx`): merge, do not republish. */
  | { kind: 'duplicate'; frame: AcceptedFrame; rx: RxInfo }
  | { kind: 'rejected'; rejection: Rejection };

export type NetworkUplinkResult = { kind: 'accepted'; frame: AcceptedFrame } | { kind: 'rejected'; rejection: Rejection };

export interface FrameProcessorOptions {
  registry: DeviceRegistry;
  /** Counter state per device; default in memory only. */
  counters?: CounterStore;
  /** Largest accepted forward counter jump (default 16384, LoRaWAN MAX_FCNT_GAP). */
  maxFCntGap?: number;
  /** How long the same frame heard again counts as a duplicate rather than a replay, ms (default 60 s). */
  dedupWindowMs?: number;
  /** Policy for devices without their own `counterReset` (default 'startup-status'). */
  counterReset?: CounterResetPolicy;
  /** A counter restart is accepted only below this on-air counter (default 16). */
  resetWindow?: number;
  /**
   * For a device with no stored counter: how many 65,536-counter epochs the MIC check tries (default 16, counters
   * up to 1,048,575), so a bridge that lost its state still picks up devices that sent more than 65,535 frames.
   */
  firstFrameEpochs?: number;
  /** Decodes the startup status for the reset policy (default: catalog v1). */
  codec?: Codec;
  /** Clock for the duplicate window, ms. */
  now?: () => number;
}

export const FRAME_PROCESSOR_DEFAULTS = {
  maxFCntGap: MAX_FCNT_GAP,
  dedupWindowMs: 60_000,
  counterReset: 'startup-status' as CounterResetPolicy,
  resetWindow: 16,
  firstFrameEpochs: 16,
};

/** How many startup MICs are remembered per device (each real reset adds at most one). */
const STARTUP_MICS_KEPT = 64;

/** MHDR: MType in the top 3 bits, Major in the low 2. */
const MTYPE_NAMES = [
  'join request',
  'join accept',
  'unconfirmed data uplink',
  'unconfirmed data downlink',
  'confirmed data uplink',
  'confirmed data downlink',
  'rejoin request',
  'proprietary frame',
];
const UNCONFIRMED_UP = 2;
const CONFIRMED_UP = 4;
/** MHDR 1 + DevAddr 4 + FCtrl 1 + FCnt 2 + MIC 4. */
const MIN_DATA_FRAME = 12;

/** The last frame accepted from a device, for duplicate detection (memory only). */
interface Recent {
  frame: AcceptedFrame;
  phyHex: string;
  acceptedAt: number;
}

/** A parsed uplink of a known device with keys: what every counter and MIC step needs. */
interface Uplink {
  raw: RawFrame;
  phyHex: string;
  packet: LoraPacket;
  device: DeviceEntry;
  keys: SessionKeys;
  fCnt16: number;
  /** null: no FPort (MAC-only frame). */
  fPort: number | null;
  mic: string;
  state: CounterState | undefined;
}

export class FrameProcessor {
  readonly #registry: DeviceRegistry;
  readonly #counters: CounterStore;
  readonly #codec: Codec;
  readonly #now: () => number;
  readonly #options: typeof FRAME_PROCESSOR_DEFAULTS;
  readonly #recent = new Map<string, Recent>();

  constructor(options: FrameProcessorOptions) {
    this.#registry = options.registry;
    this.#counters = options.counters ?? new MemoryCounterStore();
    this.#codec = options.codec ?? defaultCodec;
    this.#now = options.now ?? Date.now;
    this.#options = {
      maxFCntGap: options.maxFCntGap ?? FRAME_PROCESSOR_DEFAULTS.maxFCntGap,
      dedupWindowMs: options.dedupWindowMs ?? FRAME_PROCESSOR_DEFAULTS.dedupWindowMs,
      counterReset: options.counterReset ?? FRAME_PROCESSOR_DEFAULTS.counterReset,
      resetWindow: options.resetWindow ?? FRAME_PROCESSOR_DEFAULTS.resetWindow,
      firstFrameEpochs: options.firstFrameEpochs ?? FRAME_PROCESSOR_DEFAULTS.firstFrameEpochs,
    };
  }

  process(raw: RawFrame): ProcessResult {
    const parsed = this.#parse(raw);
    if ('rejection' in parsed) return parsed;
    const up = parsed;
    const candidates = this.#candidates(up);
    const match = candidates.find((c) => this.#micValid(up, c.fCnt));
    if (!match) {
      const counters = [...new Set(candidates.map((c) => c.fCnt))];
      const tried =
        counters.length <= 2 ? counters.join(' or ') : `${counters[0]} or ${counters.length - 1} higher epochs of 65,536`;
      const hint = up.state ? '' : ' (no stored counter for it yet)';
      const detail = `MIC does not match the NwkSKey of ${up.device.id} at FCnt ${tried}${hint}`;
      return this.#reject(up, 'mic-mismatch', detail, { fCnt: up.fCnt16, port: up.fPort ?? undefined });
    }
    const last = up.state?.fCnt;
    switch (match.relation) {
      case 'first':
      case 'next':
        return this.#accept(up, match.fCnt, false);
      case 'same': {
        const recent = this.#recent.get(up.device.devEui);
        const identical = recent !== undefined && recent.frame.fCnt === match.fCnt && recent.phyHex === up.phyHex;
        const age = identical ? this.#now() - recent.acceptedAt : Infinity;
        const window = this.#options.dedupWindowMs;
        if (identical && age <= window) return { kind: 'duplicate', frame: recent.frame, rx: raw.rx };
        const why = identical
          ? `the same frame was accepted ${Math.round(age / 1000)} s ago (outside the ${window / 1000} s duplicate window)`
          : 'a different frame with this counter was already accepted';
        return this.#resetOr(up, match, 'fcnt-replay', `FCnt ${match.fCnt} of ${up.device.id}: ${why}`);
      }
      case 'behind':
        return this.#resetOr(
          up,
          match,
          'fcnt-replay',
          `FCnt ${match.fCnt} of ${up.device.id} is behind the last accepted ${last}`,
        );
      case 'gap':
        return this.#resetOr(
          up,
          match,
          'fcnt-gap',
          `FCnt ${match.fCnt} of ${up.device.id} is ${match.fCnt - last!} ahead of the last accepted ${last} ` +
            `(at most ${this.#options.maxFCntGap} accepted)`,
        );
    }
  }

  /** An uplink a network server already checked (MIC, counter) and decrypted: only the device is looked up. */
  processNetworkUplink(uplink: NetworkUplink): NetworkUplinkResult {
    const device = this.#registry.byDevEui(uplink.devEui);
    if (!device) {
      const heard = uplink.rx[0] ?? {
        input: uplink.input,
        gatewayId: 'unknown',
        receivedAt: new Date(this.#now()).toISOString(),
      };
      const fields: RejectionFields = {
        devEui: uplink.devEui.toLowerCase(),
        fCnt: uplink.fCnt,
        port: uplink.fPort,
        raw: toHex(uplink.payload),
      };
      if (uplink.devAddr !== undefined) fields.devAddr = uplink.devAddr.toLowerCase();
      const detail =
        `DevEUI ${fields.devEui} (${uplink.input} device "${uplink.networkDeviceId}") is not in the device list`;
      const rejection = buildRejection({ ...heard, input: uplink.input }, 'unknown-deveui', detail, fields);
      return { kind: 'rejected', rejection };
    }
    const frame: AcceptedFrame = {
      device,
      fCnt: uplink.fCnt,
      fPort: uplink.fPort,
      payload: new Uint8Array(uplink.payload),
      confirmed: uplink.confirmed,
      counterReset: false,
      rx: [...uplink.rx],
      input: uplink.input,
    };
    return { kind: 'accepted', frame };
  }

  // ------------------------------------------------------------------------------------------ steps

  #parse(raw: RawFrame): Uplink | { kind: 'rejected'; rejection: Rejection } {
    const bytes = Buffer.from(raw.phyPayload);
    const phyHex = bytes.toString('hex');
    const reject = (reason: RejectReason, detail: string, fields: RejectionFields = {}) => ({
      kind: 'rejected' as const,
      rejection: buildRejection(raw.rx, reason, detail, { ...fields, raw: phyHex }),
    });
    if (bytes.length === 0) return reject('frame-too-short', 'empty frame');
    const mhdr = bytes[0]!;
    const mType = mhdr >> 5;
    if (mType !== UNCONFIRMED_UP && mType !== CONFIRMED_UP) {
      return reject('not-an-uplink', `MHDR 0x${phyHex.slice(0, 2)} is a ${MTYPE_NAMES[mType]}, not a data uplink`);
    }
    const major = mhdr & 0x03;
    if (major !== 0) return reject('lorawan-version', `MHDR major version ${major}: only LoRaWAN R1 (major 0) is understood`);
    if (bytes.length < MIN_DATA_FRAME) {
      return reject('frame-too-short', `${bytes.length} bytes: a data uplink has at least ${MIN_DATA_FRAME}`);
    }
    const devAddr = Buffer.from(bytes.subarray(1, 5)).reverse().toString('hex');
    const fCnt16 = bytes.readUInt16LE(6);
    const fOptsLen = bytes[5]! & 0x0f;
    if (bytes.length < MIN_DATA_FRAME + fOptsLen) {
      const detail = `${bytes.length} bytes: FCtrl announces ${fOptsLen} FOpts bytes, so at least ${MIN_DATA_FRAME + fOptsLen}`;
      return reject('frame-too-short', detail, { devAddr, fCnt: fCnt16 });
    }
    const device = this.#registry.byDevAddr(devAddr);
    if (!device) {
      return reject('unknown-devaddr', `DevAddr ${devAddr} is not in the device list`, { devAddr, fCnt: fCnt16 });
    }
    const keys = this.#registry.sessionKeys(device);
    const known = { devAddr, devEui: device.devEui, device: device.id, fCnt: fCnt16 };
    if (!keys) {
      const detail = `DevAddr ${devAddr} belongs to ${device.id}, which has no session keys configured`;
      return reject('unknown-devaddr', detail, known);
    }
    let packet: LoraPacket;
    try {
      packet = loraPacket.fromWire(bytes);
    } catch (error) {
      return reject('frame-too-short', `unparseable data uplink: ${(error as Error).message}`, known);
    }
    return {
      raw,
      phyHex,
      packet,
      device,
      keys,
      fCnt16,
      fPort: packet.getFPort(),
      mic: phyHex.slice(-8),
      state: this.#counters.get(device.devEui),
    };
  }

  /** The 32-bit counters to try, plus the on-air value itself when it could be a counter restart. */
  #candidates(up: Uplink): CounterCandidate[] {
    const o = this.#options;
    const candidates = counterCandidates(up.fCnt16, up.state?.fCnt, {
      maxFCntGap: o.maxFCntGap,
      firstEpochs: o.firstFrameEpochs,
    });
    const mayRestart = up.state !== undefined && up.fCnt16 < o.resetWindow && up.fPort === deviceStatus.port;
    if (mayRestart && !candidates.some((c) => c.fCnt === up.fCnt16)) {
      candidates.push({ fCnt: up.fCnt16, relation: relationOf(up.fCnt16, up.state!.fCnt, o.maxFCntGap) });
    }
    return candidates;
  }

  #micValid(up: Uplink, fCnt: number): boolean {
    try {
      return loraPacket.verifyMIC(up.packet, up.keys.nwkSKey, undefined, fCntMsbBytes(fCnt));
    } catch {
      return false;
    }
  }

  #decrypt(up: Uplink, fCnt: number): Uint8Array {
    const cipher = up.packet.FRMPayload;
    if (up.fPort === null || cipher === undefined || cipher.length === 0) return new Uint8Array(0);
    return new Uint8Array(loraPacket.decrypt(up.packet, up.keys.appSKey, up.keys.nwkSKey, fCntMsbBytes(fCnt)));
  }

  #accept(up: Uplink, fCnt: number, counterReset: boolean, payload = this.#decrypt(up, fCnt)): ProcessResult {
    const frame: AcceptedFrame = {
      device: up.device,
      fCnt,
      fPort: up.fPort ?? 0,
      payload,
      confirmed: up.packet.isConfirmed(),
      counterReset,
      rx: [up.raw.rx],
      input: up.raw.rx.input,
    };
    let startupMics = up.state?.startupMics ?? [];
    if (up.fPort === deviceStatus.port && fCnt < this.#options.resetWindow && !startupMics.includes(up.mic)) {
      startupMics = [...startupMics, up.mic].slice(-STARTUP_MICS_KEPT);
    }
    this.#counters.set(up.device.devEui, { fCnt, startupMics });
    this.#recent.set(up.device.devEui, { frame, phyHex: up.phyHex, acceptedAt: this.#now() });
    return { kind: 'accepted', frame };
  }

  /**
   * A MIC-valid frame the counter refuses: accepted as a counter restart when the device's policy allows it and the
   * frame is a fresh startup status at a low counter, else rejected with `reason`.
   */
  #resetOr(up: Uplink, match: CounterCandidate, reason: RejectReason, detail: string): ProcessResult {
    const refused = (why?: string): ProcessResult =>
      this.#reject(up, reason, why ? `${detail}; not a counter restart: ${why}` : detail, {
        fCnt: match.fCnt,
        port: up.fPort ?? undefined,
      });
    if (match.fCnt !== up.fCnt16 || up.fCnt16 >= this.#options.resetWindow) return refused();
    const policy = up.device.counterReset ?? this.#options.counterReset;
    if (policy !== 'startup-status') return refused(`the counter-reset policy of ${up.device.id} is '${policy}'`);
    if (up.fPort !== deviceStatus.port) {
      return refused(`FPort ${up.fPort ?? 'none'} is not the device status (FPort ${deviceStatus.port})`);
    }
    const payload = this.#decrypt(up, match.fCnt);
    const decoded = this.#codec.decode(deviceStatus.port, payload);
    if (!decoded.ok) return refused(`the device status does not decode (${decoded.error.message})`);
    if (decoded.data.event !== 'startup') return refused(`the device status is a ${String(decoded.data.event)}, not a startup`);
    if (decoded.data.resetReason === 'unknown') return refused('the startup status gives no reset reason');
    if (up.state?.startupMics.includes(up.mic)) return refused('this startup frame was already accepted once (a replay)');
    return this.#accept(up, match.fCnt, true, payload);
  }

  #reject(up: Uplink, reason: RejectReason, detail: string, fields: RejectionFields): ProcessResult {
    const { devAddr, devEui, id } = up.device;
    const known: RejectionFields = { devAddr, devEui, device: id, raw: up.phyHex };
    return { kind: 'rejected', rejection: buildRejection(up.raw.rx, reason, detail, { ...known, ...fields }) };
  }
}
