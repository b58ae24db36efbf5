/**
 * The declarative lab description and its plan: `planLab` validates a spec and turns it into
 * the exact list of `ip` commands that build it. Planning is pure (no I/O), so every rule
 * about names, ordering and limits is tested without root.
 */
import { check, NetlabError, NetlabErrorCode } from './errors.js';
import { checkCidr, checkIfname, checkIp, checkMac, checkNodeName, sysctlArgument } from './names.js';

/** Most namespaces (hosts + bridges) one lab may hold. */
export const MAX_NODES = 64;
/** Most interfaces one host may hold. */
export const MAX_INTERFACES_PER_HOST = 32;

/** A Linux bridge in a namespace of its own, so nothing touches the root namespace's interfaces. */
export interface BridgeSpec {
  /** Also the bridge device's name inside its namespace (1..10 chars, `[a-z][a-z0-9-]`). */
  readonly name: string;
  /** FDB ageing time in whole seconds (kernel default 300; 0 disables learning's expiry). */
  readonly ageingTimeSeconds?: number;
  /** Turns on 802.1Q VLAN filtering on the bridge. Default off. */
  readonly vlanFiltering?: boolean;
}

/** One interface of a host, the other end of its veth pair enslaved to a bridge. */
export interface BridgeLinkSpec {
  /** Name of a bridge of this lab. */
  readonly bridge: string;
  /** Interface name inside the host; default `eth<n>` (n counts the host's interfaces). */
  readonly name?: string;
  /** Name of the bridge-side veth end; default `<host>-<name>` (must fit in 15 bytes). */
  readonly port?: string;
  /** Addresses with prefix length (`10.1.0.10/24`, `fd00::10/64`). IPv6 ones skip DAD. */
  readonly address?: string | readonly string[];
  /** MAC of the host-side end (unicast); default chosen by the kernel. */
  readonly mac?: string;
  readonly mtu?: number;
  /** Bring the interface up. Default true. */
  readonly up?: boolean;
}

/** One end of a direct veth between two hosts. */
export interface VethEndSpec {
  readonly host: string;
  /** Default `eth<n>`. */
  readonly name?: string;
  readonly address?: string | readonly string[];
  readonly mac?: string;
  /** Default true. */
  readonly up?: boolean;
}

/** A veth pair whose ends sit in two hosts (a point-to-point cable, no bridge). */
export interface VethSpec {
  readonly a: VethEndSpec;
  readonly b: VethEndSpec;
  readonly mtu?: number;
}

/** A route in a host: `ip route add <to> [via] [dev] [src] [metric]`. */
export interface RouteSpec {
  /** `default` or a CIDR; a bare address is a host route. */
  readonly to: string;
  readonly via?: string;
  /** An interface of this host. */
  readonly dev?: string;
  readonly src?: string;
  readonly metric?: number;
}

/** A host: one network namespace with its interfaces, routes and sysctls. */
export interface HostSpec {
  /** 1..10 chars, `[a-z][a-z0-9-]`; unique among hosts and bridges. */
  readonly name: string;
  readonly links?: readonly BridgeLinkSpec[];
  readonly routes?: readonly RouteSpec[];
  /**
   * sysctls written in the host's namespace. Keys under `conf.default` / `conf.all` are written
   * before the host's interfaces exist (so new interfaces inherit them), the rest after the
   * interfaces exist and before they come up.
   */
  readonly sysctls?: Readonly<Record<string, string | number>>;
  /**
   * `false` disables IPv6 in the namespace before any interface exists: no router
   * solicitations, MLD reports or DAD probes on the segment. Default true.
   */
  readonly ipv6?: boolean;
}

/** A whole lab. */
export interface LabSpec {
  readonly bridges?: readonly BridgeSpec[];
  readonly hosts: readonly HostSpec[];
  readonly veths?: readonly VethSpec[];
}

/** A namespace of the plan. */
export interface PlannedNode {
  readonly name: string;
  readonly kind: 'host' | 'bridge';
  readonly namespace: string;
}

/** An interface of a host, as planned. */
export interface PlannedInterface {
  readonly host: string;
  readonly name: string;
  readonly kind: 'bridge-link' | 'veth';
  /** For a bridge link: the bridge and the bridge-side port name. */
  readonly bridge?: string;
  readonly port?: string;
  /** For a direct veth: the host and interface at the other end. */
  readonly peer?: { readonly host: string; readonly name: string };
  readonly mac?: string;
  readonly addresses: readonly string[];
}

