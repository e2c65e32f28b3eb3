import { enumeration, flags, message, uint } from '../dsl.ts';
import { battery } from './common.ts';

export const deviceStatus = message({
  port: 1,
  name: 'deviceStatus',
  title: 'Device status (startup and heartbeat)',
  direction: 'uplink',
  description:
    'Sent once after every start with the reset reason, and as a heartbeat at the configured heartbeat interval.',
  fields: [
    enumeration('event', 2, ['startup', 'heartbeat'], {
      description: 'Why this status was sent.',
      reason: 'Two events today; 2 bits leave room for two more without a new port.',
    }),
    enumeration('deviceType', 4, ['unknown', 'parkingBay', 'garageCounter', 'roadClimate', 'waterLevel', 'timeClock'], {
      description: 'Which application the node runs.',
      reason: '16 codes for the town\'s device families.',
    }),
    uint('firmware.major', 8, { description: 'Firmware version, major part.' }),
    uint('firmware.minor', 8, { description: 'Firmware version, minor part.' }),
    uint('firmware.patch', 8, { description: 'Firmware version, patch part.' }),
    enumeration(
      'resetReason',
      4,
      ['unknown', 'powerOn', 'pinReset', 'watchdog', 'software', 'brownout', 'lockup', 'firmwareUpdate'],
      {
        description: 'Cause of the last reset (from the MCU reset register), meaningful on startup.',
        reason:
          'The bridge uses it to accept a frame-counter restart after a real reboot; 4 bits hold the nRF52 and STM32 causes.',
      },
    ),
    battery(),
    uint('uptime', 32, {
      unit: 's',
      description: 'Seconds since the last reset.',
      reason: '32 bits of seconds last 136 years: no wrap in a node\'s life.',
    }),
    uint('uplinkCounter', 32, {
      description: 'Uplinks sent since the device was provisioned (the LoRaWAN 32-bit frame counter).',
      reason: 'Same width as the LoRaWAN FCnt so it never wraps before the session must be renewed.',
    }),
    flags(
      'errors',
      [
        'sensorFailed',
        'sensorCrc',
        'modemTimeout',
        'modemReset',
        'storageError',
        'lowBattery',
        'airtimeExhausted',
        'clockUnsynced',
      ],
      {
        description: 'Error conditions seen since the previous status message.',
        reason: 'One bit each: a status report must say what went wrong without a second uplink.',
      },
    ),
  ],
});
