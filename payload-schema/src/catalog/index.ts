import type { MessageDef } from '../dsl.ts';
import { deviceConfig, deviceConfigReport } from './device-config.ts';
import { deviceStatus } from './device-status.ts';
import { garageCounter } from './garage-counter.ts';
import { parkingBay } from './parking-bay.ts';
import { roadClimate } from './road-climate.ts';
import { bookingAck, bookingBatch } from './time-clock.ts';
import { waterLevelBatch, waterLevelReading } from './water-level.ts';

/** Message catalog v1, ordered by FPort. A changed layout gets a new port, never a changed definition. */
export const catalog: readonly MessageDef[] = [
  deviceStatus,
  deviceConfigReport,
  deviceConfig,
  parkingBay,
  garageCounter,
  roadClimate,
  waterLevelReading,
  waterLevelBatch,
  bookingBatch,
  bookingAck,
];

export {
  bookingAck,
  bookingBatch,
  deviceConfig,
  deviceConfigReport,
  deviceStatus,
  garageCounter,
  parkingBay,
  roadClimate,
  waterLevelBatch,
  waterLevelReading,
};
