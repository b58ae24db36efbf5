/**
 * Teardown is guaranteed even when the lab's owner does not call destroy: a child process
 * builds a lab, spawns a process in it, then crashes, exits or is killed.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isAlive, listNamespaces } from '../src/cleanup.js';
import { canCreateNamespaces, NetlabErrorCode, sweepStaleLabs } from '../src/index.js';

const root = canCreateNamespaces();
const fixture = fileURLToPath(new URL('./fixtures/child.ts', import.meta.url));

interface Owner {
  child: ChildProcess;
  info: { prefix: string; pid: number; namespaces: string[] };
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function startOwner(mode: string, wrapper: string[] = []): Promise<Owner> {
  const argv = [...wrapper, process.execPath, '--import', 'tsx', fixture, mode];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    // 'close', not 'exit': stderr may still be arriving when the process has exited.
    (resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (line) => resolve({ child, info: JSON.parse(line), exited }));
    void exited.then((e) => reject(new Error(`owner exited before reporting: ${JSON.stringify(e)}`)));
  });
}

async function until(f: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!f() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return f();
}

function left(prefix: string): string[] {
  return listNamespaces().filter((n) => n.startsWith(`${prefix}-`));
}

describe.skipIf(!root)(
  'teardown when the owner dies (needs root: CAP_NET_ADMIN and CAP_SYS_ADMIN)',
  { concurrent: true, timeout: 60_000 },
  () => {
    it.each([
      ['an uncaught exception', 'throw', { code: 1, signal: null }],
      ['an unhandled rejection', 'reject', { code: 1, signal: null }],
      ['process.exit', 'exit', { code: 3, signal: null }],
    ])('%s: the exit handler removes everything', async (_what, mode, status) => {
      const owner = await startOwner(mode);
      expect(owner.info.namespaces).toHaveLength(2);
      expect(left(owner.info.prefix)).toHaveLength(2);
      // The owner dies only when told, so the lab is looked at before it goes.
      owner.child.stdin!.write('die\n');
      const e = await owner.exited;
      expect({ code: e.code, signal: e.signal }).toEqual(status);
      if (mode !== 'exit') expect(e.stderr).toMatch(/boom/);
      expect(left(owner.info.prefix)).toEqual([]);
      // SIGKILLed during teardown; under load the kernel may take a moment to finish it.
      expect(await until(() => !isAlive(owner.info.pid))).toBe(true);
    });

    it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)(
      '%s: the signal handler removes everything, then the signal ends the owner as usual',
      async (signal) => {
        const owner = await startOwner('wait');
        expect(isAlive(owner.info.pid)).toBe(true);
        owner.child.kill(signal);
        const e = await owner.exited;
        expect(e.signal).toBe(signal);
        expect(left(owner.info.prefix)).toEqual([]);
        // SIGKILLed during teardown; under load the kernel may take a moment to finish it.
        expect(await until(() => !isAlive(owner.info.pid))).toBe(true);
      },
    );
  },
);

// These two sweep, and a sweep removes any SIGKILLed owner's lab: run them one at a time.
describe.skipIf(!root)(
  'sweeping the labs of dead owners (needs root: CAP_NET_ADMIN and CAP_SYS_ADMIN)',
  { timeout: 60_000 },
  () => {
    it('SIGKILL: spawned processes die with the owner, sweepStaleLabs removes the namespaces', async () => {
      // A namespace that is not netlab's must survive the sweep.
      const foreign = `nlforeign${process.pid}`;
      execFileSync('ip', ['netns', 'add', foreign]);
      try {
        const owner = await startOwner('wait');
        owner.child.kill('SIGKILL');
        expect((await owner.exited).signal).toBe('SIGKILL');
        // setpriv --pdeathsig: the kernel kills the spawned process when its parent dies.
        expect(await until(() => !isAlive(owner.info.pid))).toBe(true);
        expect(left(owner.info.prefix).sort()).toEqual([...owner.info.namespaces].sort());
        const swept = await sweepStaleLabs();
        expect(swept.removed).toEqual(expect.arrayContaining(owner.info.namespaces));
        for (const name of swept.removed) expect(name).toMatch(/^sy[0-9a-z]+_[0-9a-z]{4}-/);
        expect(left(owner.info.prefix)).toEqual([]);
        expect(listNamespaces()).toContain(foreign);
        expect(swept.removed).not.toContain(foreign);
      } finally {
        execFileSync('ip', ['netns', 'delete', foreign]);
      }
    });

    it('keeps the labs of owners that still run', async () => {
      const owner = await startOwner('wait');
      try {
        const swept = await sweepStaleLabs();
        expect(swept.kept).toEqual(expect.arrayContaining(owner.info.namespaces));
        expect(swept.removed.some((n) => n.startsWith(owner.info.prefix))).toBe(false);
        expect(left(owner.info.prefix)).toHaveLength(2);
      } finally {
        owner.child.kill('SIGTERM');
        await owner.exited;
      }
      expect(left(owner.info.prefix)).toEqual([]);
    });

    it('without CAP_NET_ADMIN and CAP_SYS_ADMIN, createLab says it needs root', async () => {
      const child = spawn(
        'setpriv',
        [
          '--bounding-set',
          '-net_admin,-sys_admin',
          '--',
          process.execPath,
          '--import',
          'tsx',
          fixture,
          'caps',
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      await new Promise((r) => child.on('exit', r));
      expect(JSON.parse(out)).toEqual({
        name: 'NetlabError',
        code: NetlabErrorCode.NOT_PERMITTED,
        message: 'netlab needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to create network namespaces',
      });
    });
  },
);
