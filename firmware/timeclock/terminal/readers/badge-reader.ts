/**
 * The seam between badge readers and the terminal: a reader reports the UID bytes of every badge it read, refuses
 * (and counts, by reason) what it could not read, and reports trouble with the reader itself. Raw UIDs go to the
 * listener only: rejections and errors never carry a card number (the terminal keeps only keyed pseudonyms).
 */

export interface BadgeRejection {
  /** Why the input was refused, e.g. 'not-a-number', 'bad-length', 'unexpected-key', 'events-dropped'. */
  reason: string;
}

export interface BadgeReader {
  onBadge(listener: (uid: Uint8Array) => void): void;
  onRejected(listener: (rejection: BadgeRejection) => void): void;
  /** Reader trouble (device gone, grabbed by another process, evtest missing); the reader keeps trying. */
  onError(listener: (error: Error) => void): void;
  /** Refused inputs so far, per reason. */
  rejections(): Record<string, number>;
  close(): Promise<void>;
}

/** Listener bookkeeping shared by the readers. */
export class BadgeReaderEvents {
  private readonly badgeListeners: ((uid: Uint8Array) => void)[] = [];
  private readonly rejectedListeners: ((rejection: BadgeRejection) => void)[] = [];
  private readonly errorListeners: ((error: Error) => void)[] = [];
  private readonly counts: Record<string, number> = {};

  onBadge(listener: (uid: Uint8Array) => void): void {
    this.badgeListeners.push(listener);
  }

  onRejected(listener: (rejection: BadgeRejection) => void): void {
    this.rejectedListeners.push(listener);
  }

  onError(listener: (error: Error) => void): void {
    this.errorListeners.push(listener);
  }

  rejections(): Record<string, number> {
    return { ...this.counts };
  }

  emitBadge(uid: Uint8Array): void {
    for (const listener of this.badgeListeners) listener(uid);
  }

  emitRejected(reason: string): void {
    this.counts[reason] = (this.counts[reason] ?? 0) + 1;
    for (const listener of this.rejectedListeners) listener({ reason });
  }

  emitError(error: Error): void {
    for (const listener of this.errorListeners) listener(error);
  }

  /** The reader a driver returns: these listeners and counts, and the driver's own close. */
  reader(close: () => Promise<void>): BadgeReader {
    return {
      onBadge: (listener) => this.onBadge(listener),
      onRejected: (listener) => this.onRejected(listener),
      onError: (listener) => this.onError(listener),
      rejections: () => this.rejections(),
      close,
    };
  }
}
