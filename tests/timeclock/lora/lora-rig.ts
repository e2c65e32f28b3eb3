/**
 * The radio side of the LoRa time-clock tests: the terminal's and the gateway's simulated RAK3172 on one simulated
 * medium, each on its own pseudo-terminal, and the real gateway bridge reading the gateway's module.
 */
import type { Bridge } from '../../../gateway-bridge/src/bridge.ts';
import type { DeviceEntry } from '../../../gateway-bridge/src/types.ts';
import { PtyPair } from '../../../tools/simulator/pty/pty-pair.ts';
import { PtyRakModule } from '../../../tools/simulator/pty/pty-module.ts';
import { RealtimeScheduler } from '../../../tools/simulator/pty/realtime-scheduler.ts';
import { RadioMediumSim } from '../../../tools/simulator/radio/medium.ts';
import { startBridge, waitConfigured } from '../../gateway-bridge/e2e/stack.ts';

export interface LoraRig {
  /** The terminal's end of its module's pty. */
  terminalPath: string;
  terminalModule: PtyRakModule;
  gatewayModule: PtyRakModule;
  bridge: Bridge;
  /** Stops the bridge, the modules and their ptys. */
  close(): Promise<void>;
}

export async function startLoraRig(options: { brokerUrl: string; outbox: string; device: DeviceEntry; distanceM: number }): Promise<LoraRig> {
  const scheduler = new RealtimeScheduler();
  const medium = new RadioMediumSim(scheduler);
  const terminalPair = await PtyPair.create({ names: ['terminal-module', 'terminal'] });
  const gatewayPair = await PtyPair.create({ names: ['gateway-module', 'bridge'] });
  const terminalModule = new PtyRakModule({ path: terminalPair.pathA, scheduler, medium, id: 'terminal-rak', position: { x: 0, y: 0 }, bootMs: 100 });
  const gatewayModule = new PtyRakModule({ path: gatewayPair.pathA, scheduler, medium, id: 'gateway-rak', position: { x: options.distanceM, y: 0 }, bootMs: 100 });
  await terminalModule.start();
  await gatewayModule.start();
  const bridge = await startBridge({ brokerUrl: options.brokerUrl, serialPath: gatewayPair.pathB, outbox: options.outbox, devices: [options.device] });
  await waitConfigured(bridge);
  return {
    terminalPath: terminalPair.pathB,
    terminalModule,
    gatewayModule,
    bridge,
    async close() {
      await bridge.stop(2_000);
      await terminalModule.close();
      await gatewayModule.close();
      scheduler.stop();
      await terminalPair.close();
      await gatewayPair.close();
    },
  };
}
