/**
 * Network-namespace fixtures for *.netns.test.ts: every namespace gets a per-run prefix
 * (`sylk<pid><random>`), and `dispose()` removes them all (afterAll, also on failure).
 * Interfaces live inside the namespaces, so removing a namespace removes its veths/TAPs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';

/** Why netns tests cannot run here, or undefined when they can. */
export function netnsSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'netns tests need Linux';
  if (process.getuid?.() !== 0)
    return 'netns tests need root (CAP_NET_ADMIN/CAP_NET_RAW); CI runs them as root';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'netns tests need iproute2 (`ip`)';
  }
  if (!existsSync('/dev/net/tun')) return 'netns tests need /dev/net/tun';
  return undefined;
}

export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export class Lab {
  readonly prefix = `sylk${process.pid}${Math.floor(Math.random() * 1e6).toString(36)}`;
  private readonly namespaces: string[] = [];

  /** Creates namespace `<prefix><suffix>` with lo up and IPv6 off (no kernel chatter on test links). */
  ns(suffix: string): string {
    const name = `${this.prefix}${suffix}`;
    sh('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    this.exec(name, ['ip', 'link', 'set', 'lo', 'up']);
    this.exec(name, [
      'sysctl',
      '-q',
      '-w',
      'net.ipv6.conf.all.disable_ipv6=1',
      'net.ipv6.conf.default.disable_ipv6=1',
    ]);
    return name;
  }

  exec(ns: string, argv: string[]): string {
    return sh('ip', ['netns', 'exec', ns, ...argv]);
  }

  /** A veth pair: `a` in namespace `nsA`, `b` in `nsB`, both up. */
  veth(nsA: string, a: string, nsB: string, b: string, mtu = 1500): void {
    sh('ip', [
      'link',
      'add',
      `${this.prefix.slice(-6)}x`,
      'netns',
      nsA,
      'type',
      'veth',
      'peer',
      'name',
      `${this.prefix.slice(-6)}y`,
      'netns',
      nsB,
    ]);
    this.exec(nsA, ['ip', 'link', 'set', `${this.prefix.slice(-6)}x`, 'name', a, 'mtu', String(mtu), 'up']);
    this.exec(nsB, ['ip', 'link', 'set', `${this.prefix.slice(-6)}y`, 'name', b, 'mtu', String(mtu), 'up']);
  }

  /** `ip -j link show dev` inside `ns`. */
  linkJson(
    ns: string,
    dev: string,
  ): { ifindex: number; mtu: number; address: string; flags: string[]; promiscuity?: number } {
    return JSON.parse(this.exec(ns, ['ip', '-j', '-d', 'link', 'show', 'dev', dev]))[0];
  }

  /** Removes every namespace this lab made; never throws. */
  dispose(): void {
    for (const ns of this.namespaces.splice(0)) {
      try {
        sh('ip', ['netns', 'del', ns]);
      } catch {
        // already gone
      }
    }
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `f` until it holds or `maxMs` pass; returns its last value. */
export async function until(f: () => boolean, maxMs = 5000): Promise<boolean> {
  const end = Date.now() + maxMs;
  while (!f() && Date.now() < end) await sleep(5);
  return f();
}

/**
 * Waits until `read()` stops changing for `quietMs` (at least `minMs` in all, at most `maxMs`).
 * Until it first changes, it waits `firstMs` instead: on a loaded machine the first frame can
 * take longer to arrive than the gap between later ones.
 */
export async function settleOn(
  read: () => number,
  quietMs = 150,
  minMs = 20,
  maxMs = 5000,
  firstMs = 500,
): Promise<void> {
  const start = Date.now();
  await sleep(minMs);
  const initial = read();
  let last = initial;
  let since = start;
  while (Date.now() - start < maxMs) {
    await sleep(5);
    const now = read();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= (last === initial ? firstMs : quietMs)) return;
  }
}

/**
 * The setup most netns suites share: a `Lab` with namespaces `a` and `b` joined by a veth
 * (`va` in a, `vb` in b, both up), made before the suite's tests and removed after them.
 * Call it inside `describe`; `ns.a` and `ns.b` hold the namespace names once the suite runs.
 */
export function vethPairSuite(mtu = 1500): { readonly lab: Lab; readonly ns: { a: string; b: string } } {
  const lab = new Lab();
  const ns = { a: '', b: '' };
  beforeAll(() => {
    ns.a = lab.ns('a');
    ns.b = lab.ns('b');
    lab.veth(ns.a, 'va', ns.b, 'vb', mtu);
  });
  afterAll(() => lab.dispose());
  return { lab, ns };
}
