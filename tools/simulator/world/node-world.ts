/**
 * A firmware bundle on a simulated node in a simulated town: the board from a hardware profile (hardware/boards/),
 * a RAK3172 or a RAK811 (the profile's `modem.chip`) on the profile's modem UART at `distanceM` from the gateway,
 * the battery on the profile's divider pin, the modem's NRST on the profile's reset pin, the app's I2C devices on the
 * profile's bus, and the network side: a P2P gateway module (P2P keys) or a LoRaWAN network server (OTAA keys).
 * The device tests and `stadtsensor simulate` build on this; climate-world.ts adds the road-climate sensors.
 *
 * Order of events: the gateway comes up first (a P2P module needs about 2 s of virtual time to reach receive
 * mode), then the node is powered: keys are written to Storage (`ss.keys`) and the bundle is uploaded to flash.
 * There is one clock for everything: the scheduler's, from the creation of the world (`firmwareLoadedAtMs` says
 * when the firmware started).
 */
import { loadBoard } from '../../firmware-build/index.ts';
import type { BoardProfile as HardwareProfile } from '../../../hardware/boards/board-profile.ts';
import { codec } from '../../../payload-schema/src/codec.ts';
import type { I2CDevice } from '../contracts.ts';
import { SimulatedRak3172 } from '../devices/rak3172.ts';
import { SimulatedRak811 } from '../devices/rak811.ts';
import { RadioMediumSim } from '../radio/medium.ts';
import { SimulatedNetwork } from '../radio/network.ts';
import type { PropagationModel } from '../radio/propagation.ts';
import { BOARDS, createEspruinoBoard, type BoardName, type ConsoleLine, type EspruinoBoard } from '../runtime/index.ts';
import { VirtualScheduler } from '../scheduler.ts';
import { KEYS_FILE, type NodeKeys } from './keys.ts';
import { ModemActivity } from './modem-activity.ts';
import { P2pGateway } from './p2p-gateway.ts';
import { uplinkFromGateway, uplinkFromNetwork, type WorldUplink } from './uplinks.ts';

/** The simulated runtime's board for each Espruino board name a profile may give. */
const RUNTIME_BOARDS: Readonly<Record<HardwareProfile['espruinoBoard'], BoardName>> = {
  MDBT42Q: 'MDBT42Q',
  PICO_R1_3: 'PICO',
};

export const DEFAULT_DISTANCE_M = 800;
/** Two AA cells, part used. */
export const DEFAULT_BATTERY_VOLTS = 3.0;
/** Radio ids on the medium. */
export const NODE_ID = 'node';
export const GATEWAY_ID = 'gateway';

export interface NodeWorldOptions {
  /** Firmware bundle text, as the firmware build produces it. */
  bundle: string;
  /** A profile id from hardware/boards/ (`mdbt42q-rak3172`). */
  boardId: string;
  keys: NodeKeys;
  /** Seeds the scheduler: sensor noise, shadowing, modem randomness. Default 1. */
  seed?: number;
  /** Distance from the gateway. Default 800 m. */
  distanceM?: number;
  /** Default 3.0 V. */
  batteryVolts?: number;
  /** The app's I2C devices, attached to the profile's bus before the firmware starts. */
  i2cDevices?: (scheduler: VirtualScheduler) => I2CDevice[];
  propagation?: Partial<PropagationModel>;
  /** P2P: time from the end of an uplink to the downlink. Default P2P_DOWNLINK_DELAY_MS. */
  downlinkDelayMs?: number;
  /** Called for every console line the firmware prints. */
  onConsole?: (line: ConsoleLine) => void;
  /** Where board profiles live (tests). */
  boardsDir?: string;
}

function isDriven(mode: string | undefined): boolean {
  return mode === 'output' || mode === 'af_output' || mode === 'opendrain' || mode === 'opendrain_pullup';
}

