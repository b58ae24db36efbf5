import type { UserConfig } from 'vitest/config';

/** Maps every `@switchyard/*` package that has `src/index.ts` to that file. */
export function workspaceAliases(): Record<string, string>;
/** The per-package vitest project config. */
export function packageProject(name: string, overrides?: Record<string, unknown>): UserConfig;
