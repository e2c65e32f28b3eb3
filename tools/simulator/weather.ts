/** Weather scenarios (data files in scenarios/) as truth functions of virtual time, for the simulated sensors. */
import { readFileSync, readdirSync } from 'node:fs';

export interface WeatherPoint {
  hour: number;
  air: number;
  humidity: number;
  surface: number;
}

export interface WeatherScenario {
  name: string;
  description: string;
  durationHours: number;
  /** Wall-clock time of simulated time 0 (ISO 8601). */
  start: string;
  points: WeatherPoint[];
}

const dir = new URL('./scenarios/', import.meta.url);

export function listWeatherScenarios(): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

export function loadWeatherScenario(name: string): WeatherScenario {
  if (!listWeatherScenarios().includes(name)) {
    throw new Error(`unknown scenario "${name}" (available: ${listWeatherScenarios().join(', ')})`);
  }
  const scenario = JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as WeatherScenario;
  const hours = scenario.points.map((p) => p.hour);
  if (hours[0] !== 0 || hours.some((h, i) => i > 0 && h <= hours[i - 1]!) || hours[hours.length - 1]! < scenario.durationHours) {
    throw new Error(`scenario ${name}: points must start at hour 0, increase, and cover ${scenario.durationHours} h`);
  }
  return scenario;
}

/** Linear interpolation between the scenario's points; holds the last point after the end. */
export function weatherAt(scenario: WeatherScenario, timeMs: number): Omit<WeatherPoint, 'hour'> {
  const hour = timeMs / 3_600_000;
  const points = scenario.points;
  let i = 0;
  while (i < points.length - 2 && points[i + 1]!.hour <= hour) i++;
  const a = points[i]!;
  const b = points[i + 1] ?? a;
  const f = b.hour === a.hour ? 0 : Math.min(1, Math.max(0, (hour - a.hour) / (b.hour - a.hour)));
  const mix = (x: number, y: number): number => x + (y - x) * f;
  return { air: mix(a.air, b.air), humidity: mix(a.humidity, b.humidity), surface: mix(a.surface, b.surface) };
}
