/**
 * The durable outbox: every accepted event and every rejection is stored here before it counts as received, and
 * leaves only after the broker acknowledged it. The publisher and the wiring meet it only through this interface;
 * sqlite-outbox.ts is the implementation (README.md beside it has the policies and the numbers).
 */
import type { BridgeEvent, Rejection, RxInfo } from '../types.ts';

export type OutboxKind = 'up' | 'rejected';

/** What `whenFull` does with a new 'up' event once no published, failed or rejected rows are left to make room. */
export type WhenFull = 'drop-oldest' | 'refuse-new';

/**
 * 'added': stored, will be published. 'duplicate': a row with this id exists (pending, or published within the
 * keep window): nothing stored. 'refused': the outbox is full and its policy keeps the older rows: nothing stored.
 */
export type AddStatus = 'added' | 'duplicate' | 'refused';

export interface AddResult {
  status: AddStatus;
  /** The event's id, or the id given to a rejection. */
  id: string;
}

interface RowBase {
  /** Insertion order; never reused, also across restarts. */
  seq: number;
  id: string;
  /** When it was added, ms since the epoch (bridge clock). */
  addedAt: number;
}
export type OutboxRow = (RowBase & { kind: 'up'; event: BridgeEvent }) | (RowBase & { kind: 'rejected'; rejection: Rejection });

export interface NextBatchOptions {
  /** Only rows after this seq (the publisher's cursor). Default 0. */
  afterSeq?: number;
  /** Rows younger than this stay held (so a duplicate heard by a second module can still merge its rx). Default 0. */
  holdMs?: number;
}

export interface OutboxBatch {
  /** Pending rows in insertion order; the batch stops at the first row still held. */
  rows: OutboxRow[];
  /** When the first held row becomes due (ms since the epoch); undefined when none is held. */
  heldUntil?: number;
}

export interface OutboxStats {
  /** Rows waiting to be published. */
  pending: number;
  pendingUp: number;
  pendingRejected: number;
  /** Published rows kept for the duplicate window. */
  published: number;
  /** Rows that cannot be published (e.g. a device id that is not topic-safe); kept for an operator. */
  failed: number;
  /** All rows: what maxRows bounds. */
  rows: number;
  maxRows: number;
  /** Age of the oldest pending row in ms; 0 when nothing is pending. */
  oldestPendingAgeMs: number;
  /** Rows lost because the outbox was full (reason 'outbox-full'), by kind, since this process opened it. */
  dropped: Record<OutboxKind, number>;
}

/** Why and how a row was lost; reason is always 'outbox-full' today. */
export interface DropInfo {
  kind: OutboxKind;
  reason: 'outbox-full';
  /** 'evicted': an older stored row was deleted; 'refused': the new one was not stored. */
  action: 'evicted' | 'refused';
  id: string;
}

export interface Outbox {
  add(item: BridgeEvent, kind: 'up'): AddResult;
  add(item: Rejection, kind: 'rejected'): AddResult;
  /** Merges a second receiver's metadata into a pending event (best first); false when it is not pending. */
  mergeRx(eventId: string, rx: RxInfo | readonly RxInfo[]): boolean;
  nextBatch(limit: number, options?: NextBatchOptions): OutboxBatch;
  /**
   * Called after the broker acknowledged every message of these rows. stateEvents: events that went to their
   * device's retained state, saved in the same transaction as their device's newest of their message, each only
   * when at least as new (receivedAt, then fCnt) as the one saved.
   */
  markPublished(ids: readonly string[], stateEvents?: readonly BridgeEvent[]): void;
  /** A row that can never be published: kept with the error, no longer offered. */
  markFailed(id: string, error: string): void;
  /** The saved newest events by device id, then message name: what the retained states were built from. */
  deviceStates(): Map<string, Map<string, BridgeEvent>>;
  stats(): OutboxStats;
  /** Called after each row that was added (not for duplicates or refusals). Returns an unsubscribe function. */
  onAdded(listener: (row: { id: string; kind: OutboxKind; addedAt: number }) => void): () => void;
}
