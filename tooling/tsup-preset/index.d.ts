import type { Options } from 'tsup';

/** The shared package build (ESM + CJS + declarations); `entry` defaults to src/index.ts. */
export function packageBuild(
  entry?: string[],
): Options | Options[] | ((overrideOptions: Options) => Options | Options[]);
