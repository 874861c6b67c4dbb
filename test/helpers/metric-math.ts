/**
 * Evaluates a synthesized alarm's metric math for one period, so tests can compare what an alarm
 * computes with what the gate and the judge compute from the same counts.
 *
 * It covers the subset of CloudWatch metric math the alarms use, with CloudWatch's semantics
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html):
 * `FILL(m, value)` replaces a missing datapoint, `IF(condition, a, b)`, `MIN([a, b])`, the four
 * arithmetic operators and comparisons; a metric without a datapoint is missing (`undefined`), and
 * arithmetic on a missing value is missing.
 */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- CloudFormation JSON is untyped

/** One metric of the alarm, as `Namespace/MetricName`, its dimension names and its statistic. */
export interface MetricLeaf {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: readonly string[];
  readonly stat: string;
}

type Value = number | undefined | Value[];

export function evaluateAlarm(alarm: Json, valueOf: (leaf: MetricLeaf) => number | undefined): number | undefined {
  const queries = alarm.Metrics as Json[];
  const byId = new Map(queries.map((q) => [q.Id as string, q]));
  const cache = new Map<string, number | undefined>();
  const evalId = (id: string): number | undefined => {
    if (cache.has(id)) return cache.get(id);
    const q = byId.get(id);
    if (!q) throw new Error(`unknown id ${id}`);
    let v: number | undefined;
    if (q.MetricStat) {
      const m = q.MetricStat.Metric as Json;
      v = valueOf({
        namespace: m.Namespace as string,
        metricName: m.MetricName as string,
        dimensions: ((m.Dimensions ?? []) as Json[]).map((d) => d.Name as string),
        stat: q.MetricStat.Stat as string,
      });
    } else {
      v = scalar(new Parser(q.Expression as string, evalId).parse());
    }
    cache.set(id, v);
    return v;
  };
  const returned = queries.filter((q) => q.ReturnData !== false);
  if (returned.length !== 1) throw new Error(`alarm ${alarm.AlarmName as string} returns ${returned.length} series`);
  return evalId(returned[0]!.Id as string);
}

function scalar(v: Value): number | undefined {
  if (Array.isArray(v)) throw new Error('an array where a number was expected');
  return v;
}

class Parser {
  private pos = 0;
  private readonly tokens: string[];

  constructor(
    text: string,
    private readonly lookup: (id: string) => number | undefined,
  ) {
    this.tokens = text.match(/\s*(>=|<=|==|!=|[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|[-+*/(),[\]<>])/g)!.map((t) => t.trim());
    if (this.tokens.join('') !== text.replace(/\s+/g, '')) throw new Error(`cannot tokenize ${text}`);
  }

  parse(): Value {
    const v = this.comparison();
    if (this.pos !== this.tokens.length) throw new Error(`unexpected ${this.tokens[this.pos]}`);
    return v;
  }

  private peek(): string | undefined {
    return this.tokens[this.pos];
  }

  private take(expected?: string): string {
    const t = this.tokens[this.pos++];
    if (t === undefined || (expected !== undefined && t !== expected)) throw new Error(`expected ${expected ?? 'a token'}, got ${t}`);
    return t;
  }

  private comparison(): Value {
    const left = this.sum();
    const op = this.peek();
    if (op === '>=' || op === '<=' || op === '>' || op === '<' || op === '==' || op === '!=') {
      this.take();
      const a = scalar(left);
      const b = scalar(this.sum());
      if (a === undefined || b === undefined) return undefined;
      const result = { '>=': a >= b, '<=': a <= b, '>': a > b, '<': a < b, '==': a === b, '!=': a !== b }[op];
      return result ? 1 : 0;
    }
    return left;
  }

  private sum(): Value {
    let v = this.product();
    while (this.peek() === '+' || this.peek() === '-') {
      const op = this.take();
      v = arithmetic(v, this.product(), op);
    }
    return v;
  }

  private product(): Value {
    let v = this.unary();
    while (this.peek() === '*' || this.peek() === '/') {
      const op = this.take();
      v = arithmetic(v, this.unary(), op);
    }
    return v;
  }

  private unary(): Value {
    if (this.peek() === '-') {
      this.take();
      return arithmetic(0, this.unary(), '-');
    }
    return this.primary();
  }

  private primary(): Value {
    const t = this.take();
    if (/^\d/.test(t)) return Number(t);
    if (t === '(') {
      const v = this.comparison();
      this.take(')');
      return v;
    }
    if (t === '[') {
      const items: Value[] = [this.comparison()];
      while (this.peek() === ',') {
        this.take();
        items.push(this.comparison());
      }
      this.take(']');
      return items;
    }
    if (this.peek() === '(') {
      this.take('(');
      const args: Value[] = [this.comparison()];
      while (this.peek() === ',') {
        this.take();
        args.push(this.comparison());
      }
      this.take(')');
      return call(t, args);
    }
    return this.lookup(t);
  }
}

function arithmetic(a: Value, b: Value, op: string): Value {
  const x = scalar(a);
  const y = scalar(b);
  if (x === undefined || y === undefined) return undefined;
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    default:
      return x / y;
  }
}

function call(name: string, args: Value[]): Value {
  switch (name) {
    case 'FILL':
      return scalar(args[0]!) ?? scalar(args[1]!);
    case 'IF': {
      const condition = scalar(args[0]!);
      if (condition === undefined) return undefined;
      return condition !== 0 ? args[1]! : args[2]!;
    }
    case 'MIN': {
      const items = (Array.isArray(args[0]) ? args[0] : args).map(scalar).filter((v): v is number => v !== undefined);
      return items.length > 0 ? Math.min(...items) : undefined;
    }
    default:
      throw new Error(`metric math function ${name} is not modelled`);
  }
}
