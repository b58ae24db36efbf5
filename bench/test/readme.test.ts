/**
 * The root README shows the netns benchmarks' tables exactly as the last run wrote them
 * (bench/results/*.md, with their raw rounds in the .json beside them): the date and machine
 * line, the command, and every table row.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');

describe.each(['l4', 'failover-lab'])('README: bench/results/%s.md', (name) => {
  const md = readFileSync(new URL(`bench/results/${name}.md`, root), 'utf8');
  const json = JSON.parse(readFileSync(new URL(`bench/results/${name}.json`, root), 'utf8')) as {
    when: string;
    samples: unknown[];
  };

  it('has every table row, the date-and-machine line and the command', () => {
    const rows = md.split('\n').filter((l) => l.startsWith('|'));
    expect(rows.length).toBeGreaterThan(4);
    for (const row of rows) expect(readme).toContain(row);
    const dated = md.split('\n').find((l) => l.startsWith(json.when));
    expect(dated).toBeDefined();
    expect(readme).toContain(dated!);
    const command = /Command: `([^`]+)`/.exec(md)?.[1];
    expect(command).toBeDefined();
    expect(readme).toContain(command!);
  });

  it('the raw rounds behind it are kept', () => {
    expect(json.samples.length).toBeGreaterThanOrEqual(3);
  });
});
