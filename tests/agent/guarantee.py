"""guarantee.py PLAN.json RESULTS [--label L]: what placer promised against
what the workload measured.

PLAN.json is `placer status --json` of the workflow (a chain: its services
in order); RESULTS the workload's lines "id release left_0 ... left_n-1".
A check fails when the measured fraction is below the promise beyond
sampling error: the one-sided 95 % Clopper-Pearson upper bound of the
measured fraction is below the promise.  Checked: the end-to-end time
against the deadline (promise: the printed probability bound) and, for
every prefix of the chain, the time to leave its last stage against the
sum of the prefix's local deadlines (promise: the union of the stages'
probabilities, or their product in the independent model).

Prints one line per check and a summary line "RESULT label promised
measured upper pass|fail"; exits 0 when every check passes, 1 otherwise.
"""
import json
import math
import sys


def binom_cdf(k, n, p):
    """P(X <= k) for X ~ Binomial(n, p)."""
    if p <= 0:
        return 1.0
    if p >= 1:
        return 1.0 if k >= n else 0.0
    total = 0.0
    lp, lq = math.log(p), math.log1p(-p)
    for i in range(0, k + 1):
        total += math.exp(math.lgamma(n + 1) - math.lgamma(i + 1)
                          - math.lgamma(n - i + 1) + i * lp + (n - i) * lq)
    return min(1.0, total)


def cp_upper(k, n, alpha=0.05):
    """One-sided (1 - alpha) Clopper-Pearson upper bound of k / n."""
    if k >= n:
        return 1.0
    lo, hi = k / n, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if binom_cdf(k, n, mid) > alpha:
            lo = mid
        else:
            hi = mid
    return lo


def main():
    plan = json.load(open(sys.argv[1]))
    label = sys.argv[sys.argv.index("--label") + 1] if "--label" in sys.argv \
        else plan["workflow"]
    rows = [list(map(int, line.split())) for line in open(sys.argv[2])]
    n = len(rows)
    g = plan["guarantee"]
    services = plan["services"]
    ok = True
    checks = []
    # end to end
    dl = g["deadline_us"] * 1000
    k = sum(1 for r in rows if r[-1] - r[1] <= dl)
    checks.append(("end to end <= %.1f ms" % (dl / 1e6),
                   g["probability_bound"], k))
    # prefixes
    indep = g.get("probability_model") == "independent"
    acc_d, acc_fail, acc_prod = 0, 0.0, 1.0
    for v, s in enumerate(services):
        acc_d += s["deadline_us"] * 1000
        phi = s.get("stage_probability", 1.0)
        acc_fail += 1 - phi
        acc_prod *= phi
        promise = acc_prod if indep else max(0.0, 1 - acc_fail)
        k = sum(1 for r in rows if r[2 + v] - r[1] <= acc_d)
        checks.append(("through %s <= %.1f ms" % (s["name"], acc_d / 1e6),
                       promise, k))
    for what, promise, k in checks:
        up = cp_upper(k, n)
        good = up >= promise - 1e-12
        ok &= good
        print("  %-34s promised %.4f measured %.4f (%d of %d, upper %.4f)%s"
              % (what, promise, k / n, k, n, up, "" if good else "  FAIL"))
    e2e = [(r[-1] - r[1]) / 1e6 for r in rows]
    e2e.sort()
    print("  end to end: median %.2f ms, p99 %.2f ms, max %.2f ms"
          % (e2e[n // 2], e2e[int(n * 0.99)], e2e[-1]))
    what, promise, k = checks[0]
    print("RESULT %s %.4f %.4f %.4f %s" % (label, promise, k / n,
                                          cp_upper(k, n),
                                          "pass" if ok else "fail"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
