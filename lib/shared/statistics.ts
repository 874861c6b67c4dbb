/**
 * The distributions the canary judge needs, exact rather than approximated: binomial and
 * hypergeometric tails, Clopper-Pearson bounds, the normal distribution for the alpha-spending
 * function. Pure TypeScript with no dependency, so the CLI and a Lambda bundle share it.
 *
 * Algorithms (cited where they are implemented):
 *  - log-gamma: Lanczos approximation, g = 7, n = 9 (Godfrey's coefficients; Press et al.,
 *    Numerical Recipes 3rd ed. §6.1), relative error below 1e-15 for x > 0.
 *  - incomplete gamma and beta: series and modified-Lentz continued fractions (Numerical Recipes
 *    §6.2, §6.4; Lentz 1976).
 *  - normal quantile: Acklam's rational approximation refined by one Halley step, below 1e-15.
 * test/statistics.test.ts checks every function against SciPy's values.
 */

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma needs x > 0, got ${x}`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x); // reflection
  const z = x - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** ln of the binomial coefficient C(n, k). */
function logChoose(n: number, k: number): number {
  if (k < 0 || k > n) return -Infinity;
  if (k === 0 || k === n) return 0;
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

const EPS = 1e-16;
const TINY = 1e-300;
const MAX_ITERATIONS = 100_000;

/** The regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a). */
function regularizedGammaQ(a: number, x: number): number {
  if (x < 0 || a <= 0) throw new RangeError(`regularizedGammaQ needs a > 0 and x >= 0, got a=${a}, x=${x}`);
  if (x === 0) return 1;
  const logPrefix = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    // Series for P(a, x), Numerical Recipes 6.2.5.
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < MAX_ITERATIONS; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * EPS) break;
    }
    return 1 - sum * Math.exp(logPrefix);
  }
  // Continued fraction for Q(a, x), Numerical Recipes 6.2.7, modified Lentz.
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return Math.exp(logPrefix) * h;
}

/** P(Z > z) for a standard normal Z, accurate in the far tail (no 1 - Φ cancellation). */
export function normalUpperTail(z: number): number {
  if (z < 0) return 1 - normalUpperTail(-z);
  // erfc(t) = Q(1/2, t²) and P(Z > z) = erfc(z / √2) / 2.
  return 0.5 * regularizedGammaQ(0.5, (z * z) / 2);
}

/** Φ(z), the standard normal distribution function. */
function normalCdf(z: number): number {
  return z < 0 ? normalUpperTail(-z) : 1 - normalUpperTail(z);
}

/** Φ⁻¹(p): the z with Φ(z) = p, for 0 < p < 1 (Acklam's approximation plus one Halley step). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1, got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  // One Halley step on Φ(x) - p; in the upper half work with the upper tail for accuracy.
  const e = p < 0.5 ? normalCdf(x) - p : 1 - p - normalUpperTail(x);
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** Continued fraction of the incomplete beta (Numerical Recipes 6.4.5, modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return h;
}

function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** The regularized incomplete beta I_x(a, b), a, b > 0, 0 <= x <= 1. */
function regularizedBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0) || x < 0 || x > 1) throw new RangeError(`regularizedBeta needs a, b > 0 and 0 <= x <= 1, got x=${x}, a=${a}, b=${b}`);
  if (x === 0) return 0;
  if (x === 1) return 1;
  const front = Math.exp(a * Math.log(x) + b * Math.log1p(-x) - logBeta(a, b));
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** The x in [0, 1] with I_x(a, b) = p (bisection safeguarded Newton). */
function inverseRegularizedBeta(p: number, a: number, b: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`inverseRegularizedBeta needs 0 <= p <= 1, got ${p}`);
  if (p === 0) return 0;
  if (p === 1) return 1;
  let lo = 0;
  let hi = 1;
  let x = a / (a + b);
  const logB = logBeta(a, b);
  for (let i = 0; i < 200; i++) {
    const f = regularizedBeta(x, a, b) - p;
    if (f === 0) return x;
    if (f < 0) lo = x;
    else hi = x;
    const density = Math.exp((a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - logB);
    let next = x - f / density;
    if (!(next > lo && next < hi) || !Number.isFinite(next)) next = (lo + hi) / 2;
    if (Math.abs(next - x) <= 1e-15 * Math.max(x, 1e-300) || hi - lo <= 1e-15 * hi) return next;
    x = next;
  }
  return x;
}

/** P(X >= k) for X ~ Binomial(n, p). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  // P(X >= k) = I_p(k, n - k + 1) (Abramowitz & Stegun 26.5.24).
  return regularizedBeta(p, k, n - k + 1);
}

/**
 * The exact (Clopper-Pearson) one-sided lower confidence bound of a binomial proportion at level
 * 1 - alpha: the smallest p with P(X >= x | n, p) > alpha (Clopper & Pearson 1934, Biometrika 26).
 */
export function clopperPearsonLower(x: number, n: number, alpha: number): number {
  if (x <= 0) return 0;
  return inverseRegularizedBeta(alpha, x, n - x + 1);
}

/** The exact (Clopper-Pearson) one-sided upper confidence bound at level 1 - alpha. */
export function clopperPearsonUpper(x: number, n: number, alpha: number): number {
  if (x >= n) return 1;
  return inverseRegularizedBeta(1 - alpha, x + 1, n - x);
}

/**
 * Fisher's exact test, one-sided: the probability, given both groups' totals and the total of
 * "bad" outcomes, that group A holds `badA` or more of them if both groups shared one rate
 * (Fisher 1935; Agresti, Categorical Data Analysis 3rd ed. §3.5). X is hypergeometric:
 * N = nA + nB, K = badA + badB, draws nA.
 */
export function fisherExactGreater(badA: number, nA: number, badB: number, nB: number): number {
  const N = nA + nB;
  const K = badA + badB;
  const low = Math.max(0, nA - (N - K));
  const high = Math.min(nA, K);
  if (badA <= low) return 1;
  if (badA > high) return 0;
  const logDenominator = logChoose(N, nA);
  const logPmf = (x: number) => logChoose(K, x) + logChoose(N - K, nA - x) - logDenominator;
  // pmf(x + 1) / pmf(x) = (K - x)(nA - x) / ((x + 1)(N - K - nA + x + 1)).
  const up = (x: number) => ((K - x) * (nA - x)) / ((x + 1) * (N - K - nA + x + 1));
  const mode = Math.floor(((nA + 1) * (K + 1)) / (N + 2));
  if (badA > mode) {
    // Terms fall from badA upward: sum them directly.
    let term = Math.exp(logPmf(badA));
    let sum = term;
    for (let x = badA; x < high && term > sum * EPS; x++) {
      term *= up(x);
      sum += term;
    }
    return Math.min(1, sum);
  }
  // Terms fall from badA - 1 downward: 1 - P(X <= badA - 1).
  let term = Math.exp(logPmf(badA - 1));
  let sum = term;
  for (let x = badA - 1; x > low && term > sum * EPS; x--) {
    term /= up(x - 1);
    sum += term;
  }
  return Math.max(0, 1 - sum);
}

/**
 * The Lan-DeMets alpha-spending function of O'Brien-Fleming type: how much of a one-sided level
 * `alpha` may be spent by information fraction t (Lan & DeMets 1983, Biometrika 70:659-663):
 * α(t) = 2 - 2Φ(z_{1-α/2} / √t). It spends almost nothing early, so only overwhelming evidence stops
 * a test at an early look, and α(1) = α.
 */
export function obrienFlemingSpending(t: number, alpha: number): number {
  if (t <= 0) return 0;
  if (t >= 1) return alpha;
  return 2 * normalUpperTail(normalQuantile(1 - alpha / 2) / Math.sqrt(t));
}
