/** The README's example is code: examples/failover.ts is shown verbatim and run here; so is the index.ts example. */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { failoverExample } from '../examples/failover.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const scratch = join(here, '.readme');

describe('README example', () => {
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('shows examples/failover.ts verbatim', () => {
    const section = readme.slice(readme.indexOf('## Example'), readme.indexOf('## Install'));
    const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toEqual([readFileSync(join(root, 'examples', 'failover.ts'), 'utf8')]);
  });

  it('runs: VIPs spread, node 3 takes over within the dead interval plus one heartbeat', () => {
    const r = failoverExample();
    expect(r.before).toEqual([1, 2]);
    expect(r.after).toEqual([3, 2]);
    expect(r.failoverMs).toBeGreaterThan(20);
    expect(r.failoverMs).toBeLessThanOrEqual(40);
    expect(r.members).toEqual([2, 3]);
    expect(failoverExample()).toEqual(r); // deterministic
  });

  it('the @packageDocumentation example in src/index.ts runs', async () => {
    const source = readFileSync(join(root, 'src', 'index.ts'), 'utf8');
    const code = /@example\n \* ```ts\n([\s\S]*?) \* ```/.exec(source)?.[1]?.replace(/^ \* ?/gm, '');
    expect(code).toMatch(/bad-tag/);
    mkdirSync(scratch, { recursive: true });
    const file = join(scratch, 'index-example.ts');
    writeFileSync(file, code!);
    await import(file);
  });

  it('the README table is the one the benchmark wrote', () => {
    const md = readFileSync(join(root, '..', '..', 'bench', 'results', 'failover.md'), 'utf8');
    const table = md.split('\n').filter((l) => l.startsWith('|'));
    for (const line of table) expect(readme).toContain(line);
  });
});
