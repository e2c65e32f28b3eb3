import { bool, bytes, enumeration, list, message, scaled, uint } from '../dsl.ts';

export const bookingBatch = message({
  port: 40,
  name: 'bookingBatch',
  title: 'Time-clock bookings',
  direction: 'uplink',
  description:
    'Consecutive bookings of one terminal: booking i has sequence number sequence + i and time baseTime + offset. Sent until acknowledged.',
  fields: [
    uint('sequence', 32, {
      description: 'Per-terminal sequence number of the first booking in the batch.',
      reason: '32 bits never wrap: the ledger is idempotent on (terminal, sequence).',
    }),
    uint('baseTime', 32, {
      unit: 's',
      description: 'Unix time (UTC seconds) of the first booking.',
      reason: 'Seconds are what working-time records need; 32 bits unsigned last until 2106.',
    }),
    list('bookings', {
      countBits: 3,
      minCount: 1,
      maxCount: 6,
      description: 'The bookings, oldest first.',
      reason: '6 bookings of 53 bits plus the header fill 49 bytes: under the 51-byte DR0 limit.',
      item: [
        bytes('badge', 4, {
          description: 'Keyed pseudonym of the badge UID (truncated HMAC); never the raw UID.',
          reason: '32 bits keep collisions unlikely (~4e-5 for 600 badges) and are checked when badges are enrolled.',
        }),
        enumeration('kind', 3, ['come', 'go', 'breakStart', 'breakEnd', 'errand'], {
          description: 'What the employee booked.',
        }),
        uint('offset', 17, {
          unit: 's',
          description: 'Seconds after baseTime.',
          reason: 'Up to 36 h: a terminal starts a new batch before the offset overflows.',
        }),
        bool('clockUnsynced', {
          description: 'The terminal clock was not synchronised (NTP or RTC check failed) when this booking was made.',
        }),
      ],
    }),
  ],
});

export const bookingAck = message({
  port: 41,
  name: 'bookingAck',
  title: 'Booking acknowledgement (downlink)',
  direction: 'downlink',
  description: 'The ledger has committed every booking of this terminal up to and including ackedThrough.',
  fields: [
    uint('ackedThrough', 32, { description: 'Highest sequence number committed by the ledger.' }),
    scaled('serverTime', {
      min: 0,
      step: 1,
      bits: 32,
      unit: 's',
      description: 'Ledger clock (Unix time) for the terminal\'s clock sanity check; null when not sent.',
    }),
  ],
});
