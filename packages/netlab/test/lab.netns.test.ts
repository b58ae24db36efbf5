/** Real labs in network namespaces: traffic, tables, faults and teardown. */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, listNamespaces } from '../src/cleanup.js';
import {
  CommandError,
  canCreateNamespaces,
  createLab,
  Lab,
  NetlabError,
  NetlabErrorCode,
  planLab,
} from '../src/index.js';
import { which } from '../src/run.js';

const root = canCreateNamespaces();
const node = process.execPath;

/** A TCP echo server: prints `listening` once bound. */
const ECHO_SERVER = `
  const [host, port] = process.argv.slice(1);
  require('node:net').createServer((s) => s.pipe(s)).listen(Number(port), host, () => console.log('listening'));
`;
/** Connects, sends argv[3], prints what comes back; exits 1 on error or after argv[4] ms. */
const ECHO_CLIENT = `
  const [host, port, text, ms] = process.argv.slice(1);
  const s = require('node:net').connect(Number(port), host, () => s.end(text));
  let got = '';
  s.on('data', (d) => (got += d));
  s.on('end', () => { process.stdout.write(got); process.exit(0); });
  s.on('error', (e) => { console.error(e.message); process.exit(1); });
  setTimeout(() => { console.error('timeout'); process.exit(1); }, Number(ms ?? 2000));
`;
/** Counts UDP datagrams on argv for argv[3] ms, then prints the count. */
const UDP_COUNTER = `
  const [host, port, ms] = process.argv.slice(1);
  const s = require('node:dgram').createSocket('udp4');
  let n = 0;
  s.on('message', () => console.log('count ' + ++n));
  s.bind(Number(port), host, () => console.log('listening'));
`;
const UDP_SENDER = `
  const [host, port, count] = process.argv.slice(1);
  const s = require('node:dgram').createSocket('udp4');
  let i = 0;
  const next = () => (i++ < Number(count) ? s.send('x', Number(port), host, () => setTimeout(next, 1)) : s.close());
  next();
`;

async function echo(lab: Lab, from: string, to: string, ms = 2000): Promise<string> {
  const r = await lab.exec(from, [node, '-e', ECHO_CLIENT, to, '7', 'hello', String(ms)], {
    timeoutMs: ms + 15_000,
  });
  return r.stdout;
}

// A loaded CI machine can take seconds to start a Node child: wait generously for its first line.
const startup = { timeoutMs: 20_000 };

