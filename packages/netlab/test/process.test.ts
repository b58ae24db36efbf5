import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { NetlabErrorCode } from '../src/errors.js';
import { LabProcess } from '../src/process.js';

// LabProcess does not care which namespace its child runs in: these run in the test's own.
function start(source: string, maxLines = 1000): LabProcess {
  const child = spawn(process.execPath, ['-e', source], { stdio: ['pipe', 'pipe', 'pipe'] });
  return new LabProcess(child, 'h', ['node', '-e', source], maxLines);
}

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of it) out.push(line);
  return out;
}

describe('LabProcess', () => {
  it('splits output into lines per stream and reports the exit', async () => {
    const p = start('console.log("a\\nb"); console.error("e1"); process.exitCode = 4');
    expect(p.pid).toBeGreaterThan(0);
    expect(await collect(p.lines('stdout'))).toEqual(['a', 'b']);
    expect(await collect(p.lines('stderr'))).toEqual(['e1']);
    expect(await p.wait()).toEqual({ code: 4, signal: null });
    expect(p.exit).toEqual({ code: 4, signal: null });
    expect(p.output()).toEqual(['a', 'b']);
    expect(p.signal('SIGTERM')).toBe(false);
    expect(await p.kill()).toEqual({ code: 4, signal: null });
  });

  it('follows lines as they come and waits for a matching one', async () => {
    const p = start(
      'let i = 0; const t = setInterval(() => { console.log("tick " + i++); if (i === 5) { console.log("ready"); } }, 5)',
    );
    expect(await p.waitForLine(/^tick 2$/)).toBe('tick 2');
    expect(await p.waitForLine('ready')).toBe('ready');
    const seen: string[] = [];
    for await (const line of p.lines()) {
      seen.push(line);
      if (line === 'tick 7') break;
    }
    expect(seen.slice(0, 3)).toEqual(['tick 0', 'tick 1', 'tick 2']);
    expect(await p.kill('SIGTERM', 1000)).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('passes stdin through', async () => {
    const p = start('process.stdin.on("data", (d) => { console.log("got " + d); process.exit(0); })');
    p.stdin!.write('x');
    expect(await p.waitForLine('got')).toBe('got x');
    await p.wait();
  });

  it('keeps a bounded log and counts dropped lines; readers skip what was dropped', async () => {
    const p = start('for (let i = 0; i < 50; i++) console.log(String(i))', 10);
    await p.wait();
    expect(await collect(p.lines())).toEqual(['40', '41', '42', '43', '44', '45', '46', '47', '48', '49']);
    expect(p.droppedLines).toBe(40);
    expect(p.output()).toHaveLength(10);
  });

  it('uses SIGKILL after the grace period when SIGTERM is ignored', async () => {
    const p = start('process.on("SIGTERM", () => {}); console.log("up"); setInterval(() => {}, 1000)');
    await p.waitForLine('up');
    const t0 = Date.now();
    expect(await p.kill('SIGTERM', 150)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('times out waits with typed errors, and reports output that ended first', async () => {
    // The child ends only when told to, so the timeouts cannot race its exit.
    const p = start('console.log("x"); console.error("why it died"); process.stdin.once("data", () => {})');
    await expect(p.waitForLine('never', { timeoutMs: 50 })).rejects.toMatchObject({
      code: NetlabErrorCode.TIMEOUT,
    });
    await expect(p.wait(50)).rejects.toMatchObject({ code: NetlabErrorCode.TIMEOUT });
    p.stdin!.end('go\n');
    const err = await p.waitForLine('never', { timeoutMs: 5000 }).catch((e) => e);
    expect(err.code).toBe(NetlabErrorCode.COMMAND_FAILED);
    expect(err.message).toMatch(/why it died/);
    expect(await p.wait(5000)).toEqual({ code: 0, signal: null });
  });

  it('refuses a child that never started', () => {
    const child = spawn('netlab-no-such-tool');
    child.on('error', () => {});
    expect(() => new LabProcess(child, 'h', ['x'], 10)).toThrow(/did not start/);
  });
});
