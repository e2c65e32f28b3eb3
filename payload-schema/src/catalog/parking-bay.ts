import { bool, message, scaled, uint } from '../dsl.ts';
import { battery } from './common.ts';

export const parkingBay = message({
  port: 10,
  name: 'parkingBay',
  title: 'Parking bay',
  direction: 'uplink',
  description:
    'Sent within seconds of a settled change of occupancy, and as a heartbeat when nothing changes (QMC5883L magnetometer in the bay).',
  fields: [
    bool('occupied', { description: 'A vehicle is in the bay.' }),
    bool('sensorFault', {
      description: 'The magnetometer did not answer or overflowed; occupancy is the last known state.',
    }),
    uint('changeCount', 10, {
      wraps: true,
      description: 'Occupancy changes since start, modulo 1024; a gap shows changes whose uplink was lost.',
      reason: 'A busy bay changes ~50 times a day: 10 bits make any gap of less than 1024 changes visible.',
    }),
    scaled('fieldDeviation', {
      min: 0,
      step: 0.5,
      bits: 10,
      unit: 'uT',
      description: 'Magnitude of the field minus the calibrated empty-bay baseline, |B - B0|.',
      reason:
        'QMC5883L at 2 G full scale (+-200 uT, noise ~2 uT); a car shifts tens of uT. 0.5 uT steps up to 511 uT cover saturation on all axes.',
    }),
    scaled('temperature', {
      min: -40,
      step: 0.5,
      bits: 8,
      unit: 'Cel',
      description: 'Temperature of the magnetometer chip (for drift compensation), not calibrated air temperature.',
      reason: 'The QMC5883L sensor is relative and coarse; -40..86.5 degC covers asphalt in summer sun.',
    }),
    battery(),
  ],
});
