// Shared vitest preset. Tests import workspace packages by name; the alias points
// them at each package's TypeScript source so tests never need a prior build and
// coverage is measured on src/, not on dist/.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Aliases every `@switchyard/*` package with a `src/index.ts` to its sources: the bare
 * name to `src/index.ts`, and a subpath export such as `@switchyard/netsim/compliance`
 * to `src/compliance.ts`.
 */
export function workspaceAliases() {
  const aliases = [];
  for (const group of ['packages', 'apps']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const manifest = join(dir, name, 'package.json');
      const src = join(dir, name, 'src');
      if (!existsSync(manifest) || !existsSync(join(src, 'index.ts'))) continue;
      const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
      const escaped = pkg.name.replace(/[/.]/g, '\\$&');
      aliases.push({ find: new RegExp(`^${escaped}$`), replacement: join(src, 'index.ts') });
      aliases.push({ find: new RegExp(`^${escaped}/(.+)$`), replacement: `${src}/$1.ts` });
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
