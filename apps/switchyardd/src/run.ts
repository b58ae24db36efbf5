/**
 * `switchyard run --config FILE`: a flood-cluster node on Linux. Sets the host up (TAP with
 * the VIPs, the sysctls of FIELD-NOTES), opens the packet socket, rebuilds the flow table
 * from the kernel's sockets, runs the node, serves the admin API, and handles signals:
 * SIGTERM/SIGINT hand the VIPs over and drain, SIGHUP reloads the configuration.
 */
import { randomInt } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { IpAddress, Role, roleName } from '@switchyard/election';
import { AfPacketLink, buildFilter, interfaceInfo, PollLoop, TapLink } from '@switchyard/link';
import { Ipv4Address, MacAddress } from '@switchyard/wire';
import pino, { type Logger } from 'pino';
import { deleteDevice, primaryIpv4, reconcileVipAddresses } from './addresses.js';
import { type AdminServer, type Status, startAdmin } from './admin.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { applyHostSettings, HostStateFile, planHostSettings } from './host-settings.js';
import { readKernelConnections, vipConnections } from './kernel-sockets.js';
import { MetricsRegistry } from './metrics.js';
import { ClusterNode, vipAddress } from './node.js';

/**
 * The TAP's MTU: the largest tun allows (65535 less its Ethernet header), so unsegmented
 * GRO/TSO frames of up to 64 KiB (FIELD-NOTES) can be written in whole.
 */
const TAP_MTU = 65535 - 14;
/** Longest the data path blocks in poll() before the event loop (admin, signals) runs. */
const MAX_BLOCK_MS = 10;

