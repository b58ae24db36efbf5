/** The README's examples are code: each ```ts block runs here and asserts what it shows. */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(join(here, '..', 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
// The @packageDocumentation example of src/index.ts, without its comment stars.
const indexSource = readFileSync(join(here, '..', 'src', 'index.ts'), 'utf8');
const indexExample = /@example\n \* ```ts\n([\s\S]*?) \* ```/.exec(indexSource)?.[1]?.replace(/^ \* ?/gm, '');
const scratch = join(here, '.readme');

describe('README examples', () => {
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('has the three examples (owner of a frame, ICMP error, the formulas)', () =>
    expect(blocks).toHaveLength(3));

  it('the @packageDocumentation example in src/index.ts runs', async () => {
    expect(indexExample).toMatch(/additive3\(key, 3\)/);
    mkdirSync(scratch, { recursive: true });
    const file = join(scratch, 'index-example.ts');
    writeFileSync(file, indexExample!);
    await import(file);
  });

  blocks.forEach((code, i) => {
    it(`example ${i + 1} runs and its assertions hold`, async () => {
      mkdirSync(scratch, { recursive: true });
      const file = join(scratch, `example-${i + 1}.ts`);
      writeFileSync(file, code);
      await import(file);
    });
  });
});

describe('README claims that tests elsewhere do not pin', () => {
  // The benchmark is deterministic (seeded), so the README's table must be the one it writes.
  const results = join(here, '..', '..', '..', 'bench', 'results', 'distribution.md');
  it.skipIf(!existsSync(results))(
    'the distribution table is the one `pnpm bench:distribution` last wrote',
    () => {
      const table = (text: string) => /^\| flow set \|[\s\S]*?\n(?!\|)/m.exec(text)?.[0];
      expect(table(readme)).toBeDefined();
      expect(table(readme)).toBe(table(readFileSync(results, 'utf8')));
    },
  );

  it('names the default policy and the generated lab stand-in', () => {
    expect(readme).toMatch(/default is \*\*rendezvous/);
    expect(readme).toMatch(/generated stand-in/);
  });
});
