import { enumeration, flags, list, message, scaled, uint, type Field } from '../dsl.ts';
import { battery, waterLevel } from './common.ts';

const stage = uint('stage', 2, {
  description: 'Warning stage 0-3 (Meldestufe) from the configured thresholds.',
  reason: 'German flood warning stages run from 1 to 3; 0 = below stage 1.',
});

const trend = enumeration('trend', 2, ['steady', 'rising', 'falling', 'unknown'], {
  description: 'Level trend over the last readings (PEGELONLINE reports -1/0/1).',
});

function quality(): Field {
  return flags('quality', ['noTarget', 'outOfRange', 'outliersRejected'], {
    description:
      'noTarget: the ranger saw no echo (level null); outOfRange: distance outside the sensor range (level null); outliersRejected: some raw readings were dropped before the median.',
  });
}

export const waterLevelReading = message({
  port: 30,
  name: 'waterLevel',
  title: 'Water level',
  direction: 'uplink',
  description: 'One gauge reading: the median of several ultrasonic distance readings, compensated for air temperature.',
  fields: [
    waterLevel('level'),
    scaled('distance', {
      min: 0,
      step: 1,
      bits: 14,
      unit: 'mm',
      description: 'Median distance from the sensor face to the water surface.',
      reason: 'MaxBotix and A01NYUB rangers report whole millimetres up to 10 m; 14 bits reach 16.4 m.',
    }),
    stage,
    trend,
    quality(),
    battery(),
  ],
});

export const waterLevelBatch = message({
  port: 31,
  name: 'waterLevelBatch',
  title: 'Water level batch',
  direction: 'uplink',
  description:
    'Several back-dated readings in one uplink, used when the cadence tightens above stage 1 so that the airtime budget holds.',
  fields: [
    stage,
    trend,
    battery(),
    list('readings', {
      countBits: 4,
      minCount: 1,
      maxCount: 15,
      description: 'Readings, each with its age at the time of sending.',
      reason: '15 readings of 25 bits fill 49 bytes: under the 51-byte DR0 limit.',
      item: [
        uint('age', 10, {
          unit: 'min',
          description: 'Minutes between the reading and this uplink.',
          reason: 'Up to 17 h: a batch never spans more than a few hours.',
        }),
        waterLevel('level'),
        quality(),
      ],
    }),
  ],
});
