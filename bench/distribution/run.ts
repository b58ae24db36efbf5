/**
 * BENCHMARKS.md #5, distribution and disruption:
 *
 *   pnpm bench:distribution        (pnpm --filter @switchyard/bench run distribution)
 *
 * In process and deterministic (every flow set and the hash key come from fixed seeds): for
 * each ownership policy and flow set, the max/mean load over N members, the share of flows
 * remapped when a member joins and when one leaves, and the share of flows whose primary or
 * backup still serves them after one balancer is lost. Writes results/distribution.json and
 * results/distribution.md and prints the tables. Timings (ns per pick) are printed for
 * orientation and never asserted.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { FlowHasher, type FlowKey, type Member } from '@switchyard/flowhash';
import { median } from '../codec/measure.js';
import { machine, repoRoot, source, writeResults } from '../common/results.js';
import {
  cgnatFlows,
  type FlowSet,
  flowsInPcap,
  labStandInFlows,
  randomFlows,
  rng,
  stridedFlows,
} from './flows.js';
import { type Contender, flowhashContenders, hrwContenders, type Placement } from './policies.js';

const SEED = 0x5e1f_a11e;
const FLOWS = 100_000;
/** Members in the main table (balancers or nodes, ids 1..N). */
const N = 8;
/** Member counts for the sensitivity table (additive formulas depend on N's factors). */
const SENSITIVITY_N = [5, 7, 8, 16];
const TIMING_ROUNDS = 5;

const ids = (n: number): Member[] => Array.from({ length: n }, (_, i) => ({ id: i + 1 }));

function owners(p: Placement, flows: readonly FlowKey[]): Uint32Array {
  const out = new Uint32Array(flows.length);
  for (let i = 0; i < flows.length; i++) out[i] = p.primary(flows[i]!);
  return out;
}

function share(count: number, total: number): number {
  return count / total;
}

interface Row {
  n: number;
  flowSet: string;
  contender: string;
  /** Flows on the busiest member / (flows / N). */
  maxOverMean: number;
  minOverMean: number;
  /** Share of flows whose primary changes when member N + 1 joins; ideal 1/(N + 1). */
  joinRemapped: number;
  /** Share of flows whose primary changes when one member leaves, mean and max over which member. */
  leaveRemappedMean: number;
  leaveRemappedMax: number;
  /** What must move on a leave: the leaver's own flows (mean over leavers = 1/N). */
  leaveMinimumMean: number;
  /**
   * After losing one balancer and recomputing owners without it, share of flows whose new
   * primary is their old primary or old backup (so it holds their state); mean and min over
   * which balancer is lost.
   */
  survivalMean: number;
  survivalMin: number;
  /** Rendezvous only: share of flows whose natural backup equals the primary without the old primary. */
  backupIsNextPrimary?: number;
}

/** Placements depend on the membership only (tables are built once and reused across flow sets). */
const placements = new Map<string, Placement>();
function place(c: Contender, members: readonly Member[]): Placement {
  const key = `${c.id}:${members.map((m) => m.id).join(',')}`;
  let p = placements.get(key);
  if (p === undefined) {
    p = c.place(members);
    placements.set(key, p);
  }
  return p;
}

