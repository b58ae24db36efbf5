import type { UserConfig } from 'vitest/config';

/** Aliases every `@switchyard/*` package (and its subpath exports) to its TypeScript sources. */
export function workspaceAliases(): Array<{ find: RegExp; replacement: string }>;
/** The per-package vitest project config. */
export function packageProject(name: string, overrides?: Record<string, unknown>): UserConfig;
