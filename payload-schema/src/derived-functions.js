// Derived values the decoders compute from transmitted fields (../shared/reference/sensors.md).
// ECMAScript 5.1 on purpose: the text of each function is copied into the generated TTN/ChirpStack
// formatter and the firmware-side module, so every decoder computes the same numbers.
// Results are rounded to 0.01 so they print as exact decimals; -0 is returned as 0.

// Dew point over water, Magnus formula (a = 17.62, b = 243.12 degC; valid -45..60 degC).
export function dewPoint(t, rh) {
  if (t === null || rh === null || !(rh > 0)) return null;
  var g = Math.log(rh / 100) + 17.62 * t / (243.12 + t);
  var r = Math.round(243.12 * g / (17.62 - g) * 100) / 100;
  return r === 0 ? 0 : r;
}

// Frost point: the temperature at which the air's vapour pressure saturates over ice
// (e_i = 6.112 * exp(22.46 t / (272.62 + t)) hPa).
export function frostPoint(t, rh) {
  if (t === null || rh === null || !(rh > 0)) return null;
  var e = rh / 100 * 6.112 * Math.exp(17.62 * t / (243.12 + t));
  var g = Math.log(e / 6.112);
  var r = Math.round(272.62 * g / (22.46 - g) * 100) / 100;
  return r === 0 ? 0 : r;
}