export class NodeWorld {
  readonly scheduler: VirtualScheduler;
  readonly medium: RadioMediumSim;
  readonly profile: HardwareProfile;
  readonly keys: NodeKeys;
  readonly board: EspruinoBoard;
  /** The node's modem, as the profile names it (`modem.chip`): a RAK3172, or a RAK811 (then also `rak811`). */
  readonly modemDevice: SimulatedRak3172 | SimulatedRak811;
  readonly rak811: SimulatedRak811 | undefined;
  /** What went over the modem's UART, for power accounting: AT commands, P2P receive windows. */
  readonly modemActivity: ModemActivity;
  /** P2P: the gateway module and its ABP session. */
  readonly gateway: P2pGateway | undefined;
  /** LoRaWAN: the network server and its gateway. */
  readonly network: SimulatedNetwork | undefined;
  readonly i2cDevices: readonly I2CDevice[];
  /** Virtual time at which the bundle was loaded. */
  readonly firmwareLoadedAtMs: number;
  /** Times the firmware pulled the modem's reset pin low. */
  modemResets = 0;
  private readonly bootsBeforeLoad: number;
  private battery: number;
  private readonly p2pUplinks: WorldUplink[] = [];
  private readonly networkUplinks: WorldUplink[] = [];

  constructor(options: NodeWorldOptions) {
    this.profile = loadBoard(options.boardId, options.boardsDir);
    this.keys = options.keys;
    this.battery = options.batteryVolts ?? DEFAULT_BATTERY_VOLTS;
    this.scheduler = new VirtualScheduler({ seed: options.seed ?? 1 });
    this.medium = new RadioMediumSim(this.scheduler, options.propagation ? { propagation: options.propagation } : {});

    const keys = options.keys;
    if (keys.network === 'p2p') {
      this.gateway = new P2pGateway({
        scheduler: this.scheduler,
        medium: this.medium,
        keys,
        id: GATEWAY_ID,
        ...(options.downlinkDelayMs !== undefined ? { downlinkDelayMs: options.downlinkDelayMs } : {}),
      });
      this.gateway.onFrame((frame) => this.p2pUplinks.push(uplinkFromGateway(frame)));
      this.gateway.start();
    } else {
      this.network = new SimulatedNetwork({ scheduler: this.scheduler, medium: this.medium, position: { x: 0, y: 0 }, id: GATEWAY_ID });
      this.network.register({ devEui: keys.devEui, appKey: keys.appKey });
    }

    const runtimeBoard = BOARDS[RUNTIME_BOARDS[this.profile.espruinoBoard]];
    this.board = createEspruinoBoard({
      scheduler: this.scheduler,
      board: { ...runtimeBoard, vars: this.profile.variables },
      hasAES: this.profile.builtinAes,
      id: NODE_ID,
      ...(options.onConsole ? { onConsole: options.onConsole } : {}),
    });
    const modemPlace = {
      id: NODE_ID,
      position: { x: options.distanceM ?? DEFAULT_DISTANCE_M, y: 0 },
      medium: this.medium,
      ...(keys.network === 'lorawan' ? { devEui: keys.devEui } : {}),
    };
    this.modemDevice =
      this.profile.modem.chip === 'RAK811'
        ? new SimulatedRak811(modemPlace)
        : // AT+BAT: the climate node has no regulator (hardware/climate-node.md), so the module's supply is the battery.
          new SimulatedRak3172({ ...modemPlace, batteryVolts: () => this.battery });
    this.rak811 = this.modemDevice instanceof SimulatedRak811 ? this.modemDevice : undefined;
    this.modemActivity = new ModemActivity(this.modemDevice);
    this.board.attachSerial(this.profile.modem.serial, this.modemActivity);
    this.i2cDevices = options.i2cDevices ? options.i2cDevices(this.scheduler) : [];
    for (const device of this.i2cDevices) this.board.attachI2C(this.profile.i2c.bus, device);
    this.board.setSupply(this.profile.battery.vrefVolts);
    this.applyBattery();
    this.wireModemReset();

    if (!this.board.storage.write(KEYS_FILE, JSON.stringify(keys))) throw new Error(`${KEYS_FILE} does not fit in Storage`);
    this.firmwareLoadedAtMs = this.scheduler.now();
    this.bootsBeforeLoad = this.board.boots;
    this.board.load(options.bundle);
  }

