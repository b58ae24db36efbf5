/** The README of the package at `packageRoot`. */
export function readReadme(packageRoot: URL): string;
/** The ```ts blocks of `markdown`, or of one of its `## section`s. */
export function codeBlocks(markdown: string, section?: string): string[];
/** The first Markdown table whose header row starts with `header`. */
export function markdownTable(markdown: string, header: string): string | undefined;
/** The @packageDocumentation example of the package's src/index.ts, without comment stars. */
export function indexExample(packageRoot: URL): string | undefined;
/** Writes `code` to the package's test/.readme/<name>.ts and imports it. */
export function runCode(packageRoot: URL, name: string, code: string): Promise<void>;
/** Deletes the package's test/.readme folder. */
export function removeScratch(packageRoot: URL): void;
/** Registers one test per README ```ts block and one for the src/index.ts @example. */
export function describeReadmeExamples(
  packageRoot: URL,
  options?: { minimum?: number; blocks?: boolean; index?: RegExp },
): void;