describe.skipIf(!root)('a two-host lab on a bridge (needs root: CAP_NET_ADMIN and CAP_SYS_ADMIN)', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await createLab({
      bridges: [{ name: 'seg', ageingTimeSeconds: 60 }],
      hosts: [
        {
          name: 'a',
          links: [{ bridge: 'seg', address: '10.91.0.1/24', mac: '02:5e:00:00:00:0a' }],
          ipv6: false,
        },
        {
          name: 'b',
          links: [{ bridge: 'seg', address: ['10.91.0.2/24', 'fd91::2/64'] }],
          sysctls: { 'net.ipv4.conf.eth0.arp_ignore': 1 },
        },
      ],
    });
    const server = await lab.spawn('b', [node, '-e', ECHO_SERVER, '0.0.0.0', '7']);
    await server.waitForLine('listening', startup);
  });

  afterAll(async () => {
    if (lab === undefined) return;
    const prefix = lab.prefix;
    const pids = lab.processes.map((p) => p.pid);
    await lab.destroy();
    expect(listNamespaces().filter((n) => n.startsWith(prefix))).toEqual([]);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  });

  it('names every namespace with the run prefix and touches no root interface', async () => {
    expect(lab.prefix).toMatch(new RegExp(`^sy${process.pid.toString(36)}_[0-9a-z]{4}$`));
    expect(lab.nodes.map((n) => n.namespace)).toEqual([
      `${lab.prefix}-seg`,
      `${lab.prefix}-a`,
      `${lab.prefix}-b`,
    ]);
    expect(
      listNamespaces()
        .filter((n) => n.startsWith(`${lab.prefix}-`))
        .sort(),
    ).toEqual(lab.nodes.map((n) => n.namespace).sort());
    const rootLinks = execFileSync('ip', ['-br', 'link'], {
      encoding: 'utf8',
    });
    expect(rootLinks).not.toMatch(/\b(a|b)-eth0\b|\bseg\b/);
  });

  it('hosts reach each other over the bridge (TCP echo between namespaces)', async () => {
    expect(await echo(lab, 'a', '10.91.0.2')).toBe('hello');
  });

  it.skipIf(which('ping') === null)('ping works too', async () => {
    const r = await lab.exec('b', ['ping', '-c1', '-W1', '10.91.0.1']);
    expect(r.stdout).toMatch(/1 received/);
  });

  it("the bridge FDB holds each host's MAC, learned on that host's port", async () => {
    const a = await lab.interface('a', 'eth0');
    const b = await lab.interface('b', 'eth0');
    const fdb = await lab.fdb('seg');
    const learned = fdb.filter((e) => e.learned);
    expect(learned.find((e) => e.mac === a.mac)).toMatchObject({
      port: 'a-eth0',
      host: 'a',
      hostInterface: 'eth0',
    });
    expect(learned.find((e) => e.mac === b.mac)).toMatchObject({ port: 'b-eth0', host: 'b', master: 'seg' });
    expect(fdb.some((e) => e.mac === '02:53:59:00:00:01')).toBe(false);
  });

  it("the neighbor table of a holds b's address with b's MAC", async () => {
    const b = await lab.interface('b', 'eth0');
    const n = (await lab.neighbors('a')).find((x) => x.address === '10.91.0.2');
    expect(n).toMatchObject({ ifname: 'eth0', mac: b.mac, router: false });
    expect(n!.state.length).toBeGreaterThan(0);
  });

  it('describes interfaces: name, MAC, ifindex, addresses, and where they lead', async () => {
    const a = await lab.interface('a', 'eth0');
    expect(a).toMatchObject({
      name: 'eth0',
      mac: '02:5e:00:00:00:0a',
      mtu: 1500,
      up: true,
      host: 'a',
      kind: 'bridge-link',
      bridge: 'seg',
      port: 'a-eth0',
      addresses: ['10.91.0.1/24'], // ipv6: false, so no link-local either
    });
    expect(a.ifindex).toBeGreaterThan(1);
    const b = await lab.interface('b', 'eth0');
    expect(b.addresses).toEqual(expect.arrayContaining(['10.91.0.2/24', 'fd91::2/64']));
    const all = await lab.interfaces('b');
    expect(all.map((i) => [i.name, i.kind])).toEqual([
      ['lo', 'other'],
      ['eth0', 'bridge-link'],
    ]);
    const port = await lab.interface('seg', 'a-eth0');
    expect(port.up).toBe(true);
  });

  it('applies host sysctls and bridge options, and reads and writes sysctls', async () => {
    expect(await lab.sysctl('b', 'net.ipv4.conf.eth0.arp_ignore')).toBe('1');
    expect(await lab.sysctl('a', 'net.ipv6.conf.all.disable_ipv6')).toBe('1');
    expect(await lab.sysctl('a', 'net.ipv4.conf.eth0.arp_announce', 2)).toBe('2');
    const d = await lab.exec('seg', ['ip', '-j', '-d', 'link', 'show', 'dev', 'seg']);
    expect(JSON.parse(d.stdout)[0].linkinfo.info_data.ageing_time).toBe(6000);
    await expect(lab.sysctl('a', 'net.ipv4.no_such_key', 1)).rejects.toMatchObject({
      code: NetlabErrorCode.COMMAND_FAILED,
    });
  });

  it('exec reports failures with exit code and stderr, and enforces its time limit', async () => {
    const err = await lab.exec('a', [node, '-e', 'console.error("nope"); process.exit(7)']).catch((e) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toMatchObject({ code: NetlabErrorCode.EXEC_FAILED, exitCode: 7, stderr: 'nope\n' });
    const soft = await lab.exec('a', ['sh', '-c', 'exit 5'], { check: false });
    expect(soft.exitCode).toBe(5);
    const slow = await lab.exec('a', ['sleep', '5'], { timeoutMs: 100 }).catch((e) => e);
    expect(slow).toMatchObject({ code: NetlabErrorCode.TIMEOUT, timedOut: true });
    const env = await lab.exec('a', ['sh', '-c', 'echo $NETLAB_X; cat'], {
      env: { NETLAB_X: 'y' },
      input: 'in',
    });
    expect(env.stdout).toBe('y\nin');
    await expect(lab.exec('a', [])).rejects.toMatchObject({ code: NetlabErrorCode.INVALID_ARGUMENT });
    await expect(lab.exec('zz', ['true'])).rejects.toMatchObject({ code: NetlabErrorCode.UNKNOWN });
    await expect(lab.interface('a', 'eth9')).rejects.toMatchObject({ code: NetlabErrorCode.UNKNOWN });
    await expect(lab.fdb('a')).rejects.toMatchObject({ code: NetlabErrorCode.INVALID_ARGUMENT });
    expect(() => lab.namespace('zz')).toThrow(NetlabError);
  });

  it('linkDown cuts the host off and linkUp brings it back', async () => {
    await lab.linkDown('a', 'eth0');
    expect((await lab.interface('a', 'eth0')).up).toBe(false);
    await expect(echo(lab, 'a', '10.91.0.2', 300)).rejects.toMatchObject({
      code: NetlabErrorCode.EXEC_FAILED,
    });
    await lab.linkUp('a', 'eth0');
    expect(await echo(lab, 'a', '10.91.0.2')).toBe('hello');
    // A bridge port goes down in the bridge's namespace.
    await lab.linkDown('seg', 'b-eth0');
    await expect(echo(lab, 'a', '10.91.0.2', 300)).rejects.toMatchObject({
      code: NetlabErrorCode.EXEC_FAILED,
    });
    await lab.linkUp('seg', 'b-eth0');
    expect(await echo(lab, 'a', '10.91.0.2')).toBe('hello');
  });

  it('injects random loss with nftables and counts the drops', async () => {
    const counter = await lab.spawn('b', [node, '-e', UDP_COUNTER, '10.91.0.2', '9000']);
    await counter.waitForLine('listening', startup);
    await echo(lab, 'a', '10.91.0.2'); // ARP resolved before the loss starts
    const loss = await lab.injectLoss('b', 'eth0', { probability: 0.5, direction: 'ingress' });
    expect(loss).toMatchObject({ node: 'b', ifname: 'eth0', probability: 0.5 });
    await lab.exec('a', [node, '-e', UDP_SENDER, '10.91.0.2', '9000', '200']);
    // Every datagram is either counted by the receiver or by the rule, once the receiver has
    // caught up; wait for that rather than for a fixed time.
    const received = () =>
      Number(
        counter
          .output('stdout')
          .findLast((l) => l.startsWith('count '))
          ?.slice(6) ?? 0,
      );
    let dropped = await loss.dropped();
    for (let i = 0; i < 250 && received() + dropped.ingress < 200; i++) {
      await new Promise((r) => setTimeout(r, 20));
      dropped = await loss.dropped();
    }
    await counter.kill();
    expect(dropped.egress).toBe(0);
    // 200 datagrams at p = 0.5: outside 40..160 has probability below 1e-17.
    expect(received()).toBeGreaterThan(40);
    expect(received()).toBeLessThan(160);
    expect(received() + dropped.ingress).toBeGreaterThanOrEqual(200);
    await loss.remove();
    await loss.remove();
    expect(await echo(lab, 'a', '10.91.0.2')).toBe('hello');

    const all = await lab.injectLoss('seg', 'a-eth0', { probability: 1 });
    await expect(echo(lab, 'a', '10.91.0.2', 300)).rejects.toMatchObject({
      code: NetlabErrorCode.EXEC_FAILED,
    });
    expect((await all.dropped()).ingress).toBeGreaterThan(0);
    await all.remove();
    expect(await echo(lab, 'a', '10.91.0.2')).toBe('hello');
    await expect(lab.injectLoss('a', 'eth0', { probability: 1.5 })).rejects.toMatchObject({
      code: NetlabErrorCode.INVALID_ARGUMENT,
    });
  });
});

