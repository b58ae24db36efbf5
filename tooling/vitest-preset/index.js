// Shared vitest preset. Tests import workspace packages by name; the alias points
// them at each package's TypeScript source so tests never need a prior build and
// coverage is measured on src/, not on dist/.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Maps every `@switchyard/*` package that has `src/index.ts` to that file. */
export function workspaceAliases() {
  const aliases = {};
  for (const group of ['packages', 'apps']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const manifest = join(dir, name, 'package.json');
      const entry = join(dir, name, 'src', 'index.ts');
      if (!existsSync(manifest) || !existsSync(entry)) continue;
      const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
      aliases[pkg.name] = entry;
    }
  }
  return aliases;
}

/**
 * The per-package vitest project config.
 * @param {string} name project name shown in reports
 * @param {Record<string, unknown>} [overrides] extra `test` options
 */
export function packageProject(name, overrides = {}) {
  return {
    resolve: { alias: workspaceAliases() },
    test: {
      name,
      include: ['test/**/*.test.ts'],
      environment: 'node',
      testTimeout: 30_000,
      ...overrides,
    },
  };
}