function evaluate(c: Contender, set: FlowSet, n: number, full = true): Row {
  const flows = set.flows;
  const total = flows.length;
  const members = ids(n);
  const base = place(c, members);
  const p = owners(base, flows);
  const counts = new Map<number, number>(members.map((m) => [m.id, 0]));
  for (const o of p) counts.set(o, (counts.get(o) ?? 0) + 1);
  const mean = total / n;
  const row: Row = {
    n,
    flowSet: set.id,
    contender: c.id,
    maxOverMean: Math.max(...counts.values()) / mean,
    minOverMean: Math.min(...counts.values()) / mean,
    joinRemapped: Number.NaN,
    leaveRemappedMean: Number.NaN,
    leaveRemappedMax: Number.NaN,
    leaveMinimumMean: Number.NaN,
    survivalMean: Number.NaN,
    survivalMin: Number.NaN,
  };
  if (!full) return row;

  const joined = owners(place(c, [...members, { id: n + 1 }]), flows);
  let moved = 0;
  for (let i = 0; i < total; i++) if (joined[i] !== p[i]) moved++;
  row.joinRemapped = share(moved, total);

  // Owners without each member x: the "leave" column, the backup (without the primary) and survival.
  const without = new Map<number, Uint32Array>();
  for (const m of members)
    without.set(
      m.id,
      owners(
        place(
          c,
          members.filter((x) => x.id !== m.id),
        ),
        flows,
      ),
    );

  const backup = new Uint32Array(total);
  let agree = 0;
  if (base.backup !== undefined) {
    for (let i = 0; i < total; i++) {
      backup[i] = base.backup(flows[i]!);
      if (backup[i] === without.get(p[i]!)![i]) agree++;
    }
    row.backupIsNextPrimary = share(agree, total);
  } else {
    for (let i = 0; i < total; i++) backup[i] = without.get(p[i]!)![i]!;
  }

  const leave: number[] = [];
  const minimum: number[] = [];
  const survival: number[] = [];
  for (const m of members) {
    const after = without.get(m.id)!;
    let changed = 0;
    let own = 0;
    let kept = 0;
    for (let i = 0; i < total; i++) {
      if (after[i] !== p[i]) changed++;
      if (p[i] === m.id) own++;
      if (after[i] === p[i] || after[i] === backup[i]) kept++;
    }
    leave.push(share(changed, total));
    minimum.push(share(own, total));
    survival.push(share(kept, total));
  }
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  row.leaveRemappedMean = avg(leave);
  row.leaveRemappedMax = Math.max(...leave);
  row.leaveMinimumMean = avg(minimum);
  row.survivalMean = avg(survival);
  row.survivalMin = Math.min(...survival);
  return row;
}

/** ns per primary pick (hash included) over one flow set, median of rounds; orientation only. */
function timePicks(c: Contender, flows: readonly FlowKey[], n: number): number[] {
  const p = place(c, ids(n));
  let sink = 0;
  for (let i = 0; i < flows.length; i++) sink ^= p.primary(flows[i]!); // warm-up
  const rounds: number[] = [];
  for (let r = 0; r < TIMING_ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < flows.length; i++) sink ^= p.primary(flows[i]!);
    rounds.push(Number(process.hrtime.bigint() - t0) / flows.length);
  }
  if (sink === -1) console.log(sink);
  return rounds;
}

const pct = (x: number, digits = 1) => (Number.isFinite(x) ? `${(100 * x).toFixed(digits)} %` : 'n/a');
const fix = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