  /** The node's RAK3172; throws when the profile names a RAK811 (see `rak811`). */
  get modem(): SimulatedRak3172 {
    if (!(this.modemDevice instanceof SimulatedRak3172)) throw new Error(`${this.profile.id} carries a ${this.profile.modem.chip}: use world.rak811`);
    return this.modemDevice;
  }

  /** How often the firmware started: 1 after the upload, one more for every reset or power cycle. */
  get firmwareStarts(): number {
    return this.board.boots - this.bootsBeforeLoad;
  }

  /** Runs the world for `ms` of virtual time. */
  run(ms: number): void {
    this.scheduler.runFor(ms);
  }

  /** Every uplink the network side received, in order, accepted or not. */
  get uplinks(): readonly WorldUplink[] {
    if (this.gateway) return this.p2pUplinks;
    const received = this.network!.uplinks;
    for (let i = this.networkUplinks.length; i < received.length; i++) this.networkUplinks.push(uplinkFromNetwork(received[i]!));
    return this.networkUplinks;
  }

  /**
   * Encodes `value` with the payload codec for the downlink message on `port` and queues it: P2P, the gateway
   * module sends it after the node's next uplink; LoRaWAN, the network server sends it in RX1 of the next uplink.
   * Returns the encoded application payload; throws when the codec rejects the value.
   */
  sendDownlink(port: number, value: unknown): Uint8Array {
    const encoded = codec.encode(port, value);
    if (!encoded.ok) throw new Error(`FPort ${port}: ${encoded.error.message}`);
    if (encoded.message.direction !== 'downlink') throw new Error(`FPort ${port} (${encoded.message.name}) is not a downlink message`);
    if (this.gateway) this.gateway.queueDownlink(port, encoded.bytes);
    else if (this.keys.network === 'lorawan') this.network!.queueDownlink(this.keys.devEui, port, encoded.bytes);
    return encoded.bytes;
  }

  get console(): readonly ConsoleLine[] {
    return this.board.console;
  }

  /** Uncaught exceptions and lines the firmware logged at level error. */
  consoleErrors(): ConsoleLine[] {
    return this.board.console.filter((l) => l.text.startsWith('Uncaught') || l.text.startsWith('error '));
  }

  get batteryVolts(): number {
    return this.battery;
  }

  set batteryVolts(volts: number) {
    this.battery = volts;
    this.applyBattery();
  }

  /** Power off and on: the board reboots from flash (Storage and the modem's settings stay), the modem restarts. */
  powerCycle(): void {
    this.board.powerCycle();
    this.modemDevice.hardReset();
  }

  /** Battery -> r1 -> pin -> r2 -> GND. */
  private applyBattery(): void {
    const { pin, r1Ohms, r2Ohms } = this.profile.battery;
    this.board.setAnalog(pin, (this.battery * r2Ohms) / (r1Ohms + r2Ohms));
  }

  /**
   * NRST is active low with a pull-up inside the module: undriven it reads high. Pulling it low stops the module,
   * releasing it starts the boot. SimulatedRak3172 has no "held in reset" state, so both edges restart it: the
   * banner comes bootMs after the release (and, if the pin is held low longer than bootMs, also once meanwhile).
   */
  private wireModemReset(): void {
    const pin = this.profile.modem.reset;
    let level: 0 | 1 = 1;
    this.board.onPin(pin, () => {
      const now = isDriven(this.board.pins.mode(pin)) ? this.board.pins.output(pin) : 1;
      if (now === level) return;
      level = now;
      if (now === 0) this.modemResets++;
      this.modemDevice.hardReset();
    });
  }
}

export function createNodeWorld(options: NodeWorldOptions): NodeWorld {
  return new NodeWorld(options);
}
