import { flags, message, uint } from '../dsl.ts';
import { battery } from './common.ts';

export const garageCounter = message({
  port: 11,
  name: 'garageCounter',
  title: 'Garage counter',
  direction: 'uplink',
  description: 'Free spaces of a garage or car park from direction-aware entry and exit detection.',
  fields: [
    uint('freeSpaces', 12, {
      description: 'capacity - (entries - exits), clamped to [0, capacity].',
      reason: 'Same range as the capacity.',
    }),
    uint('capacity', 12, { description: 'Configured number of spaces.', reason: 'Up to 4095 spaces.' }),
    uint('entries', 16, {
      wraps: true,
      description: 'Vehicles that entered since start, modulo 65536.',
      reason: 'A busy garage sees a few thousand movements a day: 16 bits never wrap between two uplinks.',
    }),
    uint('exits', 16, {
      wraps: true,
      description: 'Vehicles that left since start, modulo 65536.',
      reason: 'As entries.',
    }),
    flags('faults', ['sensorA', 'sensorB', 'beamBlocked', 'countClamped'], {
      description:
        'sensorA/sensorB: a detector failed; beamBlocked: a barrier has been interrupted for minutes; countClamped: the count left [0, capacity] and was clamped (resync advised).',
    }),
    battery(),
  ],
});
