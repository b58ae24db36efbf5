/**
 * The contenders of BENCHMARKS.md #5 behind one shape: for a membership, who is the primary of
 * a flow, and (where the policy has one) who is its backup. The flowhash policies come from
 * `@switchyard/flowhash`; rendezvous from `@switchyard/hrw`, loaded at run time so this
 * benchmark still runs (and says so) if hrw is missing or broken.
 */
import {
  additive3Policy,
  additive5Policy,
  type FlowHasher,
  type FlowKey,
  jumpPolicy,
  keyedModuloPolicy,
  type Member,
  maglevPolicy,
  type Policy,
} from '@switchyard/flowhash';

/** A membership bound to a contender. */
export interface Placement {
  /** The id of the flow's primary (owner). */
  primary(key: FlowKey): number;
  /** The id of the flow's backup, for policies with a natural one (rendezvous: rank 2). */
  backup?(key: FlowKey): number;
}

export interface Contender {
  id: string;
  label: string;
  /** How the backup is defined for the survival column. */
  backup: string;
  place(members: readonly Member[]): Placement;
}

function fromPolicy(policy: Policy, label: string): Contender {
  return {
    id: policy.name,
    label,
    backup: 'the policy applied to the membership without the primary',
    place(members) {
      const a = policy.assign(members);
      return { primary: (key) => a.members[a.pick(key)]!.id };
    },
  };
}

export function flowhashContenders(hasher: FlowHasher): Contender[] {
  return [
    fromPolicy(additive3Policy, 'additive3 (SRC_IP + DST_IP + DST_PORT) % N'),
    fromPolicy(additive5Policy, 'additive5 (SRC_IP + SRC_PORT + DST_IP + DST_PORT + PROTOCOL) % N'),
    fromPolicy(keyedModuloPolicy(hasher), 'keyed hash mod N (SipHash-2-4 % N)'),
    fromPolicy(jumpPolicy(hasher), 'jump consistent hash (of SipHash-2-4)'),
    fromPolicy(maglevPolicy(hasher), 'Maglev, M = 65537 (of SipHash-2-4)'),
  ];
}

/** The part of @switchyard/hrw this benchmark uses (its planned API plus the allocation-free set). */
interface HrwApi {
  MemberSet?: new (members: readonly Member[]) => unknown;
  rankInto?: (keyHash: number, members: unknown, out: Uint32Array) => number;
  primaryBackup?: (
    keyHash: number,
    members: readonly Member[],
  ) => { primary: number; backup: number | undefined };
  BucketTable?: {
    build(members: readonly Member[]): {
      primary(keyHash: number): number;
      backup(keyHash: number): number | undefined;
    };
  };
}

/**
 * Rendezvous from @switchyard/hrw (computed per flow, and hrw's bucket table when it has one),
 * or the reason it cannot run. Uses `MemberSet` + `rankInto` (validated once, allocation-free)
 * when hrw exports them, else `primaryBackup`.
 */
export async function hrwContenders(
  hasher: FlowHasher,
): Promise<{ contenders: Contender[]; api: string; notRun: { peer: string; reason: string }[] }> {
  let hrw: HrwApi;
  try {
    hrw = (await import('@switchyard/hrw')) as HrwApi;
  } catch (e) {
    return {
      contenders: [],
      api: '',
      notRun: [
        { peer: 'rendezvous (@switchyard/hrw)', reason: `import('@switchyard/hrw') failed: ${String(e)}` },
      ],
    };
  }
  const label = 'rendezvous / HRW per flow (@switchyard/hrw, of SipHash-2-4)';
  const backup = 'rank 2 of the HRW ranking (the natural backup)';
  const { MemberSet, rankInto, primaryBackup, BucketTable } = hrw;
  const contenders: Contender[] = [];
  const notRun: { peer: string; reason: string }[] = [];
  let api = '';
  if (MemberSet !== undefined && rankInto !== undefined) {
    api = 'MemberSet + rankInto';
    contenders.push({
      id: 'rendezvous',
      label,
      backup,
      place(members) {
        const set = new MemberSet(members);
        const out = new Uint32Array(2);
        return {
          primary(key) {
            rankInto(hasher.hash(key), set, out);
            return out[0]!;
          },
          backup(key) {
            // A one-member set has no backup; the primary stands in (it cannot survive its own loss).
            return rankInto(hasher.hash(key), set, out) > 1 ? out[1]! : out[0]!;
          },
        };
      },
    });
  } else if (primaryBackup !== undefined) {
    api = 'primaryBackup';
    contenders.push({
      id: 'rendezvous',
      label,
      backup,
      place(members) {
        return {
          primary: (key) => primaryBackup(hasher.hash(key), members).primary,
          backup: (key) => {
            const pb = primaryBackup(hasher.hash(key), members);
            return pb.backup ?? pb.primary;
          },
        };
      },
    });
  } else {
    notRun.push({
      peer: 'rendezvous (@switchyard/hrw)',
      reason: '@switchyard/hrw exports neither MemberSet/rankInto nor primaryBackup yet',
    });
  }
  if (BucketTable !== undefined) {
    api += `${api ? ', ' : ''}BucketTable`;
    contenders.push({
      id: 'hrw-table',
      label:
        'rendezvous bucket table (@switchyard/hrw BucketTable, 2^16 rows by the low 16 bits of SipHash-2-4)',
      backup: "the row's backup column (rank 2 of the row)",
      place(members) {
        const table = BucketTable.build(members);
        return {
          primary: (key) => table.primary(hasher.hash(key)),
          backup: (key) => {
            const h = hasher.hash(key);
            return table.backup(h) ?? table.primary(h);
          },
        };
      },
    });
  } else {
    notRun.push({
      peer: 'rendezvous bucket table (@switchyard/hrw)',
      reason: 'hrw exports no BucketTable yet',
    });
  }
  return { contenders, api, notRun };
}
