import { bool, flags, message, optional, scaled, uint, type ValueField } from '../dsl.ts';
import { waterLevel } from './common.ts';

function stage(n: 1 | 2 | 3) {
  const field = waterLevel(`water.stage${n}`);
  return { ...field, description: `Level at which warning stage ${n} (Meldestufe ${n}) begins; null restores the default.` };
}

/** Settings a node reports and that a downlink may change; a downlink carries only the ones it changes. */
const settings: readonly ValueField[] = [
  uint('sendInterval', 16, {
    unit: 's',
    min: 10,
    description: 'Regular measurement uplink interval.',
    reason: '10 s (bench tests) to 18 h; the airtime budget limits the cadence in the field.',
  }),
  uint('heartbeatInterval', 12, {
    unit: 'min',
    min: 1,
    description: 'Status heartbeat interval when nothing changes.',
    reason: 'Parking practice is 3-24 h; up to 68 h.',
  }),
  bool('confirmedUplinks', { description: 'Ask the network to acknowledge uplinks.' }),
  bool('adr', { description: 'Adaptive data rate.' }),
  uint('dataRate', 3, {
    max: 5,
    description: 'EU868 data rate when ADR is off (DR0 = SF12 ... DR5 = SF7).',
    reason: 'EU868 defines DR0-DR5 for 125 kHz LoRa uplinks.',
  }),
  scaled('parking.enterThreshold', {
    min: 0,
    step: 0.5,
    bits: 9,
    unit: 'uT',
    description: 'Field deviation above which the bay counts as occupied; null restores the default.',
    reason: 'A car shifts the field by tens of uT; 0.5 uT steps up to 255 uT.',
  }),
  scaled('parking.exitThreshold', {
    min: 0,
    step: 0.5,
    bits: 9,
    unit: 'uT',
    description: 'Field deviation below which the bay counts as vacant again (hysteresis); null restores the default.',
    reason: 'Same scale as the enter threshold.',
  }),
  uint('parking.dwell', 6, {
    unit: 's',
    description: 'How long a state must hold before it counts.',
    reason: 'The uplink must follow a settled change within 10 s, so a few seconds; up to 63 s.',
  }),
  scaled('road.iceMargin', {
    min: 0,
    step: 0.1,
    bits: 6,
    unit: 'K',
    description: 'Ice risk when surface <= 0 degC and surface <= dew point + this margin; null restores the default (2 K).',
    reason: '0.1 K is the SHT3x resolution that matters; up to 6.2 K.',
  }),
  scaled('water.mountHeight', {
    min: 0,
    step: 1,
    bits: 12,
    unit: 'cm',
    description: 'Height of the sensor face above gauge zero; null restores the default.',
    reason: 'Same centimetre grid as the level; up to 40 m.',
  }),
  stage(1),
  stage(2),
  stage(3),
  uint('water.fastInterval', 16, {
    unit: 's',
    min: 10,
    description: 'Measurement interval at warning stage 1 and above.',
    reason: 'Same range as sendInterval.',
  }),
  uint('garage.capacity', 12, {
    description: 'Number of spaces in the garage.',
    reason: 'Up to 4095 spaces.',
  }),
  uint('garage.freeSpaces', 12, {
    description: 'Resynchronise the free-space count to this value (after a manual count).',
    reason: 'Same range as the capacity.',
  }),
];

export const deviceConfigReport = message({
  port: 2,
  name: 'deviceConfigReport',
  title: 'Device configuration report',
  direction: 'uplink',
  description:
    'The settings in force, sent after startup and after every configuration downlink. A node reports only the settings its application uses.',
  fields: [optional('Settings in force; absent settings do not apply to this device type.', settings)],
});

export const deviceConfig = message({
  port: 3,
  name: 'deviceConfig',
  title: 'Device configuration (downlink)',
  direction: 'downlink',
  description:
    'Partial update: carries only the settings it changes (a presence bit per setting), and optional commands. The node answers with a configuration report.',
  fields: [
    optional('Settings to change; absent settings stay as they are.', [
      ...settings,
      flags('commands', ['reboot', 'recalibrate', 'reportConfig'], {
        description: 'Actions to run once: reboot, recalibrate the sensor baseline (parking), send a configuration report.',
      }),
    ]),
  ],
});
