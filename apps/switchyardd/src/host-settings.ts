/**
 * The kernel settings a flood-cluster node needs (DESIGN.md, FIELD-NOTES.md "Host settings
 * each node needs"), applied with their previous values recorded so they are restored on
 * exit. A setting that cannot be made refuses the start with its name and why it matters,
 * after undoing the ones already made.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One sysctl, as a path under /proc/sys, the value wanted, and why. */
export interface HostSetting {
  /** e.g. `net/ipv4/conf/eth0/arp_ignore` */
  readonly key: string;
  readonly value: string;
  readonly why: string;
  /**
   * When set, the current value is kept if it is one of these (for example rp_filter
   * 0 and 2 both work; only 1 must change).
   */
  readonly acceptable?: readonly string[];
}

/** A setting that could not be read or written; the daemon refuses to start. */
export class HostSetupError extends Error {
  override readonly name = 'HostSetupError';
  readonly setting: HostSetting;

  constructor(setting: HostSetting, cause: Error) {
    super(
      `cannot set ${setting.key.replaceAll('/', '.')} = ${setting.value} (${setting.why}): ${cause.message}`,
      {
        cause,
      },
    );
    this.setting = setting;
  }
}

/** The settings for a node on `iface` with its TAP `tap`. */
export function planHostSettings(options: { iface: string; tap: string; ipv6Vips: boolean }): HostSetting[] {
  const { iface, tap } = options;
  const settings: HostSetting[] = [
    {
      key: `net/ipv4/conf/${iface}/arp_ignore`,
      value: '1',
      acceptable: ['1', '2'],
      why: 'otherwise the kernel answers ARP for the VIP with the real MAC before the daemon does',
    },
    {
      key: `net/ipv4/conf/${iface}/arp_announce`,
      value: '2',
      why: 'otherwise the kernel asks "who-has client tell VIP" and clients learn a real MAC for the VIP',
    },
    {
      // The kernel uses the larger of conf.all and conf.<dev>: both must be 0 or 2.
      key: 'net/ipv4/conf/all/rp_filter',
      value: '2',
      acceptable: ['0', '2'],
      why: 'strict reverse-path filtering drops the SYNs the daemon writes into the TAP',
    },
    {
      key: `net/ipv4/conf/${tap}/rp_filter`,
      value: '2',
      acceptable: ['0', '2'],
      why: 'strict reverse-path filtering drops the SYNs the daemon writes into the TAP',
    },
  ];
  if (!options.ipv6Vips) {
    settings.push({
      key: `net/ipv6/conf/${tap}/disable_ipv6`,
      value: '1',
      why: 'otherwise the kernel writes router solicitations and multicast reports into the TAP',
    });
  }
  return settings;
}

/** What `applyHostSettings` changed, and how to put it back. */
export interface AppliedSettings {
  /** The settings changed, with the value each had before. */
  readonly changed: readonly { readonly setting: HostSetting; readonly previous: string }[];
  /** Writes every previous value back, last change first; returns the errors it met (it never throws). */
  restore(): Error[];
}

/**
 * Applies `settings` under `root` (default `/proc/sys`, of the caller's network namespace).
 * On the first failure it restores what it changed and throws a `HostSetupError`.
 */
export function applyHostSettings(settings: readonly HostSetting[], root = '/proc/sys'): AppliedSettings {
  const changed: { setting: HostSetting; previous: string }[] = [];
  const restore = (): Error[] => {
    const errors = writeBack(
      changed.map(({ setting, previous }) => ({ key: setting.key, previous, why: setting.why })),
      root,
    );
    changed.length = 0;
    return errors;
  };
  for (const setting of settings) {
    try {
      const previous = readFileSync(join(root, setting.key), 'utf8').trim();
      if (previous === setting.value || setting.acceptable?.includes(previous)) continue;
      writeFileSync(join(root, setting.key), setting.value);
      changed.push({ setting, previous });
    } catch (error) {
      restore();
      throw new HostSetupError(setting, error as Error);
    }
  }
  return { changed, restore };
}

/** Writes each `previous` value back under `root`, last first; returns the errors (never throws). */
function writeBack(
  records: readonly { readonly key: string; readonly previous: string; readonly why: string }[],
  root: string,
): Error[] {
  const errors: Error[] = [];
  for (const { key, previous, why } of [...records].reverse()) {
    try {
      writeFileSync(join(root, key), previous);
    } catch (error) {
      errors.push(new HostSetupError({ key, value: previous, why }, error as Error));
    }
  }
  return errors;
}

/** A setting's value before the daemon first changed it. */
export interface RecordedSetting {
  readonly key: string;
  readonly previous: string;
}

/**
 * Where the original values live between runs. A daemon killed with -9 leaves its settings
 * (and its persistent TAP) in place so a restart breaks no connection; the restarted daemon
 * finds the settings already made, so only this file still knows what to put back at the
 * final, graceful stop.
 */
export class HostStateFile {
  constructor(readonly path: string) {}

  /** The recorded originals, or none when the file is missing or unreadable. */
  read(): RecordedSetting[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return [];
    }
    try {
      const parsed = JSON.parse(text) as { settings?: unknown };
      if (!Array.isArray(parsed.settings)) return [];
      return parsed.settings.filter(
        (s): s is RecordedSetting =>
          typeof s === 'object' &&
          s !== null &&
          typeof (s as RecordedSetting).key === 'string' &&
          typeof (s as RecordedSetting).previous === 'string' &&
          // Only sysctl paths below net/ are ever recorded: a tampered file cannot aim elsewhere.
          /^net\/[A-Za-z0-9_./-]+$/.test((s as RecordedSetting).key) &&
          !(s as RecordedSetting).key.includes('..'),
      );
    } catch {
      return [];
    }
  }

  /** Records `applied`'s originals on top of those already recorded (the older ones win). */
  merge(applied: AppliedSettings): RecordedSetting[] {
    const recorded = this.read();
    const keys = new Set(recorded.map((r) => r.key));
    for (const { setting, previous } of applied.changed) {
      if (!keys.has(setting.key)) recorded.push({ key: setting.key, previous });
    }
    writeFileSync(this.path, `${JSON.stringify({ settings: recorded }, null, 2)}\n`, { mode: 0o600 });
    return recorded;
  }

  /** Writes every recorded original back (last first) and removes the file; returns the errors. */
  restore(root = '/proc/sys'): Error[] {
    const errors = writeBack(
      this.read().map((r) => ({ ...r, why: 'restoring the original value' })),
      root,
    );
    rmSync(this.path, { force: true });
    return errors;
  }
}