describe.skipIf(!root)('labs and their lifecycle (needs root: CAP_NET_ADMIN and CAP_SYS_ADMIN)', () => {
  it('routes across a router host joined by direct veths', async () => {
    await using lab = await createLab({
      hosts: [
        { name: 'a', routes: [{ to: 'default', via: '10.92.1.1' }] },
        { name: 'r', sysctls: { 'net.ipv4.ip_forward': 1 } },
        { name: 'b', routes: [{ to: '10.92.1.0/24', via: '10.92.2.1', dev: 'eth0', metric: 5 }] },
      ],
      veths: [
        { a: { host: 'a', address: '10.92.1.2/24' }, b: { host: 'r', address: '10.92.1.1/24' } },
        { a: { host: 'b', address: '10.92.2.2/24' }, b: { host: 'r', address: '10.92.2.1/24' }, mtu: 1400 },
      ],
    });
    const server = await lab.spawn('b', [node, '-e', ECHO_SERVER, '10.92.2.2', '7']);
    await server.waitForLine('listening', startup);
    expect(await echo(lab, 'a', '10.92.2.2')).toBe('hello');
    expect(await lab.interface('r', 'eth1')).toMatchObject({
      mtu: 1400,
      kind: 'veth',
      peer: { host: 'b', name: 'eth0' },
    });
    const routes = await lab.exec('b', ['ip', 'route']);
    expect(routes.stdout).toMatch(/10\.92\.1\.0\/24 via 10\.92\.2\.1 dev eth0 metric 5/);
  });

  it('two labs with the same spec at once do not collide', async () => {
    const spec = {
      bridges: [{ name: 'seg' }],
      hosts: [
        { name: 'a', links: [{ bridge: 'seg', address: '10.93.0.1/24' }] },
        { name: 'b', links: [{ bridge: 'seg', address: '10.93.0.2/24' }] },
      ],
    };
    const [x, y] = await Promise.all([createLab(spec), createLab(spec)]);
    try {
      expect(x.prefix).not.toBe(y.prefix);
      const sx = await x.spawn('b', [node, '-e', ECHO_SERVER, '10.93.0.2', '7']);
      const sy = await y.spawn('b', [node, '-e', ECHO_SERVER, '10.93.0.2', '7']);
      await Promise.all([sx.waitForLine('listening', startup), sy.waitForLine('listening', startup)]);
      expect(await Promise.all([echo(x, 'a', '10.93.0.2'), echo(y, 'a', '10.93.0.2')])).toEqual([
        'hello',
        'hello',
      ]);
      await x.destroy();
      expect(x.leftovers()).toEqual([]);
      expect(y.leftovers()).toHaveLength(3);
      expect(await echo(y, 'a', '10.93.0.2')).toBe('hello');
    } finally {
      await Promise.all([x.destroy(), y.destroy()]);
    }
    expect(y.leftovers()).toEqual([]);
  });

  it('destroy stops spawned processes and their children, is idempotent, and ends the lab', async () => {
    const lab = await createLab({ hosts: [{ name: 'h' }] }, { killGraceMs: 300 });
    // String(): under FORCE_COLOR (the test script sets it) console.log colours a bare number.
    const stubborn = await lab.spawn('h', [
      node,
      '-e',
      `process.on('SIGTERM', () => {});
       const c = require('node:child_process').spawn('sleep', ['600'], { stdio: 'ignore', detached: true });
       console.log(String(c.pid)); setInterval(() => {}, 1000);`,
    ]);
    const grandchild = Number(await stubborn.waitForLine(/^\d+$/, startup));
    expect(isAlive(grandchild)).toBe(true);
    expect(lab.processes).toEqual([stubborn]);
    const d1 = lab.destroy();
    expect(lab.destroy()).toBe(d1);
    await d1;
    expect(lab.destroyed).toBe(true);
    expect(stubborn.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(
      await (async () => {
        for (let i = 0; i < 500 && isAlive(grandchild); i++) await new Promise((r) => setTimeout(r, 20));
        return isAlive(grandchild);
      })(),
    ).toBe(false);
    expect(lab.leftovers()).toEqual([]);
    await expect(lab.exec('h', ['true'])).rejects.toMatchObject({ code: NetlabErrorCode.DESTROYED });
    await expect(lab.spawn('h', ['true'])).rejects.toMatchObject({ code: NetlabErrorCode.DESTROYED });
  });

  it('destroySync (what the exit handlers run) removes everything without the event loop', async () => {
    const lab = await createLab({ hosts: [{ name: 'h' }] });
    const p = await lab.spawn('h', [node, '-e', 'setInterval(() => {}, 1000)']);
    lab.destroySync();
    lab.destroySync();
    expect(lab.leftovers()).toEqual([]);
    expect(isAlive(p.pid)).toBe(false);
    await lab.destroy();
  });

  it('await using destroys the lab at the end of the scope', async () => {
    let prefix = '';
    {
      await using lab = await createLab({ hosts: [{ name: 'h' }] });
      prefix = lab.prefix;
      expect(listNamespaces()).toContain(`${prefix}-h`);
    }
    expect(listNamespaces().filter((n) => n.startsWith(prefix))).toEqual([]);
  });

  it('a step the kernel refuses removes what was built and throws a CommandError', async () => {
    const mine = () => listNamespaces().filter((n) => n.startsWith(`sy${process.pid.toString(36)}_`));
    const before = mine();
    const err = await createLab({
      hosts: [{ name: 'a', links: [], routes: [{ to: '10.94.0.0/16', via: '10.95.0.1' }] }, { name: 'b' }],
    }).catch((e) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(err.code).toBe(NetlabErrorCode.COMMAND_FAILED);
    expect(err.argv).toContain('route');
    expect(mine()).toEqual(before);
  });

  it('rejects bad specs before touching the system', async () => {
    await expect(createLab({ hosts: [{ name: 'waytoolonghost' }] })).rejects.toMatchObject({
      code: NetlabErrorCode.NAME_TOO_LONG,
    });
    await expect(
      createLab({
        bridges: [{ name: 's' }],
        hosts: [{ name: 'h', links: [{ bridge: 's', name: 'x'.repeat(16) }] }],
      }),
    ).rejects.toMatchObject({ code: NetlabErrorCode.NAME_TOO_LONG });
    await expect(createLab({ hosts: [{ name: 'h;reboot' }] })).rejects.toMatchObject({
      code: NetlabErrorCode.INVALID_ARGUMENT,
    });
  });

  it('never removes a namespace it did not create: a clash is NAME_IN_USE and the other one survives', async () => {
    const prefix = `sy${process.pid.toString(36)}_zz00`;
    const theirs = `${prefix}-b`;
    execFileSync('ip', ['netns', 'add', theirs]);
    try {
      const lab = new Lab(planLab({ hosts: [{ name: 'a' }, { name: 'b' }] }, prefix), {});
      const err = await lab.build().catch((e) => e);
      expect(err).toMatchObject({ code: NetlabErrorCode.NAME_IN_USE });
      expect(listNamespaces()).toContain(theirs);
      expect(listNamespaces()).not.toContain(`${prefix}-a`);
    } finally {
      execFileSync('ip', ['netns', 'delete', theirs]);
    }
  });

  it('says TOOL_MISSING when iproute2 is not on PATH', async () => {
    const { PATH } = process.env;
    Object.assign(process.env, { PATH: '/nonexistent' });
    try {
      await expect(createLab({ hosts: [{ name: 'h' }] })).rejects.toMatchObject({
        code: NetlabErrorCode.TOOL_MISSING,
      });
    } finally {
      Object.assign(process.env, { PATH });
    }
  });

  it('a teardown by an exit handler during the build undoes the step in flight and stops', async () => {
    const prefix = `sy${process.pid.toString(36)}_zz01`;
    const lab = new Lab(planLab({ hosts: [{ name: 'a' }, { name: 'b' }] }, prefix), {});
    const building = lab.build();
    lab.destroySync();
    await expect(building).rejects.toMatchObject({ code: NetlabErrorCode.DESTROYED });
    expect(listNamespaces().filter((n) => n.startsWith(prefix))).toEqual([]);
  });
});
