/**
 * Lets each worker's event loop reach its poll phase after every test. Between tests vitest only awaits promises,
 * so a file of long synchronous tests (property sweeps, simulated days) never reads the runner's replies; past 60 s
 * the worker's own RPC timeout fires before the reply is read ("Timeout calling onTaskUpdate") and a green run exits 1.
 */
import { afterEach } from 'vitest';

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
