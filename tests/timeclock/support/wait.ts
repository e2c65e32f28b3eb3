/** Polls an (async) condition until it holds; the error names it and, when given, what the state was. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000, detail?: () => string | Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms${detail ? `; ${await detail()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs async operations one after the other (e.g. ledger restarts started by overlapping events). */
export function serialised(): <T>(operation: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (operation) => {
    const result = tail.then(operation);
    tail = result.catch(() => undefined);
    return result;
  };
}
