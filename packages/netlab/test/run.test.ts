import { describe, expect, it } from 'vitest';
import { CommandError, NetlabError, NetlabErrorCode } from '../src/errors.js';
import {
  canCreateNamespaces,
  run,
  runChecked,
  runSync,
  statusHasNetnsCapabilities,
  which,
} from '../src/run.js';

const node = process.execPath;

describe('run', () => {
  it('captures stdout, stderr and the exit code, and feeds stdin', async () => {
    const r = await run(
      [node, '-e', 'process.stdin.pipe(process.stdout); process.stderr.write("e"); process.exitCode = 3'],
      { input: 'hello' },
    );
    expect(r).toMatchObject({ stdout: 'hello', stderr: 'e', exitCode: 3, signal: null, timedOut: false });
  });

  it('keeps at most maxOutputBytes and counts the rest', async () => {
    const r = await run([node, '-e', 'process.stdout.write("x".repeat(5000))'], { maxOutputBytes: 1000 });
    expect(r.stdout).toHaveLength(1000);
    expect(r.droppedBytes).toBe(4000);
  });

  it('kills a command that outlives its time limit', async () => {
    const r = await run([node, '-e', 'setTimeout(() => {}, 10000)'], { timeoutMs: 200 });
    expect(r).toMatchObject({ timedOut: true, signal: 'SIGKILL', exitCode: null });
  });

  it('runChecked returns stdout or throws a CommandError with the details', async () => {
    expect(await runChecked([node, '-e', 'console.log("ok")'])).toBe('ok\n');
    const err = await runChecked([node, '-e', 'console.error("bad thing"); process.exit(2)']).catch((e) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toMatchObject({ code: NetlabErrorCode.COMMAND_FAILED, exitCode: 2, stderr: 'bad thing\n' });
    expect(err.message).toMatch(/exited with 2.*\nbad thing/s);
    const slow = await runChecked([node, '-e', 'setTimeout(() => {}, 10000)'], { timeoutMs: 100 }).catch(
      (e) => e,
    );
    expect(slow).toMatchObject({ code: NetlabErrorCode.TIMEOUT, timedOut: true });
    expect(slow.message).toMatch(/timed out/);
  });

  it('says TOOL_MISSING for a binary that does not exist', async () => {
    const err = await run(['netlab-no-such-tool']).catch((e) => e);
    expect(err).toBeInstanceOf(NetlabError);
    expect(err.code).toBe(NetlabErrorCode.TOOL_MISSING);
  });

  it('runSync reports success as a boolean and never throws', () => {
    expect(runSync([node, '-e', 'process.stdin.resume()'], 'x')).toBe(true);
    expect(runSync([node, '-e', 'process.exit(1)'])).toBe(false);
    expect(runSync(['netlab-no-such-tool'])).toBe(false);
  });
});

describe('which and capabilities', () => {
  it('finds executables on PATH only', () => {
    expect(which('node', `/nonexistent::${process.execPath.replace(/\/node$/, '')}`)).toBe(process.execPath);
    expect(which('netlab-no-such-tool')).toBe(null);
  });

  it('reads CAP_NET_ADMIN (12) and CAP_SYS_ADMIN (21) from CapEff', () => {
    expect(statusHasNetnsCapabilities('CapEff:\t000001fffeffffff\n')).toBe(true);
    expect(statusHasNetnsCapabilities('CapEff:\t0000000000001000\n')).toBe(false); // NET_ADMIN only
    expect(statusHasNetnsCapabilities('CapEff:\t0000000000201000\n')).toBe(true);
    expect(statusHasNetnsCapabilities('CapEff:\t000001fffedfefff\n')).toBe(false); // both dropped
    expect(statusHasNetnsCapabilities('Name: x\n')).toBe(false);
    expect(typeof canCreateNamespaces()).toBe('boolean');
  });
});
