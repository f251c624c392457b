"""Paired pre/post statistics for every outcome x grouping x group, as R computes them.

The results table is CONTRACT section 4. Every cell is computed in whole-table
passes: one group code per row, ``np.bincount`` for sums, one grouped sort for the
Wilcoxon ranks, and vectorized root finding for the d_z confidence interval, so
that a million pairs in hundreds of cells take seconds.

References
----------
* R Core Team, ``t.test`` and ``wilcox.test`` (R 4.2, package stats).
* Kerby, D. S. (2014). The simple difference formula: an approach to teaching
  nonparametric correlation. Comprehensive Psychology 3, 11.IT.3.1.
* Lakens, D. (2013). Calculating and reporting effect sizes to facilitate
  cumulative science. Frontiers in Psychology 4, 863 (d_z, d_av, d_rm, g).
* Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size.
  Journal of Educational Statistics 6, 107-128 (exact J).
* Steiger, J. H. & Fouladi, R. T. (1997). Noncentrality interval estimation
  (the CI of d_z by inverting the noncentral t; ``effectsize::cohens_d``).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import special
from scipy.optimize import elementwise

from ..measures import complete_pairs  # noqa: F401  (re-exported; the complete-pair rule lives in measures)

__all__ = [
    "RESULT_COLUMNS",
    "complete_pairs",  # its home is evaluation.measures; re-exported for existing callers
    "paired_statistics",
    "results_table",
    "adjust_pvalues",
    "hedges_j",
    "signrank_pvalue",
    "dz_confidence_interval",
]

RESULT_COLUMNS = [
    "outcome", "from_wave", "to_wave", "grouping", "group", "n", "n_pre", "n_post",
    "pre_mean", "pre_sd", "post_mean", "post_sd", "diff_mean", "diff_sd",
    "diff_ci_low", "diff_ci_high", "t", "df", "p_t", "p_t_adj",
    "wilcoxon_v", "p_wilcoxon", "r_rb",
    "d_z", "d_z_ci_low", "d_z_ci_high", "g_z", "d_av", "g_av", "d_rm", "suppressed",
]
_EPS = np.finfo(float).eps


# --------------------------------------------------------------- basic pieces
def hedges_j(df: np.ndarray) -> np.ndarray:
    """Hedges' exact small-sample correction J(df) = Γ(df/2) / (√(df/2) Γ((df−1)/2)).

    Empty for df < 2, where the correction is degenerate (J(1) = 0).

    >>> float(np.round(hedges_j(np.array([10.0]))[0], 6))
    0.922746
    """
    df = np.asarray(df, dtype=float)
    ok = df >= 2
    safe = np.where(ok, df, 3.0)
    j = np.exp(special.gammaln(safe / 2) - 0.5 * np.log(safe / 2) - special.gammaln((safe - 1) / 2))
    return np.where(ok, j, np.nan)


@lru_cache(maxsize=1)
def _signrank_cdf_table(max_n: int = 49) -> np.ndarray:
    """cdf[n, v] = P(V <= v) for the signed-rank statistic of n untied ranks."""
    max_v = max_n * (max_n + 1) // 2
    table = np.ones((max_n + 1, max_v + 1))
    counts = np.zeros(max_v + 1)
    counts[0] = 1.0
    for n in range(1, max_n + 1):
        shifted = np.zeros_like(counts)
        shifted[n:] = counts[:-n]
        counts = counts + shifted  # each rank n is either in the positive sum or not
        top = n * (n + 1) // 2
        table[n, : top + 1] = np.cumsum(counts[: top + 1]) / 2.0**n
    return table


def signrank_pvalue(v: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Exact two-sided p of the signed-rank statistic (R's ``psignrank``), n < 50.

    p = min(1, 2 P(V <= v)) below the centre n(n+1)/4, else min(1, 2 P(V >= v)).

    >>> float(np.round(signrank_pvalue(np.array([3.0]), np.array([10]))[0], 6))
    0.009766
    """
    table = _signrank_cdf_table()
    v = np.asarray(v, dtype=float)
    n = np.asarray(n, dtype=int)
    vi = np.rint(v).astype(int)
    upper = v > n * (n + 1) / 4
    lower_tail = table[n, np.clip(vi, 0, table.shape[1] - 1)]
    # P(V >= v) = 1 - P(V <= v - 1)
    upper_tail = 1.0 - np.where(vi >= 1, table[n, np.clip(vi - 1, 0, table.shape[1] - 1)], 0.0)
    return np.minimum(1.0, 2.0 * np.where(upper, upper_tail, lower_tail))


