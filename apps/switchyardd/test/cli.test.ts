import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main, USAGE } from '../src/cli.js';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('switchyard CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyardd-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    [[]],
    [['frob']],
    [['config']],
    [['config', 'check']],
    [['--bogus']],
    [['config', 'schema', 'x']],
    [['run']],
    [['run', 'extra', '-c', 'x.yaml']],
    [['lab']],
    [['lab', 'demo', 'now']],
  ])('prints the usage and exits 2 on a bad command line: %j', async (argv) => {
    const r = await run(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(USAGE);
    expect(r.err).toMatch(/^switchyard: /);
  });

  it('prints the usage on --help and help', async () => {
    expect(await run('--help')).toEqual({ code: 0, out: USAGE, err: '' });
    expect((await run('help')).code).toBe(0);
  });

  it('checks a good file and summarizes it', async () => {
    const path = join(dir, 'ok.yaml');
    writeFileSync(
      path,
      'interface: eth0\nnode: { id: 3 }\ncluster: { id: 9, keys: [{ id: 1, secret: "000102030405060708090a0b0c0d0e0f" }] }\n' +
        'vips: [{ address: 10.0.0.100, policy: additive3 }, { address: "fd00::1" }]\n',
    );
    const r = await run('config', 'check', path);
    expect(r).toEqual({
      code: 0,
      out: `${path}: ok (node 3, cluster 9, 2 VIPs: 10.0.0.100 additive3, fd00::1 active-passive)`,
      err: '',
    });
  });

  it('refuses a bad file with exit 1 and the offending field', async () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'interface: eth0\n');
    const r = await run('config', 'check', path);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${path}: invalid configuration`);
    expect(r.err).toContain('  /node: ');
  });

  it('prints the JSON Schema', async () => {
    const r = await run('config', 'schema');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).$id).toBe('https://switchyard.dev/schema/switchyardd.config.json');
  });

  it('refuses to run with a bad configuration: exit 1 and the offending field, before touching the host', async () => {
    const file = join(dir, 'bad-run.yaml');
    writeFileSync(file, 'interface: eth0\nnode: { id: 0 }\n');
    const r = await run('run', '-c', file);
    expect(r.code).toBe(1);
    expect(r.err).toContain('/node/id');
  });
});
