/**
 * The speed of sound in dry air from the ideal-gas law, c = 331.3 * sqrt(1 + T / 273.15) m/s: the simulated rangers'
 * physics. The firmware uses the linear approximation of shared/reference/sensors.md (331.6 + 0.6 T), which lies
 * within 0.2 % of this between -20 and 40 degC; the tests measure against this one.
 */
export function speedOfSound(temperatureC: number): number {
  return 331.3 * Math.sqrt(1 + temperatureC / 273.15);
}

/** What a ranger that converts time of flight at `assumedMs` reports for a target at `distanceM` in air at `temperatureC`. */
export function distanceAtAssumedSpeed(distanceM: number, temperatureC: number, assumedMs: number): number {
  return (distanceM * assumedMs) / speedOfSound(temperatureC);
}
