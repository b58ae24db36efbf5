/**
 * The daemon's configuration: a TypeBox schema (published as JSON Schema), loaded from
 * YAML or JSON, checked field by field, and resolved into typed values (addresses parsed,
 * defaults filled, secrets read). A bad file is refused with every offending field's path
 * and what was expected there.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { FormatRegistry, type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { NonSynMode, OwnershipPolicy } from '@switchyard/dataplane';
import { AUTH_KEY_MIN_LENGTH, type AuthKey, Ipv4Address, Ipv6Address, MacAddress } from '@switchyard/wire';
import { parse as parseYaml, YAMLParseError } from 'yaml';

const parses = (parse: (text: string) => unknown) => (text: string) => {
  try {
    parse(text);
    return true;
  } catch {
    return false;
  }
};
FormatRegistry.Set('ipv4', parses(Ipv4Address.parse));
FormatRegistry.Set('ip', (text) => parses(Ipv4Address.parse)(text) || parses(Ipv6Address.parse)(text));
FormatRegistry.Set('mac', parses(MacAddress.parse));
// IFNAMSIZ is 16 with the terminating NUL; '/' and whitespace are refused by the kernel.
FormatRegistry.Set('ifname', (text) => /^[A-Za-z0-9_.:-]{1,15}$/.test(text) && text !== '.' && text !== '..');

const Milliseconds = (description: string, defaultValue: number, minimum = 1) =>
  Type.Integer({ minimum, maximum: 3_600_000, default: defaultValue, description });

/** A union of the string literals `values` (the data plane's own names, so the two cannot drift). */
const OneOf = <T extends string>(values: readonly T[], options: { description: string }) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  );

export const Policy = OneOf(Object.values(OwnershipPolicy), {
  description: 'Who owns a new flow: one elected node, a claimed modulo formula, or weighted rendezvous.',
});

