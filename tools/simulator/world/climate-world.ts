/**
 * The road-climate node in its world: a NodeWorld with two SHT3x on the profile's I2C bus following a weather
 * scenario. 0x44 measures the air (temperature and humidity); 0x45 is potted in the road surface and measures its
 * temperature (its humidity is taken as the air's). Scenario hour 0 is virtual time 0, the creation of the world.
 */
import { SimulatedSht3x } from '../devices/sht3x.ts';
import { weatherAt, type WeatherPoint, type WeatherScenario } from '../weather.ts';
import { NodeWorld, type NodeWorldOptions } from './node-world.ts';

export const AIR_SENSOR_ADDRESS = 0x44;
export const SURFACE_SENSOR_ADDRESS = 0x45;

export interface ClimateWorldOptions extends Omit<NodeWorldOptions, 'i2cDevices'> {
  scenario: WeatherScenario;
}

export type ClimateTruth = Omit<WeatherPoint, 'hour'>;

export interface ClimateWorld extends NodeWorld {
  readonly scenario: WeatherScenario;
  readonly sensors: { readonly air: SimulatedSht3x; readonly surface: SimulatedSht3x };
  /** The scenario's values at virtual time `timeMs` (what the sensors measure, before their noise). */
  truthAt(timeMs: number): ClimateTruth;
}

export function createClimateWorld(options: ClimateWorldOptions): ClimateWorld {
  const { scenario, ...nodeOptions } = options;
  const truthAt = (timeMs: number): ClimateTruth => weatherAt(scenario, timeMs);
  let sensors: ClimateWorld['sensors'] | undefined;
  const world = new NodeWorld({
    ...nodeOptions,
    i2cDevices: (scheduler) => {
      const air = new SimulatedSht3x(
        scheduler,
        (t) => {
          const w = truthAt(t);
          return { temperature: w.air, humidity: w.humidity };
        },
        { address: AIR_SENSOR_ADDRESS },
      );
      const surface = new SimulatedSht3x(
        scheduler,
        (t) => {
          const w = truthAt(t);
          return { temperature: w.surface, humidity: w.humidity };
        },
        { address: SURFACE_SENSOR_ADDRESS },
      );
      sensors = { air, surface };
      return [air, surface];
    },
  });
  return Object.assign(world, { scenario, sensors: sensors!, truthAt });
}
