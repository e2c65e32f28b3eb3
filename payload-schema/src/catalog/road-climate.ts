import { derived, enumeration, flags, message, scaled } from '../dsl.ts';
import { battery } from './common.ts';

export const roadClimate = message({
  port: 20,
  name: 'roadClimate',
  title: 'Road climate',
  direction: 'uplink',
  description:
    'Air and road-surface conditions for the winter road service, every 10-15 min and at once when the ice risk changes.',
  fields: [
    scaled('air.temperature', {
      min: -40,
      step: 0.1,
      bits: 10,
      unit: 'Cel',
      description: 'Air temperature (SHT3x at 0x44).',
      reason: 'SHT3x accuracy +-0.2 degC, so 0.1 degC steps; -40..62.2 degC spans every German air temperature on record.',
    }),
    scaled('air.relativeHumidity', {
      min: 0,
      step: 0.5,
      bits: 8,
      max: 100,
      unit: '%RH',
      description: 'Relative humidity of the air (SHT3x).',
      reason: 'SHT3x accuracy +-2 %RH, so 0.5 %RH steps are finer than the sensor; 0..100 %RH.',
    }),
    scaled('surface.temperature', {
      min: -40,
      step: 0.1,
      bits: 11,
      max: 125,
      unit: 'Cel',
      description: 'Road surface temperature (second SHT3x at 0x45, potted in the road surface).',
      reason: 'Same resolution as the air; -40..125 degC is the sensor\'s full range (asphalt exceeds 60 degC in summer).',
    }),
    enumeration('iceRisk', 2, ['clear', 'watch', 'risk', 'unknown'], {
      description:
        'risk: surface <= 0 degC and surface <= dew point + margin; watch: one of the two holds; unknown: a sensor failed.',
    }),
    flags('status', ['airSensorFailed', 'surfaceSensorFailed', 'heaterOn'], {
      description: 'Failed sensors (their readings are null) and whether the SHT3x heater ran before this reading.',
    }),
    battery(),
  ],
  derived: [
    derived('air.dewPoint', {
      fn: 'dewPoint',
      args: ['air.temperature', 'air.relativeHumidity'],
      unit: 'Cel',
      resolution: 0.01,
      description: 'Dew point over water (Magnus, a = 17.62, b = 243.12 degC); null when a reading is missing.',
    }),
    derived('air.frostPoint', {
      fn: 'frostPoint',
      args: ['air.temperature', 'air.relativeHumidity'],
      unit: 'Cel',
      resolution: 0.01,
      description: 'Frost point (saturation over ice); null when a reading is missing.',
    }),
  ],
});
