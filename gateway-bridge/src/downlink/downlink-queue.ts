/**
 * Class A downlinks for P2P nodes: a node listens only for a short window after each of its uplinks, so a
 * downlink waits here until the device's next accepted uplink and then goes out through the module that heard it.
 * Bounded per device (TTN's fair use allows 10 downlinks a day; a queue of 8 covers a day of changes) and counted.
 */
import type { DownlinkRequest } from '../types.ts';

export const MAX_QUEUED_PER_DEVICE = 8;

export class DownlinkQueue {
  private readonly queues = new Map<string, DownlinkRequest[]>();

  constructor(private readonly maxPerDevice = MAX_QUEUED_PER_DEVICE) {}

  /** Returns false (and keeps the queue as it was) when the device already has maxPerDevice downlinks waiting. */
  push(request: DownlinkRequest): boolean {
    const queue = this.queues.get(request.deviceId) ?? [];
    if (queue.length >= this.maxPerDevice) return false;
    queue.push(request);
    this.queues.set(request.deviceId, queue);
    return true;
  }

  /** The oldest waiting downlink of the device, removed from the queue. */
  take(deviceId: string): DownlinkRequest | undefined {
    const queue = this.queues.get(deviceId);
    const next = queue?.shift();
    if (queue && queue.length === 0) this.queues.delete(deviceId);
    return next;
  }

  pending(deviceId?: string): number {
    if (deviceId !== undefined) return this.queues.get(deviceId)?.length ?? 0;
    let n = 0;
    for (const queue of this.queues.values()) n += queue.length;
    return n;
  }
}
