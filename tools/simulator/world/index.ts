/** The simulated world: a real firmware bundle on a simulated node, its sensors, its radio and the network side. */
export { AIR_SENSOR_ADDRESS, SURFACE_SENSOR_ADDRESS, createClimateWorld, type ClimateTruth, type ClimateWorld, type ClimateWorldOptions } from './climate-world.ts';
export { DEMO_LORAWAN_KEYS, DEMO_P2P_KEYS, KEYS_FILE, type LoRaWanOtaaKeys, type NodeKeys, type P2pKeys } from './keys.ts';
export { DEFAULT_BATTERY_VOLTS, DEFAULT_DISTANCE_M, GATEWAY_ID, NODE_ID, NodeWorld, createNodeWorld, type NodeWorldOptions } from './node-world.ts';
export { P2P_DOWNLINK_DELAY_MS, P2pGateway, type GatewayDownlink, type GatewayFrame } from './p2p-gateway.ts';
export {
  formatReport,
  shortForm,
  simulateScenario,
  type ReportUplink,
  type SimulateOptions,
  type SimulationReport,
  type SimulationSummary,
} from './simulate.ts';
export type { WorldUplink } from './uplinks.ts';