async function main(): Promise<number> {
  const startedAt = new Date();
  const loadBefore = os.loadavg();

  // The cluster key: 16 bytes from the seed (a deployment reads its own from config).
  const keyRng = rng(SEED ^ 0x6b6579);
  const key = Uint8Array.from({ length: 16 }, () => Math.floor(keyRng() * 256));
  const hasher = new FlowHasher({ key });

  const contenders = flowhashContenders(hasher);
  const hrw = await hrwContenders(hasher);
  contenders.push(...hrw.contenders);
  const notRun = hrw.notRun;
  const hrwApi = hrw.api;

  const sets: FlowSet[] = [
    randomFlows(FLOWS, SEED + 1),
    stridedFlows(FLOWS, SEED + 2),
    cgnatFlows(FLOWS, SEED + 3),
    labStandInFlows(FLOWS, SEED + 4),
  ];
  const samplePath = join(repoRoot, 'packages', 'wire', 'examples', 'sample.pcap');
  const sample = flowsInPcap(readFileSync(samplePath));
  const pcapNote = `packages/wire/examples/sample.pcap holds ${sample.frames} frames and ${sample.flows.length} TCP/UDP flows (${sample.flows.join('; ')}): too few to measure a distribution, so the "lab" set is a generated stand-in, not a capture`;

  const rows: Row[] = [];
  for (const set of sets) {
    for (const c of contenders) rows.push(evaluate(c, set, N));
  }
  const sensitivity: Row[] = [];
  for (const set of sets.filter((s) => s.id === 'strided24' || s.id === 'cgnat')) {
    for (const n of SENSITIVITY_N) for (const c of contenders) sensitivity.push(evaluate(c, set, n, false));
  }
  const timing = contenders.map((c) => {
    const rounds = timePicks(c, sets[0]!.flows, N);
    return {
      contender: c.id,
      roundsNsPerPick: rounds.map((x) => Number(x.toFixed(1))),
      medianNsPerPick: median(rounds),
    };
  });

  // --- what the numbers say: which contenders meet every bar on every flow set -----------
  const bars = {
    maxOverMean: 1.1,
    joinExcess: 0.02,
    leaveExcess: 0.02,
    survival: 0.99,
  };
  const verdicts = contenders.map((c) => {
    const mine = rows.filter((r) => r.contender === c.id);
    const worst = {
      maxOverMean: Math.max(...mine.map((r) => r.maxOverMean)),
      joinExcess: Math.max(...mine.map((r) => r.joinRemapped - 1 / (N + 1))),
      leaveExcess: Math.max(...mine.map((r) => r.leaveRemappedMean - r.leaveMinimumMean)),
      survival: Math.min(...mine.map((r) => r.survivalMean)),
    };
    const pass = {
      even: worst.maxOverMean <= bars.maxOverMean,
      join: worst.joinExcess <= bars.joinExcess,
      leave: worst.leaveExcess <= bars.leaveExcess,
      survival: worst.survival >= bars.survival,
    };
    return { contender: c.id, worst, pass, all: pass.even && pass.join && pass.leave && pass.survival };
  });

  const result = {
    benchmark: 'distribution',
    description:
      'BENCHMARKS.md #5: load balance and disruption of ownership policies over seeded flow sets (in process, deterministic)',
    command: 'pnpm bench:distribution',
    date: startedAt.toISOString(),
    durationSeconds: 0,
    machine: machine(loadBefore),
    source: { ...source(['packages/flowhash/src', 'packages/hrw/src']), hrwApi },
    parameters: {
      seed: SEED,
      flowsPerSet: FLOWS,
      members: N,
      memberIds: `1..${N}; the joining member is ${N + 1}`,
      sensitivityMembers: SENSITIVITY_N,
      hashKey: `16 bytes from the seed: ${Buffer.from(key).toString('hex')}`,
    },
    definitions: {
      maxOverMean: 'flows of the busiest member divided by flows / N (1.00 is perfect)',
      joinRemapped: `share of flows whose primary changes when member ${N + 1} joins (minimum possible: 1/(N+1) = ${pct(1 / (N + 1))})`,
      leaveRemapped:
        'share of flows whose primary changes when one member leaves, averaged over which of the N members leaves (minimum possible: the leaver’s own flows, 1/N on average); the max over leavers is in the JSON',
      survival:
        'a balancer is lost and owners are recomputed without it: share of flows whose new primary is their old primary or old backup, i.e. a node that already holds their state; averaged over which of the N balancers is lost. Backup: rank 2 for rendezvous; for policies without a natural backup, the policy applied to the membership without the primary',
    },
    flowSets: sets.map((s) => ({
      id: s.id,
      label: s.label,
      description: s.description,
      flows: s.flows.length,
      clients: s.clients,
    })),
    pcap: {
      path: 'packages/wire/examples/sample.pcap',
      frames: sample.frames,
      flows: sample.flows,
      used: false,
      note: pcapNote,
    },
    contenders: contenders.map((c) => ({ id: c.id, label: c.label, backup: c.backup })),
    rows,
    sensitivity,
    timing,
    bars,
    verdicts,
    notRun,
  };
  result.durationSeconds = (Date.now() - startedAt.getTime()) / 1000;

  // --- Markdown ----------------------------------------------------------------------------
  const label = (id: string) => contenders.find((c) => c.id === id)?.id ?? id;
  const lines: string[] = [];
  lines.push('# Distribution and disruption (BENCHMARKS.md #5)');
  lines.push('');
  lines.push(
    `${result.date} · Node ${process.version} · ${result.machine.cpuModel} ×${result.machine.cpuCount} · load ${loadBefore.map((x) => x.toFixed(2)).join(' ')} · seed 0x${SEED.toString(16)} · ${FLOWS.toLocaleString('en-US')} flows per set · N = ${N} members (ids 1..${N}; ${N + 1} joins) · in process, deterministic`,
  );
  lines.push('');
  lines.push(
    `| flow set | policy | max/mean load | remapped on join (min ${pct(1 / (N + 1))}) | remapped on leave (min ≈ ${pct(1 / N)}) | primary or backup survives loss of one balancer |`,
  );
  lines.push('| --- | --- | ---: | ---: | ---: | ---: |');
  for (const s of sets) {
    for (const c of contenders) {
      const r = rows.find((x) => x.flowSet === s.id && x.contender === c.id)!;
      lines.push(
        `| ${s.label} | ${label(c.id)} | ${fix(r.maxOverMean)} | ${pct(r.joinRemapped)} | ${pct(r.leaveRemappedMean)} | ${pct(r.survivalMean, 2)} |`,
      );
    }
  }
  lines.push('');
  lines.push(
    `Bars (every flow set): max/mean ≤ ${bars.maxOverMean}; join and leave within ${pct(bars.joinExcess, 0)} of the minimum; survival ≥ ${pct(bars.survival, 0)}.`,
  );
  lines.push('');
  lines.push('| policy | even load | minimal join | minimal leave | survives one loss | all |');
  lines.push('| --- | :---: | :---: | :---: | :---: | :---: |');
  const mark = (b: boolean) => (b ? 'yes' : 'no');
  for (const v of verdicts) {
    lines.push(
      `| ${label(v.contender)} | ${mark(v.pass.even)} (${fix(v.worst.maxOverMean)}) | ${mark(v.pass.join)} (+${pct(v.worst.joinExcess)}) | ${mark(v.pass.leave)} (+${pct(v.worst.leaveExcess)}) | ${mark(v.pass.survival)} (${pct(v.worst.survival, 2)}) | ${v.all ? '**yes**' : 'no'} |`,
    );
  }
  lines.push('');
  lines.push('Max/mean load as N varies (the additive formulas depend on the factors of N):');
  lines.push('');
  const sens = sets.filter((s) => s.id === 'strided24' || s.id === 'cgnat');
  lines.push(
    `| policy | ${sens.flatMap((s) => SENSITIVITY_N.map((n) => `${s.label} N=${n}`)).join(' | ')} |`,
  );
  lines.push(`| --- | ${sens.flatMap(() => SENSITIVITY_N.map(() => '---:')).join(' | ')} |`);
  for (const c of contenders) {
    const cells = sens.flatMap((s) =>
      SENSITIVITY_N.map((n) =>
        fix(sensitivity.find((r) => r.flowSet === s.id && r.n === n && r.contender === c.id)!.maxOverMean),
      ),
    );
    lines.push(`| ${label(c.id)} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  lines.push(
    `Cost per pick (hash included; ${TIMING_ROUNDS} rounds over the random set, N = ${N}; orientation only, shared machine): ` +
      timing.map((t) => `${t.contender} ${fix(t.medianNsPerPick, 0)} ns`).join(', ') +
      '.',
  );
  lines.push('');
  lines.push('Flow sets:');
  for (const s of sets)
    lines.push(`- **${s.label}** (${s.clients.toLocaleString('en-US')} client addresses): ${s.description}.`);
  lines.push(`- ${pcapNote}.`);
  lines.push('');
  lines.push('Definitions:');
  for (const [k, v] of Object.entries(result.definitions)) lines.push(`- ${k}: ${v}.`);
  lines.push('');
  lines.push(
    `Policies: ${contenders.map((c) => `${c.id} = ${c.label}`).join('; ')}. Hash key: ${result.parameters.hashKey}.` +
      (hrwApi ? ` Rendezvous through hrw's ${hrwApi}.` : ''),
  );
  if (notRun.length > 0) {
    lines.push('');
    lines.push(`Not run: ${notRun.map((x) => `${x.peer}: ${x.reason}`).join('; ')}.`);
  }
  const markdown = `${lines.join('\n')}\n`;

  writeResults('distribution', result, markdown, result.durationSeconds);
  return 0;
}

process.exitCode = await main();