def dz_confidence_interval(t: np.ndarray, df: np.ndarray, n: np.ndarray,
                           ci_level: float) -> tuple[np.ndarray, np.ndarray]:
    """CI of d_z by inverting the noncentral t distribution (``effectsize::cohens_d``).

    Notes
    -----
    The bounds are the noncentrality parameters δ_L, δ_U with
    P(T_df,δ_L >= t) = α/2 and P(T_df,δ_U <= t) = α/2, divided by √n. They are
    solved for |t| and mirrored for a negative t (the interval of −t is minus the
    interval of t), so the result is exactly antisymmetric. Each root is bracketed
    close to the observed t and solved with Chandrupatla's method, all cells at
    once. The noncentral t cdf (``scipy.special.nctdtr``, as ``scipy.stats.nct``) can
    return NaN far in a tail; there the probability
    is replaced by its limit (0 or 1), which keeps the bracket's signs right.

    Examples
    --------
    >>> low, high = dz_confidence_interval(np.array([2.0]), np.array([19.0]), np.array([20.0]), 0.95)
    >>> float(np.round(low[0], 4)), float(np.round(high[0], 4))
    (-0.0185, 0.9024)
    """
    t = np.asarray(t, dtype=float)
    df = np.asarray(df, dtype=float)
    alpha = 1 - ci_level
    ok = np.isfinite(t) & (df >= 1)
    low = np.full(t.shape, np.nan)
    high = np.full(t.shape, np.nan)
    if not ok.any():
        return low, high
    tt, dd = np.abs(t[ok]), df[ok]
    half = (special.ndtri(1 - alpha / 2) + 2) * np.sqrt(1 + tt**2 / (2 * dd)) + 1

    def f_low(x, t_, d_):  # increasing in the noncentrality; P -> 0 as x -> -inf
        sf = 1.0 - special.nctdtr(d_, x, t_)  # P(T >= t) of the noncentral t
        return np.where(np.isnan(sf), np.where(x < t_, 0.0, 1.0), sf) - alpha / 2

    def f_high(x, t_, d_):  # decreasing in the noncentrality; P -> 0 as x -> +inf
        cdf = special.nctdtr(d_, x, t_)
        return alpha / 2 - np.where(np.isnan(cdf), np.where(x > t_, 0.0, 1.0), cdf)

    tol = {"xatol": 1e-12, "xrtol": 4 * _EPS, "fatol": 0.0, "frtol": 0.0}
    roots = []
    for f, lo_end, hi_end in ((f_low, tt - half, tt), (f_high, tt, tt + half)):
        lo_end, hi_end = lo_end.copy(), hi_end.copy()
        for _ in range(30):  # widen any bracket that does not yet hold the root
            below, above = f(lo_end, tt, dd) < 0, f(hi_end, tt, dd) > 0
            if (below & above).all():
                break
            width = hi_end - lo_end
            lo_end = np.where(below, lo_end, lo_end - width)
            hi_end = np.where(above, hi_end, hi_end + width)
        res = elementwise.find_root(f, (lo_end, hi_end), args=(tt, dd), tolerances=tol)
        roots.append(np.where(res.success, res.x, np.nan))
    sqrt_n = np.sqrt(np.asarray(n, dtype=float)[ok])
    lower, upper = roots[0] / sqrt_n, roots[1] / sqrt_n
    negative = t[ok] < 0
    low[ok] = np.where(negative, -upper, lower)
    high[ok] = np.where(negative, -lower, upper)
    return low, high


# ----------------------------------------------------------- whole-table engine
def _outcome_rows(outcome: pd.Series):
    """(outcome, its rows) in order of first appearance; the rows a slice (views, no
    copies) when each outcome's rows come as one block, as pairs are made."""
    if isinstance(outcome.dtype, pd.CategoricalDtype):  # its own codes: no hashing
        codes, names = outcome.cat.codes.to_numpy(), outcome.cat.categories
    else:
        codes, names = pd.factorize(outcome)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else np.array([], int)
    first = codes[starts]
    if len(first) and first.min() >= 0 and len(np.unique(first)) == len(first):
        bounds = np.r_[starts, len(codes)]
        return [(names[c], slice(bounds[i], bounds[i + 1])) for i, c in enumerate(first)]
    codes, names = pd.factorize(outcome)  # in order of first appearance
    return [(name, np.flatnonzero(codes == i)) for i, name in enumerate(names)]


