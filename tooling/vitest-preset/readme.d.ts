/** Registers one test per README ```ts block and one for the src/index.ts @example of the package at `packageRoot`. */
export function describeReadmeExamples(packageRoot: URL, options?: { minimum?: number }): void;