export function createLogger(config: Config): Logger {
  return pino({
    level: config.log.level,
    base: { node: config.node.id },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

/** Fields whose change needs a restart (SIGHUP applies VIPs, keys and the log level). */
const RESTART_FIELDS = ['interface', 'node', 'tap', 'heartbeat', 'metric', 'flows', 'admin'] as const;

export interface RunningDaemon {
  readonly node: ClusterNode;
  readonly log: Logger;
  /** Resolves with the exit code once the daemon has stopped. */
  readonly done: Promise<number>;
  stop(): void;
  reload(): void;
}

/** Starts the daemon; throws (with everything undone) when the host cannot be set up. */
export async function runDaemon(configPath: string): Promise<RunningDaemon> {
  let config = loadConfig(configPath);
  const log = createLogger(config);
  const info = interfaceInfo(config.interface);
  if (config.node.mac !== undefined && config.node.mac !== info.mac)
    throw new ConfigError(configPath, [
      {
        path: '/node/mac',
        message: `${MacAddress.format(config.node.mac)} is not ${config.interface}'s MAC ${MacAddress.format(info.mac)}`,
      },
    ]);
  const addressText =
    config.node.address !== undefined
      ? Ipv4Address.format(config.node.address)
      : primaryIpv4(config.interface);
  if (addressText === undefined)
    throw new ConfigError(configPath, [
      { path: '/node/address', message: `${config.interface} has no IPv4 address: set one here` },
    ]);
  const stateDir = dirname(config.admin.socket);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const state = new HostStateFile(join(stateDir, `switchyard-${config.tap.name}.state.json`));

  // The TAP is persistent: a daemon killed with -9 leaves it (with its VIPs and sysctls), so the
  // kernel's connections on the VIPs survive until the restarted daemon serves them again.
  const tap = new TapLink({
    name: config.tap.name,
    persist: true,
    mtu: TAP_MTU,
    up: true,
    driver: 'manual',
  });
  const undo: (() => void)[] = [() => tap.close()];
  // The data path's thread blocks in poll() on the packet socket and the TAP between event-loop
  // turns: one kernel wake-up per ring block, where the async reactor costs two cross-thread
  // ones (bench/l4, see PollLoop). Admin requests and signals wait at most MAX_BLOCK_MS.
  const loop = new PollLoop({
    maxBlockMs: MAX_BLOCK_MS,
    onError: (error) => log.error({ event: 'datapath-error' }, (error as Error).stack ?? String(error)),
  });
  const fail = (error: unknown): never => {
    for (const step of undo.reverse()) {
      try {
        step();
      } catch {
        // Undo what can be undone; the first error is what the caller sees.
      }
    }
    throw error;
  };
  let link: AfPacketLink;
  let admin: AdminServer;
  let node: ClusterNode;
  try {
    const changed = reconcileVipAddresses(tap.name, config.vips);
    if (changed.added.length > 0 || changed.removed.length > 0)
      log.info({ event: 'tap', tap: tap.name, ...changed }, 'VIP addresses set on the TAP');
    const applied = applyHostSettings(
      planHostSettings({
        iface: config.interface,
        tap: tap.name,
        ipv6Vips: config.vips.some((v) => v.family === 6),
      }),
    );
    undo.push(() => applied.restore());
    state.merge(applied);
    for (const { setting, previous } of applied.changed)
      log.info(
        { event: 'sysctl', key: setting.key.replaceAll('/', '.'), from: previous, to: setting.value },
        'host setting',
      );

    link = new AfPacketLink({
      interface: config.interface,
      unicastMacs: [...new Set(config.vips.map((v) => v.mac))],
      // The replies this server sends would otherwise each be copied into the ring, to be skipped.
      filter: buildFilter({ excludeOutgoing: true }),
      driver: 'manual',
      onWarning: (message) => log.warn({ event: 'link' }, message),
    });
    undo.push(() => link.close());
    node = new ClusterNode({
      nodeId: config.node.id,
      clusterId: config.cluster.id,
      address: Ipv4Address.parse(addressText),
      keys: config.cluster.keys,
      sendKeyId: config.cluster.sendKeyId,
      flowHashKey: config.cluster.flowHashKey,
      vips: config.vips,
      heartbeat: config.heartbeat,
      metric: config.metric,
      flows: config.flows,
      segment: link,
      kernel: tap,
      kernelMac: tap.interfaceMac,
      clock: loop,
      log,
      bootId: randomInt(0, 0xffff_ffff),
      initialCounter: BigInt(Date.now()) * 1_000_000n,
      loadAverage: () => loadavg()[0] ?? 0,
    });
    const adopted = node.adopt(vipConnections(readKernelConnections(), node.vips));
    if (adopted > 0) log.info({ event: 'adopted', flows: adopted }, 'flows rebuilt from the kernel sockets');
    loop.add(link);
    loop.add(tap);
    undo.push(() => {
      loop.remove(link);
      loop.remove(tap);
    });
    node.start();
    undo.push(() => node.close());
    admin = await startAdmin({
      socket: config.admin.socket,
      ...(config.admin.http === undefined ? {} : { http: config.admin.http }),
      status: () => nodeStatus(node, config),
      metrics: nodeMetrics(node, link, tap),
    });
  } catch (error) {
    return fail(error);
  }
  const looping = loop.run().catch((error: unknown) => {
    log.error({ event: 'datapath-error' }, (error as Error).stack ?? String(error));
    stop();
  });

  let stopping = false;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    finish = resolve;
  });
  let endDrain: (() => void) | undefined;

  const stop = (): void => {
    if (stopping) {
      endDrain?.();
      return;
    }
    stopping = true;
    log.info({ event: 'stopping', drainTimeoutS: config.shutdown.drainTimeoutS }, 'handing the VIPs over');
    node.release();
    void drain(config.shutdown.drainTimeoutS * 1000, (end) => {
      endDrain = end;
    }).then(async (left) => {
      if (left > 0) log.warn({ event: 'drain-timeout', connections: left }, 'drain time over; closing');
      node.close();
      loop.stop();
      loop.remove(link);
      loop.remove(tap);
      await looping;
      await admin.close();
      link.close();
      tap.close();
      let code = 0;
      try {
        deleteDevice(tap.name);
      } catch (error) {
        log.error({ event: 'tap' }, (error as Error).message);
        code = 1;
      }
      for (const error of state.restore()) {
        log.error({ event: 'sysctl' }, error.message);
        code = 1;
      }
      log.info({ event: 'stopped', code }, 'stopped');
      finish(code);
    });
  };

  /** Waits until no live connection on the VIPs is left, or `timeoutMs`; returns how many are left. */
  const drain = async (timeoutMs: number, onEnd: (end: () => void) => void): Promise<number> => {
    const deadline = performance.now() + timeoutMs;
    let ended = false;
    onEnd(() => {
      ended = true;
    });
    for (;;) {
      const left = vipConnections(readKernelConnections(), node.vips).length;
      if (left === 0 || ended || performance.now() >= deadline) return left;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  const reload = (): void => {
    if (stopping) return;
    let next: Config;
    try {
      next = loadConfig(configPath);
    } catch (error) {
      const issues =
        error instanceof ConfigError ? error.issues : [{ path: '', message: (error as Error).message }];
      log.error({ event: 'reload-refused', issues }, 'configuration refused; keeping the running one');
      return;
    }
    const needRestart = RESTART_FIELDS.filter((f) => JSON.stringify(next[f]) !== JSON.stringify(config[f]));
    if (needRestart.length > 0)
      log.warn({ event: 'reload', fields: needRestart }, 'these settings change only at restart');
    try {
      reconcileVipAddresses(tap.name, [
        ...config.vips,
        ...next.vips.filter((v) => !config.vips.some((o) => o.text === v.text)),
      ]);
      for (const mac of new Set(next.vips.map((v) => v.mac))) link.setUnicastMembership(mac, true);
      node.setKeys(next.cluster.keys, next.cluster.sendKeyId);
      const changed = node.reconfigureVips(next.vips);
      // The removed VIPs are released now; their addresses go last, so nothing answered in between.
      reconcileVipAddresses(tap.name, next.vips);
      log.level = next.log.level;
      config = { ...next, ...Object.fromEntries(needRestart.map((f) => [f, config[f]])) } as Config;
      log.info({ event: 'reloaded', ...changed }, 'configuration reloaded');
    } catch (error) {
      log.error({ event: 'reload-failed' }, (error as Error).message);
    }
  };

  log.info(
    {
      event: 'ready',
      interface: config.interface,
      mac: MacAddress.format(link.mac),
      address: addressText,
      tap: tap.name,
      vips: config.vips.map((v) => `${v.text} ${v.policy} vmac ${MacAddress.format(v.mac)}`),
      admin: config.admin.socket,
    },
    'switchyard node running',
  );
  return { node, log, done, stop, reload };
}

/** The admin API's status document. */
export function nodeStatus(node: ClusterNode, config: Config): Status {
  const membership = node.election.membership();
  const roles = new Map(node.election.roles().map((r) => [r.vip.address, r]));
  const counters: Record<string, number> = {};
  for (const [k, v] of Object.entries(node.dataplane.counters())) counters[`dataplane.${k}`] = v;
  for (const [k, v] of Object.entries(node.counters)) counters[`node.${k}`] = v;
  for (const [k, v] of Object.entries(node.election.counters)) counters[`election.${k}`] = v;
  return {
    node: { id: node.nodeId, address: Ipv4Address.format(node.address), mac: MacAddress.format(node.mac) },
    cluster: config.cluster.id,
    uptimeS: Math.round(node.uptimeNs / 1e9),
    members: [
      ...(node.stopped ? [] : [{ id: node.nodeId, address: Ipv4Address.format(node.address), self: true }]),
      ...membership.peers.map((p) => ({
        id: p.nodeId,
        address: IpAddress.format(p.ip),
        self: false,
      })),
    ].sort((a, b) => a.id - b.id),
    vips: node.vips.map((v) => {
      const r = roles.get(v.address);
      const active = node.election.activeNode(vipAddress(v));
      return {
        address: v.text,
        policy: v.policy,
        role: r === undefined ? 'none' : roleName(r.role).toLowerCase(),
        active: active ?? null,
      };
    }),
    flows: { size: node.dataplane.flows.size, capacity: node.dataplane.flows.capacity },
    counters,
  };
}

/** Prometheus metrics, collected from the packages' own counters at scrape time. */
export function nodeMetrics(node: ClusterNode, link: AfPacketLink, tap: TapLink): MetricsRegistry {
  const registry = new MetricsRegistry();
  registry.register(
    'switchyard_dataplane_frames_total',
    'counter',
    'Frames handled by the data plane, by outcome.',
    () =>
      Object.entries(node.dataplane.counters())
        .filter(([k]) => k !== 'frames')
        .map(([outcome, value]) => ({ labels: { outcome }, value })),
  );
  registry.register(
    'switchyard_node_events_total',
    'counter',
    'Node counters (delivery, checksum completion, guard).',
    () => Object.entries(node.counters).map(([event, value]) => ({ labels: { event }, value })),
  );
  registry.register(
    'switchyard_election_total',
    'counter',
    'Election counters (heartbeats, refusals by reason).',
    () => Object.entries(node.election.counters).map(([event, value]) => ({ labels: { event }, value })),
  );
  registry.register('switchyard_arp_total', 'counter', 'ARP/NDP responder counters.', () =>
    Object.entries(node.arp.counters).map(([event, value]) => ({ labels: { event }, value: Number(value) })),
  );
  registry.register('switchyard_link_total', 'counter', 'Packet socket and TAP counters.', () => {
    link.refreshStatistics();
    return [
      ...Object.entries(link.counters).map(([event, value]) => ({
        labels: { device: 'segment', event },
        value,
      })),
      ...Object.entries(tap.counters).map(([event, value]) => ({ labels: { device: 'tap', event }, value })),
    ];
  });
  registry.value(
    'switchyard_flows',
    'gauge',
    'Flows in the local flow table.',
    () => node.dataplane.flows.size,
  );
  registry.value('switchyard_members', 'gauge', 'Live cluster members, this node included.', () =>
    node.stopped ? 0 : node.election.membership().nodeIds.length,
  );
  registry.register('switchyard_vip_active', 'gauge', "1 when this node is the VIP's active node.", () =>
    node.election.roles().map((r) => ({
      labels: {
        vip: IpAddress.format(r.vip),
      },
      value: r.role === Role.ACTIVE ? 1 : 0,
    })),
  );
  return registry;
}
