/** What both lab demos (namespaces and netsim) print through, and how they count their checks. */

export interface DemoIo {
  out(text: string): void;
  err(text: string): void;
}

/** Prints each check as `ok` or `FAIL` and keeps the failed ones; the demo's exit code follows. */
export class Checks {
  readonly failures: string[] = [];

  constructor(private readonly io: DemoIo) {}

  check(ok: boolean, what: string): void {
    this.io.out(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) this.failures.push(what);
  }

  get exitCode(): number {
    return this.failures.length === 0 ? 0 : 1;
  }
}

/** "n1 x4, n2 x5": how often each label occurs, labels in order. */
export function tally(labels: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([label, n]) => `${label} x${n}`)
    .join(', ');
}
