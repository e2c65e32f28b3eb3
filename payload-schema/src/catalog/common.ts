import { scaled, type ScaledField } from '../dsl.ts';

/** Battery voltage, shared by every battery-powered node. */
export function battery(): ScaledField {
  return scaled('battery', {
    min: 1.8,
    step: 0.01,
    bits: 8,
    unit: 'V',
    description: 'Battery voltage measured over the board divider (null: mains powered or not measured).',
    reason:
      '1.80-4.34 V covers 2xAA alkaline (3.2 V new, 2.0 V spent), Li-SOCl2 (3.6 V) and LiPo up to 4.2 V; ' +
      'the nRF52 browns out at 1.7 V. 10 mV is finer than the trend a battery forecast needs.',
  });
}

/** Water level above gauge zero, shared by the single reading and the batch. */
export function waterLevel(name: string): ScaledField {
  return scaled(name, {
    min: -100,
    step: 1,
    bits: 12,
    unit: 'cm',
    description: 'Water level W above gauge zero (mounting height minus measured distance).',
    reason:
      'Whole centimetres like PEGELONLINE and the gauge plate; -100..3994 cm covers gauges whose zero lies ' +
      'near the bed (levels below zero occur at low water) and sensors up to 40 m above gauge zero.',
  });
}