def _restrict(order: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The rows of ``mask`` in the sequence of ``order``, as positions among those rows."""
    position = np.cumsum(mask) - 1
    kept = order[mask[order]]
    return position[kept]


# Cell-level sufficient statistics. A cell's moments are (n, means, centred sums of
# squares); coarser cells are combined from finer ones exactly (Chan, Golub &
# LeVeque 1983), so every grouping costs a pass over cells, not over rows.
def _cell_moments(pre: np.ndarray, post: np.ndarray, cell: np.ndarray, C: int):
    """Counts, means and centred sums of squares of pre, post and d per cell.

    Returns ``(moments, d, complete)``: d = post − pre for every row (NaN where a
    score is missing) and the rows with both scores (None when all have them).
    The complete pairs are not picked out of the rows: an incomplete pair's row
    goes to an extra cell ``C`` of its own, dropped at the end, so each sum runs
    over a cell's complete pairs in row order (two passes: the mean, then the
    squares about it).
    """
    missing_pre, missing_post = np.isnan(pre), np.isnan(post)
    rows = np.bincount(cell, minlength=C)
    m = {f"n_{name}": (rows - np.bincount(cell.take(np.flatnonzero(missing)), minlength=C)).astype(float)
         for name, missing in (("pre", missing_pre), ("post", missing_post))}
    incomplete = missing_pre | missing_post
    complete = None
    if incomplete.any():
        complete = ~incomplete
        g = np.where(incomplete, C, cell)
        n = np.bincount(g, minlength=C + 1).astype(float)
    else:
        g = cell
        n = np.append(rows, 0).astype(float)
    d = post - pre
    m["n"] = n[:C]
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, x in (("a", pre), ("b", post), ("d", d)):
            mean = np.bincount(g, weights=x, minlength=C + 1) / n
            centred = x - mean[g]
            m[f"mean_{name}"] = mean[:C]
            m[f"ss_{name}"] = np.bincount(g, weights=centred * centred, minlength=C + 1)[:C]
    return m, d, complete


def _combine_moments(m: dict, parent: np.ndarray, G: int) -> dict:
    """Moments of groups of cells: ``parent[c]`` is cell c's group (-1 = in none).

    n = Σ n_i; mean = Σ n_i mean_i / n; SS = Σ SS_i + Σ n_i (mean_i − mean)².
    """
    keep = parent >= 0
    p = parent[keep]
    out = {k: np.bincount(p, weights=m[k][keep], minlength=G) for k in ("n_pre", "n_post", "n")}
    n_i = m["n"][keep]
    with np.errstate(invalid="ignore", divide="ignore"):
        for name in ("a", "b", "d"):
            mean_i = np.where(n_i > 0, m[f"mean_{name}"][keep], 0.0)
            mean = np.bincount(p, weights=n_i * mean_i, minlength=G) / out["n"]
            spread = n_i * (mean_i - mean[p]) ** 2
            ss_i = np.where(n_i > 0, m[f"ss_{name}"][keep], 0.0)
            out[f"mean_{name}"] = mean
            out[f"ss_{name}"] = np.bincount(p, weights=ss_i + spread, minlength=G)
    return out


def _statistics(m: dict, wilcoxon: tuple, ci_level: float, dz_ci: bool) -> dict:
    """Every column of the results table from cell moments and signed-rank sums (arrays)."""
    n = m["n"]
    G = len(n)
    mean_a, mean_b, mean_d = m["mean_a"], m["mean_b"], m["mean_d"]
    ss_a, ss_b, ss_d = m["ss_a"], m["ss_b"], m["ss_d"]
    with np.errstate(invalid="ignore", divide="ignore"):
        df = n - 1
        denom = np.where(df > 0, df, np.nan)
        sd_a = np.sqrt(ss_a / denom)
        sd_b = np.sqrt(ss_b / denom)
        sd_d = np.sqrt(ss_d / denom)
        se = sd_d / np.sqrt(n)
        # R's t.test: "data are essentially constant" -> no t-test
        t_ok = (n >= 2) & (sd_d > 0) & ~(se < 10 * _EPS * np.abs(mean_d))
        t = np.where(t_ok, mean_d / se, np.nan)
        p_t = np.where(t_ok, 2 * special.stdtr(np.where(t_ok, df, 1), -np.abs(t)), np.nan)
        q = special.stdtrit(np.where(t_ok, df, 1), 1 - (1 - ci_level) / 2)
        ci_low = np.where(t_ok, mean_d - q * se, np.nan)
        ci_high = np.where(t_ok, mean_d + q * se, np.nan)

        dz_ok = (n >= 2) & (sd_d > 0)
        d_z = np.where(dz_ok, mean_d / sd_d, np.nan)
        if dz_ci:
            d_z_low, d_z_high = dz_confidence_interval(d_z * np.sqrt(n), df, n, ci_level)
        else:
            d_z_low = d_z_high = np.full(G, np.nan)
        j = hedges_j(df)
        s_av = np.sqrt((sd_a**2 + sd_b**2) / 2)
        d_av = np.where(s_av > 0, mean_d / s_av, np.nan)
        # 2(1 - r) = (SS_d - (√SS_pre - √SS_post)²) / (√SS_pre √SS_post), since
        # SS_d = SS_pre + SS_post - 2 SP: unlike 1 - r it has no cancellation near r = 1
        root_a, root_b = np.sqrt(ss_a), np.sqrt(ss_b)
        two_one_minus_r = np.clip((ss_d - (root_a - root_b) ** 2) / (root_a * root_b), 0, 4)
        two_one_minus_r = np.where((ss_a > 0) & (ss_b > 0), two_one_minus_r, np.nan)
        d_rm = d_z * np.sqrt(two_one_minus_r)
    v, p_w, r_rb = _signed_rank_test(*wilcoxon, n)
    return {
        "n": n.astype("int64"), "n_pre": m["n_pre"].astype("int64"), "n_post": m["n_post"].astype("int64"),
        "pre_mean": mean_a, "pre_sd": sd_a, "post_mean": mean_b, "post_sd": sd_b,
        "diff_mean": mean_d, "diff_sd": sd_d, "diff_ci_low": ci_low, "diff_ci_high": ci_high,
        "t": t, "df": np.where(n >= 1, df, np.nan), "p_t": p_t,
        "wilcoxon_v": v, "p_wilcoxon": p_w, "r_rb": r_rb,
        "d_z": d_z, "d_z_ci_low": d_z_low, "d_z_ci_high": d_z_high, "g_z": d_z * j,
        "d_av": d_av, "g_av": d_av * j, "d_rm": d_rm,
    }


def paired_statistics(pre: np.ndarray, post: np.ndarray, codes: np.ndarray, n_groups: int,
                      ci_level: float = 0.95, dz_ci: bool = True) -> pd.DataFrame:
    """Every per-cell statistic of the results table, for all groups at once.

    Parameters
    ----------
    pre, post : arrays of scores (NaN = no valid score at that wave)
    codes : the cell of each row, integers in ``0 .. n_groups - 1``
    n_groups : number of cells
    ci_level : confidence level of the mean-difference and d_z intervals
    dz_ci : compute the d_z interval (root finding); :func:`results_table` does it
        once for the cells of all groupings together instead

    Returns
    -------
    DataFrame with one row per cell code and the columns ``n`` ... ``d_rm`` of
    RESULT_COLUMNS (no ``p_t_adj``/``suppressed``, which need the whole table).

    Notes
    -----
    Differences are post − pre. t-test: t = mean(d) / (sd(d)/√n), df = n − 1,
    two-sided; undefined (empty) when sd(d) is zero or, as in R, below
    10·ε·|mean(d)|. Wilcoxon signed-rank (R 4.2 ``wilcox.test(paired = TRUE)``):
    zero differences dropped; V = sum of the average ranks of |d| over the
    positive d; exact p when fewer than 50 non-zero differences and no ties and no
    zeros, else z = (V − n(n+1)/4 − ½·sign) / √(n(n+1)(2n+1)/24 − Σ(t³−t)/48).
    r_rb = (R+ − R−)/(R+ + R−) (Kerby 2014). d_z = mean(d)/sd(d);
    g_z = d_z·J(n−1); d_av = mean(d)/√((sd_pre² + sd_post²)/2); g_av = d_av·J(n−1);
    d_rm = d_z·√(2(1−r)) with r the pre-post Pearson correlation (Lakens 2013).

    Examples
    --------
    >>> out = paired_statistics(np.array([1., 2, 3, 4]), np.array([2., 4, 5, 4]),
    ...                         np.zeros(4, dtype=int), 1)
    >>> out[["n", "diff_mean", "wilcoxon_v"]].round(4).to_dict("records")
    [{'n': 4, 'diff_mean': 1.25, 'wilcoxon_v': 6.0}]
    """
    pre = np.asarray(pre, dtype=float)
    post = np.asarray(post, dtype=float)
    codes = np.asarray(codes, dtype=np.int64)
    moments, d, complete = _cell_moments(pre, post, codes, n_groups)
    if complete is not None:
        d, codes = d[complete], codes[complete]
    ranks = _rank_sums_sorted(d, codes, n_groups, np.argsort(np.abs(d), kind="stable"))
    return pd.DataFrame(_statistics(moments, ranks, ci_level, dz_ci))


def _rank_sums_sorted(d: np.ndarray, g: np.ndarray, G: int, abs_order: np.ndarray):
    """(V, Σ(t³−t), ties?, n non-zero) per group by one grouped sort of the rows.

    ``abs_order`` sorts the rows by |d|; a stable sort of the group codes on top of
    it (a radix sort for small integer codes) orders the rows by group, then |d|.
    """
    nonzero = d != 0
    by_abs = _restrict(abs_order, nonzero)
    dz = d[nonzero]
    gz = g[nonzero]
    small = gz.astype(np.int16 if G < 2**15 else np.int64)
    order = by_abs[np.argsort(small[by_abs], kind="stable")]
    ad = np.abs(dz[order])
    gs = gz[order]
    positive = dz[order] > 0
    m = len(ad)
    n_nz = np.bincount(gz, minlength=G)
    v = np.zeros(G)
    tie_term = np.zeros(G)
    has_ties = np.zeros(G, dtype=bool)
    if m:
        # runs of equal |d| within a group share their average rank
        new_run = np.empty(m, dtype=bool)
        new_run[0] = True
        new_run[1:] = (gs[1:] != gs[:-1]) | (ad[1:] != ad[:-1])
        run_start = np.flatnonzero(new_run)
        run_len = np.diff(np.append(run_start, m))
        group_start = np.zeros(G, dtype=np.int64)
        group_start[1:] = np.cumsum(n_nz)[:-1]
        run_group = gs[run_start]
        avg_rank = run_start - group_start[run_group] + (run_len + 1) / 2.0
        ranks = np.repeat(avg_rank, run_len)
        v = np.bincount(gs, weights=np.where(positive, ranks, 0.0), minlength=G)
        tl = run_len.astype(float)
        tie_term = np.bincount(run_group, weights=tl**3 - tl, minlength=G)
        has_ties = np.bincount(run_group, weights=(run_len > 1), minlength=G) > 0
    return v, tie_term, has_ties, n_nz


def _abs_histograms(d: np.ndarray, g: np.ndarray, G: int, max_cells: int):
    """Per cell, the count of every distinct |d| among the non-zero d, and of the
    positive ones; d may hold NaN (incomplete pairs), which count like zeros: not.

    The columns are the distinct |d| that occur, in increasing order. None when
    cells x distinct values exceeds ``max_cells`` (near-continuous d): then ranks
    are computed by sorting rows instead. Each row is counted once, in one of two
    histograms by its sign; |d| = 0 (and NaN) has a column of its own, dropped.
    """
    ad = np.fmax(np.abs(d), 0.0)  # NaN -> 0
    top = ad.max() if len(ad) else 0.0
    whole = ad.astype(np.int64) if top < 1 << 20 else None
    if whole is not None and np.array_equal(whole, ad):
        # whole-number differences (most scale scores): |d| is its own column, or its
        # place among the values that occur when the range is wide
        K = int(top) + 1
        if 2 * G * K > max_cells:
            seen = np.bincount(whole) > 0
            seen[0] = True
            whole = (np.cumsum(seen) - 1)[whole]
            K = int(seen.sum())
        index = whole
    else:
        # the distinct |d| in order and each row's place among them: a hash table, then a
        # sort of the (few) distinct values only; 0 first, present or not
        found, uniques = pd.factorize(ad)
        uniques = np.asarray(uniques)
        zero_absent = int(not (uniques == 0).any())
        place = np.empty(len(uniques), dtype=np.int64)
        place[np.argsort(uniques, kind="stable")] = np.arange(len(uniques)) + zero_absent
        index = place[found]
        K = len(uniques) + zero_absent
        if 2 * G * K > max_cells:
            return None
    flat = g * (2 * K) + index
    flat += (d > 0) * K
    count = np.bincount(flat, minlength=2 * G * K).reshape(G, 2, K)[:, :, 1:]
    positive = count[:, 1]
    count = count[:, 0] + positive
    occurs = count.any(axis=0)
    return count[:, occurs].astype(float), positive[:, occurs].astype(float)


def _combine_rows(matrix: np.ndarray, parent: np.ndarray, G: int) -> np.ndarray:
    keep = parent >= 0
    K = matrix.shape[1]
    flat = (parent[keep][:, None] * K + np.arange(K)).ravel()
    return np.bincount(flat, weights=matrix[keep].ravel(), minlength=G * K).reshape(G, K)


def _rank_sums_from_histograms(count: np.ndarray, positive: np.ndarray):
    """(V, Σ(t³−t), ties?, n non-zero) per group from its |d| histogram.

    The rows with the k-th smallest |d| share the average rank
    (number below) + (count + 1)/2; V adds it once per positive row.
    """
    below = np.cumsum(count, axis=1) - count
    avg_rank = below + (count + 1) / 2
    v = np.sum(positive * avg_rank, axis=1)
    tie_term = np.sum(count**3 - count, axis=1)
    return v, tie_term, (count > 1).any(axis=1), count.sum(axis=1).astype(np.int64)


def _signed_rank_test(v, tie_term, has_ties, n_nz, n):
    """Two-sided p (R 4.2 conventions) and r_rb from the signed-rank sums."""
    G = len(v)
    zeros = n > n_nz
    nz = n_nz.astype(float)
    exact = (n_nz > 0) & (n_nz < 50) & ~has_ties & ~zeros
    p = np.full(G, np.nan)
    if exact.any():
        p[exact] = signrank_pvalue(v[exact], n_nz[exact])
    approx = (n_nz > 0) & ~exact
    if approx.any():
        na = nz[approx]
        z = v[approx] - na * (na + 1) / 4
        sigma = np.sqrt(na * (na + 1) * (2 * na + 1) / 24 - tie_term[approx] / 48)
        z = (z - 0.5 * np.sign(z)) / sigma
        p[approx] = 2 * special.ndtr(-np.abs(z))
    total = nz * (nz + 1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        r_rb = np.where(n_nz > 0, (2 * v - total) / total, np.nan)
    # no pairs, no test (R: "not enough (non-missing) 'x' observations"): V is empty, not 0
    return np.where(n > 0, v, np.nan), p, r_rb


# --------------------------------------------------------------- whole table
def _check_arguments(ci_level: float | None = None, correction: str | None = None,
                     min_n: int | None = None) -> None:
    """Validate at the boundary: ``ci_level=95`` is an error with a message, not empty CIs."""
    if ci_level is not None and not (isinstance(ci_level, (int, float)) and 0 < ci_level < 1):
        hint = f" (did you mean {ci_level / 100:g}?)" if isinstance(ci_level, (int, float)) and 1 < ci_level < 100 \
            else ""
        raise ValueError(f"ci_level must be a proportion between 0 and 1, e.g. 0.95, not {ci_level!r}{hint}")
    if correction is not None and correction not in ("holm", "bonferroni", "fdr_bh", "none"):
        raise ValueError(f"unknown correction {correction!r}; use holm, bonferroni, fdr_bh or none")
    if min_n is not None and not (isinstance(min_n, (int, np.integer)) and not isinstance(min_n, bool)
                                  and min_n >= 1):
        raise ValueError(f"min_n must be a whole number of at least 1, not {min_n!r}")


def adjust_pvalues(results: pd.DataFrame, correction: str, min_n: int) -> pd.Series:
    """``p_t`` adjusted across the outcomes of each grouping and group.

    Only rows with ``n >= min_n`` and a defined ``p_t`` take part (the others are
    empty).

    Notes
    -----
    With m p-values of a group sorted ascending, p_(1) <= ... <= p_(m):
    Holm (1979): p̃_(i) = max_{j<=i} min(1, (m − j + 1) p_(j));
    Bonferroni: min(1, m p); Benjamini-Hochberg (1995):
    p̃_(i) = min_{j>=i} min(1, m p_(j) / j). Identical to R's ``p.adjust`` and to
    ``statsmodels.stats.multitest.multipletests`` (tested against it), but computed
    for all groups in one grouped pass: ``multipletests`` runs a full garbage
    collection on every call, 60 ms each, which is minutes for thousands of cells.

    Examples
    --------
    >>> res = pd.DataFrame({"grouping": "all", "group": "all", "n": [20, 20, 3],
    ...                     "p_t": [0.01, 0.04, 0.001]})
    >>> adjust_pvalues(res, "holm", min_n=5).tolist()
    [0.02, 0.04, nan]
    """
    adjusted = pd.Series(np.nan, index=results.index)
    eligible = (results["n"] >= min_n) & results["p_t"].notna()
    if not eligible.any():
        return adjusted
    if correction == "none":
        adjusted[eligible] = results.loc[eligible, "p_t"]
        return adjusted
    sub = results.loc[eligible, ["grouping", "group", "p_t"]]
    codes = sub.groupby(["grouping", "group"], sort=False).ngroup().to_numpy()
    p = sub["p_t"].to_numpy(dtype=float)
    order = np.lexsort((p, codes))
    g_sorted, p_sorted = codes[order], p[order]
    m = np.bincount(codes)[g_sorted].astype(float)
    start = np.r_[0, np.flatnonzero(np.diff(g_sorted)) + 1]
    rank = np.arange(len(p)) - np.repeat(start, np.diff(np.r_[start, len(p)])) + 1.0
    if correction == "holm":
        raw = pd.Series(np.minimum(1.0, (m - rank + 1) * p_sorted))
        adj = raw.groupby(g_sorted).cummax().to_numpy()
    elif correction == "bonferroni":
        adj = np.minimum(1.0, m * p_sorted)
    elif correction == "fdr_bh":
        raw = pd.Series(np.minimum(1.0, m * p_sorted / rank)[::-1])
        adj = raw.groupby(g_sorted[::-1]).cummin().to_numpy()[::-1]
    else:
        raise ValueError(f"unknown correction {correction!r}; use holm, bonferroni, fdr_bh or none")
    out = np.empty(len(p))
    out[order] = adj
    adjusted[eligible] = out
    return adjusted


def results_table(pairs: pd.DataFrame, groupings: Sequence[Sequence[str]], *,
                  ci_level: float = 0.95, correction: str = "holm", min_n: int = 5,
                  contrast: tuple[str, str] = ("pre", "post"),
                  max_histogram_cells: int = 4_000_000) -> pd.DataFrame:
    """The full (unsuppressed) results table of CONTRACT section 4.

    ``pairs`` is :func:`evaluation.measures.complete_pairs` output; ``groupings``
    lists the grouping columns (``[]`` = the overall row). When ``pairs`` has
    ``from_wave``/``to_wave`` columns every contrast in it is analysed on its own
    (``p_t_adj`` within the contrast) and the tables are stacked in the order the
    contrasts first appear; otherwise ``contrast`` names the waves of ``pre`` and
    ``post``. Within a contrast rows are ordered by outcome (in order of first
    appearance), grouping (as given) and group.

    Notes
    -----
    For each outcome, one pass over its rows gives the moments of every finest
    cell (all grouping columns at once, a missing value being a category of its
    own; a pair without both scores counts in its cell's n_pre or n_post, and its
    row is put in an extra cell instead of being picked out); every grouping's
    cells are then combined from those. Signed ranks come
    from per-cell histograms of |d| when the differences take few distinct values
    (scale scores do), combined the same way; otherwise from one sort of |d| per
    outcome plus a radix sort of cell codes per grouping. The d_z intervals,
    adjusted p-values and suppression are computed last, on the whole table.

    Examples
    --------
    >>> pairs = pd.DataFrame({"outcome": "o", "pid": list("abcdefg"),
    ...                       "pre": [10., 12, 9, 14, 11, 13, 8], "post": [12., 15, 9, 15, 14, 13, 11],
    ...                       "municipality": list("AAAABBB")})
    >>> res = results_table(pairs, [[], ["municipality"]])
    >>> res[["grouping", "group", "n", "diff_mean", "wilcoxon_v", "suppressed"]]
           grouping group  n  diff_mean  wilcoxon_v  suppressed
    0           all   all  7   1.714286        15.0       False
    1  municipality     A  4   1.500000         6.0        True
    2  municipality     B  3   2.000000         3.0        True
    """
    _check_arguments(ci_level=ci_level, correction=correction, min_n=min_n)
    missing = {"outcome", "pid", "pre", "post", *(c for g in groupings for c in g)} - set(pairs.columns)
    if missing:
        raise ValueError(f"pairs lacks the column(s) {', '.join(sorted(missing))}; "
                         "make it with evaluation.measures.complete_pairs(scores, outcomes, group_columns)")
    if {"from_wave", "to_wave"} <= set(pairs.columns):
        keys = pairs[["from_wave", "to_wave"]].astype(str)
        order = list(keys.drop_duplicates().itertuples(index=False, name=None))  # in order of appearance
        if not order:
            return pd.DataFrame(columns=RESULT_COLUMNS)
        parts = [results_table(pairs[(keys["from_wave"] == a).to_numpy() & (keys["to_wave"] == b).to_numpy()]
                               .drop(columns=["from_wave", "to_wave"]), groupings, ci_level=ci_level,
                               correction=correction, min_n=min_n, contrast=(a, b),
                               max_histogram_cells=max_histogram_cells) for a, b in order]
        return pd.concat(parts, ignore_index=True)
    columns = list(dict.fromkeys(c for g in groupings for c in g))  # every grouped column, first use first
    factors = {}
    for c in columns:
        values = pairs[c]
        if isinstance(values.dtype, pd.CategoricalDtype):  # its codes, in its categories' order
            codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
        else:
            codes, uniques = pd.factorize(values, sort=True)
        # a missing value (code -1) gets code len(uniques): a category that no grouping shows
        factors[c] = (codes, np.asarray(uniques, dtype=object), bool(len(codes)) and codes.min() < 0)
    sizes = [len(factors[c][1]) + 1 for c in columns]
    space = int(np.prod(sizes, dtype=np.int64))
    pre_all = pairs["pre"].to_numpy(dtype=float)
    post_all = pairs["post"].to_numpy(dtype=float)
    blocks = []  # (outcome, grouping, group labels, columns) of every outcome and grouping
    for outcome, rows in _outcome_rows(pairs["outcome"]):
        pre, post = pre_all[rows], post_all[rows]
        key = np.zeros(len(pre), dtype=np.int64)
        for c, size in zip(columns, sizes):
            codes, _, has_missing = factors[c]
            key *= size
            key += np.where(codes[rows] < 0, size - 1, codes[rows]) if has_missing else codes[rows]
        if space <= min(4096, len(key) + 64):  # few possible cells: each is its own, used or not
            fine_keys, fine = np.arange(space), key
        elif space <= 4 * len(key) + 1024:  # compact the used ones in O(n), no sort
            used = np.bincount(key, minlength=space) > 0
            fine_keys = np.flatnonzero(used)
            fine = (np.cumsum(used) - 1)[key]
        else:
            fine_keys, fine = np.unique(key, return_inverse=True)
        C = len(fine_keys)
        fine_columns = {}  # the code of every column in each finest cell
        rest = fine_keys.copy()
        for c, size in reversed(list(zip(columns, sizes))):
            fine_columns[c] = rest % size
            rest //= size
        moments, d, complete = _cell_moments(pre, post, fine, C)
        histograms = _abs_histograms(d, fine, C, max_histogram_cells)
        if histograms is None:  # ranks by sorting the complete pairs
            fine_both = fine if complete is None else fine[complete]
            d = d if complete is None else d[complete]
            abs_order = np.argsort(np.abs(d), kind="stable")
        for grouping in groupings:
            present = np.ones(C, dtype=bool)
            group_key = np.zeros(C, dtype=np.int64)
            for c in grouping:
                size = len(factors[c][1]) + 1
                present &= fine_columns[c] < size - 1
                group_key = group_key * size + fine_columns[c]
            keys, parent = np.unique(group_key[present], return_inverse=True)
            parent_of = np.full(C, -1, dtype=np.int64)
            parent_of[present] = parent
            G = len(keys)
            combined = _combine_moments(moments, parent_of, G)
            if histograms is not None:
                ranks = _rank_sums_from_histograms(_combine_rows(histograms[0], parent_of, G),
                                                   _combine_rows(histograms[1], parent_of, G))
            else:
                g_rows = parent_of[fine_both]
                keep = g_rows >= 0
                ranks = _rank_sums_sorted(d[keep], g_rows[keep], G, _restrict(abs_order, keep))
            out = _statistics(combined, ranks, ci_level, dz_ci=False)
            labels = []
            for value in keys:
                parts = []
                for c in reversed(grouping):
                    size = len(factors[c][1]) + 1
                    parts.append(str(factors[c][1][value % size]))
                    value //= size
                labels.append("+".join(reversed(parts)) if grouping else "all")
            labels = np.array(labels, dtype=object)
            shown = np.flatnonzero(out["n_pre"] + out["n_post"] > 0)  # groups with anyone in them
            rows_out = shown[np.argsort(labels[shown], kind="stable")]  # in the order of their labels
            blocks.append((outcome, "+".join(grouping) if grouping else "all", labels[rows_out],
                           {name: column[rows_out] for name, column in out.items()}))
    if not blocks:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    sizes_out = [len(block[2]) for block in blocks]
    table = pd.DataFrame({
        "outcome": np.repeat(np.array([b[0] for b in blocks], dtype=object), sizes_out),
        "grouping": np.repeat(np.array([b[1] for b in blocks], dtype=object), sizes_out),
        "group": np.concatenate([b[2] for b in blocks]),
        **{name: np.concatenate([b[3][name] for b in blocks]) for name in blocks[0][3]},
    })
    n = table["n"].to_numpy(dtype=float)
    table["d_z_ci_low"], table["d_z_ci_high"] = dz_confidence_interval(
        table["d_z"].to_numpy() * np.sqrt(n), n - 1, n, ci_level)
    table["p_t_adj"] = adjust_pvalues(table, correction, min_n)
    table["suppressed"] = table["n"] < min_n  # primary only: disclosure.py decides what is published
    table["from_wave"], table["to_wave"] = contrast
    for c in ("n", "n_pre", "n_post"):
        table[c] = table[c].astype("int64")
    return table[RESULT_COLUMNS]
