/**
 * When the parking node speaks, apart from the node core's status messages: at once after a settled change or a
 * (re)calibration, once when the magnetometer starts failing (FAULT_SAMPLES failed samples in a row), and as an
 * occupancy heartbeat when nothing was sent for the heartbeat interval (the sendInterval setting).
 */
import type { DetectorEvent } from './bay-detector.ts';

/** Failed samples in a row before the fault is reported: the driver widens its range after two overflows. */
export const FAULT_SAMPLES = 3;

export type ReportReason = 'change' | 'calibrated' | 'fault' | 'heartbeat' | null;

export class ReportPolicy {
  /** The magnetometer failed FAULT_SAMPLES times in a row and has not given a good sample since. */
  faulty = false;
  private failures = 0;
  private sinceReportS = 0;

  /** Makes the next sample report, whatever it shows. */
  dueNow(): void {
    this.sinceReportS = Infinity;
  }

  /** After every sample (`ok`: the sensor gave a usable one) that took `elapsedS` since the previous. */
  afterSample(ok: boolean, event: DetectorEvent, elapsedS: number, heartbeatS: number): ReportReason {
    this.sinceReportS += elapsedS;
    let reason: ReportReason = null;
    if (ok) {
      this.failures = 0;
      this.faulty = false;
      if (event === 'occupied' || event === 'vacant') reason = 'change';
      else if (event === 'calibrated') reason = 'calibrated';
    } else if (++this.failures === FAULT_SAMPLES) {
      this.faulty = true;
      reason = 'fault';
    }
    if (!reason && this.sinceReportS >= heartbeatS) reason = 'heartbeat';
    if (reason) this.sinceReportS = 0;
    return reason;
  }
}
