/**
 * Proves the firmware build end to end on a board without touching the modem: reads the board profile, encodes a
 * startup status message with the payload module and prints the AT command that would send it.
 */
import { encodeDeviceStatus, toHex, type DeviceStatus } from '../../../payload-schema/generated/firmware/payload.js';
import { espruinoBoard, id as boardId, modem, variables } from 'stadtsensor:board';
import { createConsoleLogger } from '../../platform/log.ts';

const FIRMWARE = { major: 0, minor: 1, patch: 0 };
/** FPort of the device status message (payload-schema catalog). */
const DEVICE_STATUS_PORT = 1;

/** Numbers uplinks the way the LoRaWAN frame counter does, starting at 0. */
class UplinkCounter {
  private sent = 0;

  next(): number {
    return this.sent++;
  }
}

class StatusReporter {
  constructor(private readonly counter: UplinkCounter) {}

  startup(uptime: number): DeviceStatus {
    return {
      event: 'startup',
      deviceType: 'unknown',
      firmware: FIRMWARE,
      resetReason: 'powerOn',
      battery: null,
      uptime,
      uplinkCounter: this.counter.next(),
      errors: {},
    };
  }
}

/** The RUI3 uplink command for one port: `AT+SEND=<port>:<hex payload>`. */
function atSendFor(port: number): (payload: Uint8Array) => string {
  return (payload) => `AT+SEND=${port}:${toHex(payload)}`;
}

const logger = createConsoleLogger('info');
const sendStatus = atSendFor(DEVICE_STATUS_PORT);
const reporter = new StatusReporter(new UplinkCounter());

logger.log('info', `selftest on ${boardId} (Espruino ${espruinoBoard}, ${variables} variables)`);
logger.log('info', `modem ${modem.chip} on ${modem.serial} rx ${modem.rx} tx ${modem.tx} at ${modem.baud} baud`);
console.log(sendStatus(encodeDeviceStatus(reporter.startup(0))));
