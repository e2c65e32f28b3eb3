/** The booking core's public surface, for the Pi terminal, an Espruino terminal bundle and the tests. */
export { createTerminal, type TerminalCoreOptions, type TimeClockTerminal } from './terminal-core.ts';
export { createClockCheck, type ClockCheck, type ClockReading } from './clock-check.ts';
export { createBadgeDirectory, badgeListProblem, type BadgeDirectory, type BadgeLookup } from './badge-directory.ts';
export { takeBatch } from './batch.ts';
export { badgePseudonym, MAX_UID_BYTES } from './pseudonym.ts';
export { defaultKind, isBookingKind, localHourOf } from './kinds.ts';
export { CORE_DEFAULTS, BUILD_FLOOR_S, coreSettings, type CoreSettings } from './defaults.ts';
export * from './contracts.ts';
export type * from './ports.ts';