/** One command of the plan: always an `ip` invocation (sysctls go through `ip netns exec`). */
export interface PlanStep {
  readonly argv: readonly string[];
  /** Set on `ip netns add` steps: the namespace the step creates. */
  readonly creates?: string;
}

/** What `createLab` will build, in order. */
export interface LabPlan {
  readonly prefix: string;
  /** Bridges first, then hosts: the creation order (teardown runs in reverse). */
  readonly nodes: readonly PlannedNode[];
  readonly interfaces: readonly PlannedInterface[];
  readonly steps: readonly PlanStep[];
}

function addresses(value: string | readonly string[] | undefined, what: string): string[] {
  if (value === undefined) return [];
  const list = typeof value === 'string' ? [value] : [...value];
  for (const a of list) checkCidr(a, what);
  return list;
}

function checkMtu(mtu: number | undefined, what: string): void {
  // 68 is the IPv4 minimum MTU (RFC 791 §3.2); 65535 is the largest veth/bridge MTU.
  check(
    mtu === undefined || (Number.isInteger(mtu) && mtu >= 68 && mtu <= 65535),
    `${what} mtu must be 68..65535`,
  );
}

function isEarlySysctl(key: string): boolean {
  return /(?:^|[./])(?:default|all)(?:[./]|$)/.test(key);
}

/**
 * Validates `spec` and returns the commands that build it under `prefix`
 * (namespaces are named `<prefix>-<node>`).
 */
