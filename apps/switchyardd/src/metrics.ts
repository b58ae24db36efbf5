/**
 * Prometheus metrics in the text exposition format (version 0.0.4). The daemon's counters
 * live in the packages' own counter objects; a metric here *collects* them when scraped,
 * so the data path never does extra work per packet for metrics.
 */

export type MetricType = 'counter' | 'gauge';

/** One sample: label values (in the metric's label order) and a value. */
export interface Sample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}

interface Metric {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly collect: () => Iterable<Sample>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export class MetricsRegistry {
  readonly #metrics = new Map<string, Metric>();

  /**
   * Registers a metric whose samples `collect` returns at scrape time. Counter names end
   * in `_total` (Prometheus naming); a duplicate or malformed name is a programming error.
   */
  register(name: string, type: MetricType, help: string, collect: () => Iterable<Sample>): void {
    if (!NAME.test(name)) throw new Error(`metric name ${JSON.stringify(name)} is not a Prometheus name`);
    if (type === 'counter' && !name.endsWith('_total')) throw new Error(`counter ${name} must end in _total`);
    if (this.#metrics.has(name)) throw new Error(`metric ${name} is already registered`);
    this.#metrics.set(name, { name, help, type, collect });
  }

  /** Registers one unlabelled value. */
  value(name: string, type: MetricType, help: string, read: () => number): void {
    this.register(name, type, help, () => [{ value: read() }]);
  }

  /** The text exposition of every metric, in registration order. */
  expose(): string {
    const lines: string[] = [];
    for (const m of this.#metrics.values()) {
      lines.push(`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.type}`);
      for (const sample of m.collect())
        lines.push(`${m.name}${formatLabels(sample.labels)} ${formatValue(sample.value)}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

/** The content type a scrape response carries. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function formatLabels(labels: Readonly<Record<string, string>> | undefined): string {
  if (labels === undefined) return '';
  const parts = Object.entries(labels).map(([k, v]) => {
    if (!LABEL.test(k) || k.startsWith('__'))
      throw new Error(`label name ${JSON.stringify(k)} is not allowed`);
    return `${k}="${escapeLabel(v)}"`;
  });
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

// The format's escapes: HELP escapes backslash and newline; label values also the double quote.
function escapeHelp(s: string): string {
  return s.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
}

function escapeLabel(s: string): string {
  return escapeHelp(s).replaceAll('"', '\\"');
}