export const ConfigSchema = Type.Object(
  {
    interface: Type.String({ format: 'ifname', description: 'The real interface on the cluster segment.' }),
    node: Type.Object(
      {
        id: Type.Integer({
          minimum: 1,
          maximum: 0xffffffff,
          description: 'Unique in the cluster; breaks ties.',
        }),
        address: Type.Optional(
          Type.String({
            format: 'ipv4',
            description: "The node's real IPv4; default: read from the interface.",
          }),
        ),
        mac: Type.Optional(
          Type.String({ format: 'mac', description: "The real MAC; default: the interface's." }),
        ),
      },
      { additionalProperties: false },
    ),
    cluster: Type.Object(
      {
        id: Type.Integer({
          minimum: 1,
          maximum: 0xffff,
          description: 'Names the cluster; derives the vMAC.',
        }),
        keys: Type.Array(
          Type.Object(
            {
              id: Type.Integer({ minimum: 1, maximum: 0xffff }),
              secret: Type.Optional(
                Type.String({
                  pattern: '^([0-9a-fA-F]{2})+$',
                  minLength: 2 * AUTH_KEY_MIN_LENGTH,
                  description: 'Hex; or use secretFile.',
                }),
              ),
              secretFile: Type.Optional(
                Type.String({
                  minLength: 1,
                  description: 'A file holding the hex secret (relative: to the config).',
                }),
              ),
            },
            { additionalProperties: false },
          ),
          { minItems: 1, maxItems: 2, description: 'Two keys are valid during a rotation.' },
        ),
        sendKeyId: Type.Optional(Type.Integer({ minimum: 1, maximum: 0xffff })),
        flowHashKey: Type.Optional(
          Type.String({
            pattern: '^[0-9a-fA-F]{32}$',
            description:
              'The 16-byte flow-hash key in hex, the same on every node; default derived from the first key. Set it when rotating keys with rendezvous or stateless VIPs.',
          }),
        ),
      },
      { additionalProperties: false },
    ),
    vips: Type.Array(
      Type.Object(
        {
          address: Type.String({ format: 'ip' }),
          mac: Type.Optional(
            Type.String({
              format: 'mac',
              description: 'The virtual MAC; default derived from the cluster id.',
            }),
          ),
          policy: Type.Optional(Policy),
          nonSyn: Type.Optional(
            OneOf(Object.values(NonSynMode), {
              description:
                'sticky: deliver what this node established; stateless: what the policy says it owns.',
            }),
          ),
          ports: Type.Optional(
            Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), {
              uniqueItems: true,
              description: 'TCP/UDP ports served; empty or absent: all.',
            }),
          ),
          priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 255, description: 'Higher wins.' })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 1024 },
    ),
    heartbeat: Type.Object(
      {
        intervalMs: Milliseconds('Heartbeat interval.', 50),
        deadAfter: Type.Integer({ minimum: 2, maximum: 100, default: 3, description: 'Missed heartbeats.' }),
        holdMs: Milliseconds('Minimum time in a role, against flapping.', 1000, 0),
        reevaluateMs: Milliseconds('How often the best node is re-decided.', 5000),
        preempt: Type.Boolean({ default: true }),
      },
      { additionalProperties: false, default: {} },
    ),
    metric: Type.Union(
      [
        Type.Object(
          {
            kind: Type.Literal('priority'),
            priority: Type.Integer({ minimum: 0, maximum: 255, default: 100 }),
          },
          { additionalProperties: false },
        ),
        Type.Object(
          {
            kind: Type.Literal('load'),
            source: Type.Union([Type.Literal('loadavg'), Type.Literal('connections')], {
              default: 'connections',
            }),
          },
          { additionalProperties: false },
        ),
      ],
      { default: { kind: 'priority', priority: 100 } },
    ),
    tap: Type.Object(
      { name: Type.String({ format: 'ifname', default: 'sy0' }) },
      { additionalProperties: false, default: {} },
    ),
    flows: Type.Object(
      {
        max: Type.Integer({ minimum: 1, maximum: 4_194_304, default: 1_048_576 }),
        idleTimeoutS: Type.Integer({ minimum: 1, maximum: 86_400, default: 300 }),
      },
      { additionalProperties: false, default: {} },
    ),
    shutdown: Type.Object(
      {
        drainTimeoutS: Type.Integer({
          minimum: 0,
          maximum: 86_400,
          default: 30,
          description:
            'On SIGTERM, after handing the VIPs over, keep serving held connections this long at most (a second SIGTERM ends it).',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    admin: Type.Object(
      {
        socket: Type.String({ minLength: 1, default: '/run/switchyard/admin.sock' }),
        http: Type.Optional(
          Type.String({ pattern: '^[^\\s]+:[0-9]{1,5}$', description: 'host:port for /metrics.' }),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    log: Type.Object(
      {
        level: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'trace'].map((l) => Type.Literal(l)),
          { default: 'info' },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, $id: 'https://switchyard.dev/schema/switchyardd.config.json' },
);

export type RawConfig = Static<typeof ConfigSchema>;

export interface VipConfig {
  readonly family: 4 | 6;
  /** u32 for IPv4, bigint for IPv6. */
  readonly address: Ipv4Address | Ipv6Address;
  readonly text: string;
  readonly mac: MacAddress;
  readonly policy: OwnershipPolicy;
  readonly nonSyn: NonSynMode;
  /** Empty: every port. */
  readonly ports: readonly number[];
  readonly priority: number | undefined;
}

export interface Config extends Omit<RawConfig, 'node' | 'cluster' | 'vips'> {
  readonly node: { readonly id: number; readonly address?: Ipv4Address; readonly mac?: MacAddress };
  readonly cluster: {
    readonly id: number;
    readonly keys: readonly AuthKey[];
    readonly sendKeyId: number;
    /** 16 bytes. */
    readonly flowHashKey: Uint8Array;
  };
  readonly vips: readonly VipConfig[];
}

/** One offending field: a JSON pointer and what was expected there. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** A configuration that was refused; `issues` names every offending field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly source: string;
  readonly issues: readonly ConfigIssue[];

  constructor(source: string, issues: readonly ConfigIssue[]) {
    super(
      `${source}: invalid configuration\n${issues.map((i) => `  ${i.path || '/'}: ${i.message}`).join('\n')}`,
    );
    this.source = source;
    this.issues = issues;
  }
}

/** The virtual MAC derived from a cluster id: locally administered unicast 02:53:59:00:hi:lo ("SY"). */
export function derivedVirtualMac(clusterId: number): MacAddress {
  return 0x02_53_59_00_00_00 + clusterId;
}

/** Reads, validates and resolves a configuration file (`.yaml`/`.yml` or `.json`). */
export function loadConfig(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [{ path: '', message: `cannot read: ${(error as Error).message}` }]);
  }
  return parseConfig(text, { source: path, format: extname(path) === '.json' ? 'json' : 'yaml' });
}

/** Validates and resolves configuration text; relative `secretFile`s resolve against `baseDir`. */
export function parseConfig(
  text: string,
  options: { source?: string; format?: 'yaml' | 'json'; baseDir?: string } = {},
): Config {
  const source = options.source ?? '<config>';
  let document: unknown;
  try {
    document =
      options.format === 'json' ? JSON.parse(text) : parseYaml(text, { strict: true, uniqueKeys: true });
  } catch (error) {
    const where = error instanceof YAMLParseError ? ` at line ${error.linePos?.[0]?.line ?? '?'}` : '';
    const detail = (error as Error).message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    const language = options.format === 'json' ? 'JSON' : 'YAML';
    throw new ConfigError(source, [{ path: '', message: `not valid ${language}${where}: ${detail}` }]);
  }
  const withDefaults = Value.Default(ConfigSchema, structuredClone(document ?? {}));
  const issues: ConfigIssue[] = [];
  for (const error of Value.Errors(ConfigSchema, withDefaults)) {
    // A union reports each branch; keep the first message per path.
    if (issues.some((i) => i.path === error.path)) continue;
    issues.push({ path: error.path, message: describe(error.schema, error.message) });
  }
  if (issues.length > 0) throw new ConfigError(source, issues);
  const raw = withDefaults as RawConfig;
  const baseDir = options.baseDir ?? (options.source ? dirname(resolve(options.source)) : process.cwd());
  return resolveConfig(raw, source, baseDir);
}

function describe(schema: { readonly [key: string]: unknown }, message: string): string {
  switch (schema['format']) {
    case 'ipv4':
      return 'expected an IPv4 address such as 10.0.0.1';
    case 'ip':
      return 'expected an IPv4 or IPv6 address';
    case 'mac':
      return 'expected a MAC address such as 02:00:00:00:00:01';
    case 'ifname':
      return 'expected an interface name of 1 to 15 characters';
    default:
      return message.toLowerCase();
  }
}

function resolveConfig(raw: RawConfig, source: string, baseDir: string): Config {
  const issues: ConfigIssue[] = [];
  const keys: AuthKey[] = [];
  raw.cluster.keys.forEach((key, i) => {
    const at = `/cluster/keys/${i}`;
    if ((key.secret === undefined) === (key.secretFile === undefined)) {
      issues.push({ path: at, message: 'expected exactly one of secret or secretFile' });
      return;
    }
    if (keys.some((k) => k.id === key.id))
      issues.push({ path: `${at}/id`, message: `duplicate key id ${key.id}` });
    let hex = key.secret;
    if (key.secretFile !== undefined) {
      try {
        hex = readFileSync(resolve(baseDir, key.secretFile), 'utf8').trim();
      } catch (error) {
        issues.push({ path: `${at}/secretFile`, message: `cannot read: ${(error as Error).message}` });
        return;
      }
      if (!/^([0-9a-fA-F]{2})+$/.test(hex) || hex.length < 2 * AUTH_KEY_MIN_LENGTH) {
        issues.push({
          path: `${at}/secretFile`,
          message: `expected at least ${AUTH_KEY_MIN_LENGTH} bytes in hex`,
        });
        return;
      }
    }
    keys.push({ id: key.id, secret: Uint8Array.from(Buffer.from(hex!, 'hex')) });
  });
  const sendKeyId = raw.cluster.sendKeyId ?? raw.cluster.keys[0]!.id;
  if (!raw.cluster.keys.some((k) => k.id === sendKeyId)) {
    issues.push({ path: '/cluster/sendKeyId', message: `no key with id ${sendKeyId}` });
  }

  const seen = new Map<string, number>();
  const vips = raw.vips.map((vip, i): VipConfig => {
    const v6 = vip.address.includes(':');
    const address = v6 ? Ipv6Address.parse(vip.address) : Ipv4Address.parse(vip.address);
    const canonical = v6 ? Ipv6Address.format(address as bigint) : Ipv4Address.format(address as number);
    const first = seen.get(canonical);
    if (first !== undefined)
      issues.push({ path: `/vips/${i}/address`, message: `duplicate of /vips/${first}` });
    seen.set(canonical, i);
    const mac = vip.mac === undefined ? derivedVirtualMac(raw.cluster.id) : MacAddress.parse(vip.mac);
    // DESIGN.md A: the vMAC is unicast (a multicast vMAC is a later option) and never a node's real MAC.
    if (MacAddress.isMulticast(mac))
      issues.push({ path: `/vips/${i}/mac`, message: 'expected a unicast MAC' });
    if (raw.node.mac !== undefined && mac === MacAddress.parse(raw.node.mac)) {
      issues.push({ path: `/vips/${i}/mac`, message: "must differ from the node's real MAC" });
    }
    return {
      family: v6 ? 6 : 4,
      address,
      text: canonical,
      mac,
      policy: vip.policy ?? OwnershipPolicy.ACTIVE_PASSIVE,
      nonSyn: vip.nonSyn ?? NonSynMode.STICKY,
      ports: vip.ports ?? [],
      priority: vip.priority,
    };
  });
  if (raw.tap.name === raw.interface) {
    issues.push({ path: '/tap/name', message: 'must differ from /interface' });
  }
  if (issues.length > 0) throw new ConfigError(source, issues);

  const node: { id: number; address?: Ipv4Address; mac?: MacAddress } = { id: raw.node.id };
  if (raw.node.address !== undefined) node.address = Ipv4Address.parse(raw.node.address);
  if (raw.node.mac !== undefined) node.mac = MacAddress.parse(raw.node.mac);
  const flowHashKey =
    raw.cluster.flowHashKey !== undefined
      ? Uint8Array.from(Buffer.from(raw.cluster.flowHashKey, 'hex'))
      : derivedFlowHashKey(keys[0]!.secret);
  return { ...raw, node, cluster: { id: raw.cluster.id, keys, sendKeyId, flowHashKey }, vips };
}

/**
 * The flow-hash key when none is configured: HMAC-SHA256(first cluster key, label), cut to
 * 16 bytes. Secret like the key (so nobody outside can aim flows at one table slot) and the
 * same on every node.
 */
export function derivedFlowHashKey(secret: Uint8Array): Uint8Array {
  return Uint8Array.from(
    createHmac('sha256', secret).update('switchyard flow hash v1').digest().subarray(0, 16),
  );
}

/** The configuration schema as JSON Schema (draft 2020-12 compatible), for editors and other tools. */
export function configJsonSchema(): Record<string, unknown> {
  return JSON.parse(JSON.stringify(ConfigSchema)) as Record<string, unknown>;
}
