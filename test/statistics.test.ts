import {
  binomialUpperTail,
  clopperPearsonLower,
  clopperPearsonUpper,
  fisherExactGreater,
  logGamma,
  normalQuantile,
  normalUpperTail,
  obrienFlemingSpending,
} from '../lib/shared/statistics';

// Every expected value below was computed independently with SciPy 1.17 (python3), with the call
// shown in the row's comment; the code under test shares nothing with SciPy.
/** Agreement to `digits` significant digits. */
function expectClose(actual: number, expected: number, digits = 10): void {
  if (expected === 0) expect(Math.abs(actual)).toBeLessThan(1e-300);
  else expect(Math.abs(actual - expected) / Math.abs(expected)).toBeLessThan(10 ** -digits);
}

test.each([
  [0.5, 0.5723649429247], // scipy.special.gammaln(0.5)
  [10, 12.801827480081469],
  [1000.5, 5908.674175848678],
  [36000, 341681.54513151624],
])('logGamma(%d) = %d', (x, expected) => expectClose(logGamma(x), expected, 14));

test.each([
  [1e-10, -6.361340902404056], // scipy.stats.norm.ppf(p)
  [0.001, -3.090232306167813],
  [0.025, -1.9599639845400545],
  [0.995, 2.5758293035489004],
  [0.999999, 4.753424308817087],
])('normalQuantile(%d) = %d', (p, expected) => expectClose(normalQuantile(p), expected, 13));

test.each([
  [0, 0.5], // scipy.stats.norm.sf(z)
  [1.96, 0.024997895148220435],
  [5, 2.866515718791933e-7],
  [10, 7.61985302416047e-24],
  [-2, 0.9772498680518208],
])('normalUpperTail(%d) = %d', (z, expected) => expectClose(normalUpperTail(z), expected, 13));

test.each([
  [6, 1800, 0.001, 0.01033640690748316], // scipy.stats.binom.sf(k - 1, n, p)
  [45, 1500, 0.01, 2.350505215824678e-10],
  [3, 10, 0.5, 0.9453125],
  [700, 36000, 0.02, 0.7791491074733602],
  [1, 5, 0.3, 0.83193],
  [20, 30, 0.5, 0.049368573352694525],
])('P(X >= %d) for Binomial(%d, %d) = %d', (k, n, p, expected) => expectClose(binomialUpperTail(k, n, p), expected, 10));

test('binomial tail edges', () => {
  expect(binomialUpperTail(0, 10, 0.2)).toBe(1);
  expect(binomialUpperTail(11, 10, 0.2)).toBe(0);
  expect(binomialUpperTail(3, 10, 0)).toBe(0);
});

test.each([
  [45, 1500, 0.005, 0.01982787406325071], // scipy.stats.beta.ppf(alpha, x, n - x + 1)
  [1, 10, 0.05, 0.005116196891823701],
  [700, 36000, 0.001, 0.017271029948895563],
])('Clopper-Pearson lower bound of %d/%d at alpha %d = %d', (x, n, alpha, expected) => expectClose(clopperPearsonLower(x, n, alpha), expected, 11));

test.each([
  [0, 300, 0.005, 0.017506015484986304], // scipy.stats.beta.ppf(1 - alpha, x + 1, n - x)
  [45, 1500, 0.005, 0.04326418530361762],
  [9, 10, 0.05, 0.9948838031081763],
])('Clopper-Pearson upper bound of %d/%d at alpha %d = %d', (x, n, alpha, expected) => expectClose(clopperPearsonUpper(x, n, alpha), expected, 11));

test('Clopper-Pearson bounds at the edges', () => {
  expect(clopperPearsonLower(0, 100, 0.05)).toBe(0);
  expect(clopperPearsonUpper(100, 100, 0.05)).toBe(1);
  // (alpha)^(1/n) rule: the upper bound of 0/n solves (1 - p)^n = alpha.
  expectClose(clopperPearsonUpper(0, 300, 0.005), 1 - 0.005 ** (1 / 300), 12);
});

test.each([
  [45, 1500, 135, 13500, 4.67118459921804e-9], // scipy.stats.fisher_exact([[a, nA - a], [b, nB - b]], alternative='greater')
  [2, 10, 1, 10, 0.5],
  [0, 10, 3, 10, 1.0],
  [10, 20, 0, 20, 0.00021795989537925025],
  [15, 1500, 135, 13500, 0.5402746145637212],
  [720, 18000, 600, 18000, 0.0004202413347666308],
])("Fisher's exact test, one-sided: %d/%d vs %d/%d gives p = %d", (a, nA, b, nB, expected) => expectClose(fisherExactGreater(a, nA, b, nB), expected, 9));

test.each([
  [0.5, 0.01, 0.000269716956631483], // 2 * scipy.stats.norm.sf(scipy.stats.norm.isf(alpha / 2) / sqrt(t))
  [29 / 30, 0.01, 0.00879649008104471],
  [1 / 30, 0.01, 3.3714948854647196e-45],
  [0.1, 0.05, 5.720318790425403e-10],
])("O'Brien-Fleming-type spending at t = %d of alpha %d is %d", (t, alpha, expected) => expectClose(obrienFlemingSpending(t, alpha), expected, 12));

test('spending is 0 before the first look and alpha at the end', () => {
  expect(obrienFlemingSpending(0, 0.01)).toBe(0);
  expect(obrienFlemingSpending(1, 0.01)).toBe(0.01);
  expect(obrienFlemingSpending(1.5, 0.01)).toBe(0.01);
});
