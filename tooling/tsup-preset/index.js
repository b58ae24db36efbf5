// The one build every published package uses: ESM and CommonJS beside it, declarations for
// both, source maps, for the Node versions the packages support.
import { defineConfig } from 'tsup';

/**
 * @param {string[]} [entry] entry points; subpath exports add theirs
 */
export function packageBuild(entry = ['src/index.ts']) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
  });
}