export function planLab(spec: LabSpec, prefix: string): LabPlan {
  check(
    typeof spec === 'object' && spec !== null && Array.isArray(spec.hosts),
    'spec.hosts must be an array',
  );
  check(
    /^sy[0-9a-z]{1,7}_[0-9a-z]{4}$/.test(prefix),
    `prefix ${JSON.stringify(prefix)} is not a netlab prefix`,
  );
  const bridges = spec.bridges ?? [];
  const veths = spec.veths ?? [];
  check(Array.isArray(bridges) && Array.isArray(veths), 'spec.bridges and spec.veths must be arrays');
  check(
    bridges.length + spec.hosts.length <= MAX_NODES,
    `a lab holds at most ${MAX_NODES} hosts and bridges, got ${bridges.length + spec.hosts.length}`,
  );
  check(spec.hosts.length > 0, 'a lab needs at least one host');

  const nodes: PlannedNode[] = [];
  const byName = new Map<string, PlannedNode>();
  const ns = (name: string) => `${prefix}-${name}`;
  const addNode = (name: string, kind: 'host' | 'bridge') => {
    checkNodeName(name, kind);
    check(!byName.has(name), `name '${name}' is used twice (hosts and bridges share one name space)`);
    const node: PlannedNode = { name, kind, namespace: ns(name) };
    nodes.push(node);
    byName.set(name, node);
  };
  for (const b of bridges) {
    addNode(b.name, 'bridge');
    check(
      b.ageingTimeSeconds === undefined ||
        (Number.isInteger(b.ageingTimeSeconds) &&
          b.ageingTimeSeconds >= 0 &&
          b.ageingTimeSeconds <= 1_000_000),
      `bridge ${b.name}: ageingTimeSeconds must be an integer 0..1000000`,
    );
  }
  for (const h of spec.hosts) addNode(h.name, 'host');
  const hostSpec = new Map(spec.hosts.map((h) => [h.name, h]));
  const bridgeNames = new Set(bridges.map((b) => b.name));

  // Interface names per host and port names per bridge namespace, to refuse duplicates.
  const ifnames = new Map<string, Set<string>>(spec.hosts.map((h) => [h.name, new Set(['lo'])]));
  const ports = new Map<string, Set<string>>(bridges.map((b) => [b.name, new Set(['lo', b.name])]));
  const claim = (host: string, wanted: string | undefined): string => {
    const used = ifnames.get(host)!;
    check(
      used.size - 1 < MAX_INTERFACES_PER_HOST,
      `host ${host} holds at most ${MAX_INTERFACES_PER_HOST} interfaces`,
    );
    let name = wanted;
    if (name === undefined) {
      let n = 0;
      while (used.has(`eth${n}`)) n++;
      name = `eth${n}`;
    }
    checkIfname(name, `host ${host} interface name`);
    check(!used.has(name), `host ${host} has two interfaces named ${name}`);
    used.add(name);
    return name;
  };

  const interfaces: PlannedInterface[] = [];
  const create: PlanStep[] = [];
  const address: PlanStep[] = [];
  const up: PlanStep[] = [];
  const mtuArgs = (mtu: number | undefined) => (mtu === undefined ? [] : ['mtu', String(mtu)]);
  const macArgs = (mac: string | undefined) => (mac === undefined ? [] : ['address', mac]);
  const addAddresses = (host: string, ifname: string, list: readonly string[]) => {
    for (const a of list) {
      // IPv6: skip duplicate address detection so the address is usable at once (RFC 4862 §5.4).
      const nodad = a.includes(':') ? ['nodad'] : [];
      address.push({ argv: ['ip', '-n', ns(host), 'addr', 'add', a, 'dev', ifname, ...nodad] });
    }
  };

  for (const h of spec.hosts) {
    const links = h.links ?? [];
    check(Array.isArray(links), `host ${h.name}: links must be an array`);
    for (const l of links) {
      check(
        typeof l.bridge === 'string' && bridgeNames.has(l.bridge),
        `host ${h.name}: link to unknown bridge ${JSON.stringify(l.bridge)}`,
      );
      const name = claim(h.name, l.name);
      const port = l.port ?? `${h.name}-${name}`;
      if (l.port === undefined && Buffer.byteLength(port) > 15) {
        throw new NetlabError(
          NetlabErrorCode.NAME_TOO_LONG,
          `host ${h.name} interface ${name}: the default bridge port name '${port}' exceeds 15 bytes; set link.port`,
        );
      }
      checkIfname(port, `bridge ${l.bridge} port name`);
      const used = ports.get(l.bridge)!;
      check(!used.has(port), `bridge ${l.bridge} has two ports named ${port}`);
      used.add(port);
      const mac = l.mac === undefined ? undefined : checkMac(l.mac, `host ${h.name} ${name} mac`);
      checkMtu(l.mtu, `host ${h.name} ${name}`);
      const list = addresses(l.address, `host ${h.name} ${name} address`);
      interfaces.push({
        host: h.name,
        name,
        kind: 'bridge-link',
        bridge: l.bridge,
        port,
        ...(mac === undefined ? {} : { mac }),
        addresses: list,
      });
      // Created inside the host namespace with its peer placed straight into the bridge's:
      // neither end ever exists in the root namespace.
      create.push({
        argv: [
          'ip',
          '-n',
          ns(h.name),
          'link',
          'add',
          name,
          ...macArgs(mac),
          ...mtuArgs(l.mtu),
          'type',
          'veth',
          'peer',
          'name',
          port,
          ...mtuArgs(l.mtu),
          'netns',
          ns(l.bridge),
        ],
      });
      create.push({ argv: ['ip', '-n', ns(l.bridge), 'link', 'set', 'dev', port, 'master', l.bridge, 'up'] });
      addAddresses(h.name, name, list);
      if (l.up !== false) up.push({ argv: ['ip', '-n', ns(h.name), 'link', 'set', 'dev', name, 'up'] });
    }
  }

  for (const v of veths) {
    check(
      typeof v === 'object' && v !== null && v.a !== undefined && v.b !== undefined,
      'a veth needs ends a and b',
    );
    for (const end of [v.a, v.b]) {
      check(hostSpec.has(end.host), `veth end on unknown host ${JSON.stringify(end.host)}`);
    }
    checkMtu(v.mtu, `veth ${v.a.host}-${v.b.host}`);
    const an = claim(v.a.host, v.a.name);
    const bn = claim(v.b.host, v.b.name);
    const am = v.a.mac === undefined ? undefined : checkMac(v.a.mac, `host ${v.a.host} ${an} mac`);
    const bm = v.b.mac === undefined ? undefined : checkMac(v.b.mac, `host ${v.b.host} ${bn} mac`);
    const al = addresses(v.a.address, `host ${v.a.host} ${an} address`);
    const bl = addresses(v.b.address, `host ${v.b.host} ${bn} address`);
    interfaces.push({
      host: v.a.host,
      name: an,
      kind: 'veth',
      peer: { host: v.b.host, name: bn },
      ...(am === undefined ? {} : { mac: am }),
      addresses: al,
    });
    interfaces.push({
      host: v.b.host,
      name: bn,
      kind: 'veth',
      peer: { host: v.a.host, name: an },
      ...(bm === undefined ? {} : { mac: bm }),
      addresses: bl,
    });
    create.push({
      argv: [
        'ip',
        '-n',
        ns(v.a.host),
        'link',
        'add',
        an,
        ...macArgs(am),
        ...mtuArgs(v.mtu),
        'type',
        'veth',
        'peer',
        'name',
        bn,
        ...macArgs(bm),
        ...mtuArgs(v.mtu),
        'netns',
        ns(v.b.host),
      ],
    });
    addAddresses(v.a.host, an, al);
    addAddresses(v.b.host, bn, bl);
    if (v.a.up !== false) up.push({ argv: ['ip', '-n', ns(v.a.host), 'link', 'set', 'dev', an, 'up'] });
    if (v.b.up !== false) up.push({ argv: ['ip', '-n', ns(v.b.host), 'link', 'set', 'dev', bn, 'up'] });
  }

  const steps: PlanStep[] = [];
  for (const n of nodes) steps.push({ argv: ['ip', 'netns', 'add', n.namespace], creates: n.namespace });
  for (const n of nodes) steps.push({ argv: ['ip', '-n', n.namespace, 'link', 'set', 'dev', 'lo', 'up'] });

  const sysctl = (node: string, args: readonly string[]): PlanStep => ({
    argv: ['ip', 'netns', 'exec', ns(node), 'sysctl', '-q', '-w', ...args],
  });
  const late: PlanStep[] = [];
  // A bridge namespace is pure layer 2: without IPv6 its bridge device sends no RS/MLD onto the segment.
  for (const b of bridges) {
    steps.push(sysctl(b.name, ['net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']));
  }
  for (const h of spec.hosts) {
    const early: string[] = [];
    const rest: string[] = [];
    if (h.ipv6 === false)
      early.push('net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
    const sysctls: Readonly<Record<string, string | number>> = h.sysctls ?? {};
    for (const [key, value] of Object.entries(sysctls)) {
      (isEarlySysctl(key) ? early : rest).push(sysctlArgument(key, value));
    }
    if (early.length > 0) steps.push(sysctl(h.name, early));
    if (rest.length > 0) late.push(sysctl(h.name, rest));
  }
  for (const b of bridges) {
    const opts: string[] = [];
    // ip takes ageing_time in centiseconds (USER_HZ), as the kernel reports it.
    if (b.ageingTimeSeconds !== undefined) opts.push('ageing_time', String(b.ageingTimeSeconds * 100));
    if (b.vlanFiltering === true) opts.push('vlan_filtering', '1');
    steps.push({ argv: ['ip', '-n', ns(b.name), 'link', 'add', b.name, 'type', 'bridge', ...opts] });
    steps.push({ argv: ['ip', '-n', ns(b.name), 'link', 'set', 'dev', b.name, 'up'] });
  }
  steps.push(...create, ...address, ...late, ...up);

  for (const h of spec.hosts) {
    for (const r of h.routes ?? []) {
      check(typeof r.to === 'string', `host ${h.name}: route.to must be a string`);
      let family: 4 | 6 | undefined;
      if (r.to !== 'default')
        family = r.to.includes('/') ? checkCidr(r.to, 'route.to') : checkIp(r.to, 'route.to');
      const args: string[] = [];
      if (r.via !== undefined) {
        const f = checkIp(r.via, `host ${h.name} route via`);
        check(
          family === undefined || family === f,
          `host ${h.name}: route to ${r.to} via ${r.via} mixes families`,
        );
        family = f;
        args.push('via', r.via);
      }
      if (r.dev !== undefined) {
        check(
          ifnames.get(h.name)!.has(r.dev),
          `host ${h.name}: route dev ${JSON.stringify(r.dev)} is not one of its interfaces`,
        );
        args.push('dev', r.dev);
      }
      if (r.src !== undefined) {
        checkIp(r.src, `host ${h.name} route src`);
        args.push('src', r.src);
      }
      if (r.metric !== undefined) {
        check(
          Number.isInteger(r.metric) && r.metric >= 0 && r.metric <= 0xffffffff,
          'route metric must be a u32',
        );
        args.push('metric', String(r.metric));
      }
      check(r.via !== undefined || r.dev !== undefined, `host ${h.name}: route to ${r.to} needs via or dev`);
      steps.push({ argv: ['ip', '-n', ns(h.name), `-${family ?? 4}`, 'route', 'add', r.to, ...args] });
    }
  }
  return { prefix, nodes, interfaces, steps };
}
