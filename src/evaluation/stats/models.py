"""Models beyond the paired test, computed as R computes them.

* :func:`ols` -- ``lm``: least squares with R's rule for aliased columns (a column
  in the span of the columns before it is dropped and its coefficient is empty,
  never split between collinear columns as a pseudo-inverse would);
* :func:`coef_test`, :func:`f_test` -- ``summary.lm``, ``confint`` and ``anova`` of
  nested models;
* :func:`ancova_nested` -- the same fits of an ANCOVA whose other terms are factors
  (:class:`FactorDesign`) from two rows per combination of levels, and its CR2 test from
  each row's few non-zero entries: O(n) for any number of municipalities;
* :func:`cr2_test` -- ``clubSandwich::coef_test(vcovCR(fit, type = "CR2"),
  test = "Satterthwaite")``: the bias-reduced cluster-robust SE of Bell & McCaffrey
  and its Satterthwaite df;
* :func:`reml_intercept` -- ``lme4::lmer(y ~ X + (1 | group), REML = TRUE)`` with
  ``lmerTest``'s Satterthwaite df for one fixed coefficient;
* :func:`welch_test`, :func:`cohens_d` -- ``t.test(var.equal = FALSE)``,
  ``effectsize::cohens_d`` / ``hedges_g`` with the exact noncentral-t CI.

statsmodels is not used for the mixed model: its ``MixedLM`` inverts the joint
Hessian for the fixed-effect SEs, stops short of the REML optimum and fails at a
zero variance (shared/reference/README.md, ``design/``). The random-intercept model
has closed forms per group (every block of V is ``a I + b 11'``), so the REML fit is a
one-dimensional optimisation and every derivative the Satterthwaite df needs is
exact, in O(n p²).

References
----------
* Bell, R. M. & McCaffrey, D. F. (2002). Bias reduction in standard errors for
  linear regression with multi-stage samples. Survey Methodology 28, 169-181.
* Pustejovsky, J. E. & Tipton, E. (2018). Small-sample methods for cluster-robust
  variance estimation and hypothesis testing in fixed effects models. JBES 36, 672-683.
* Kuznetsova, A., Brockhoff, P. B. & Christensen, R. H. B. (2017). lmerTest package:
  tests in linear mixed effects models. JSS 82(13).
* Bates, D., Mächler, M., Bolker, B. & Walker, S. (2015). Fitting linear mixed-effects
  models using lme4. JSS 67(1).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from .paired import dz_confidence_interval, hedges_j

__all__ = ["OLSFit", "ols", "ols_nested", "FactorDesign", "FactorFit", "ancova_nested", "ClusterIndex", "coef_test", "f_test", "cr2_test", "REMLFit", "reml_intercept", "GroupTypes",
           "reml_intercept_many", "intercept_cr2", "welch_test", "cohens_d"]

ALIAS_TOLERANCE = 1e-7  # R's lm (dqrdc2): a column whose remainder is below tol x its norm is aliased
SINGULAR_TOLERANCE = 1e-4  # lme4's isSingular: a relative SD (theta) below this is on the boundary


def _t_quantile(level: float, df):
    return special.stdtrit(df, 0.5 + level / 2)


def _t_p(t, df):
    return 2 * special.stdtr(df, -np.abs(t))


# ----------------------------------------------------------------------------- lm
@dataclass
class OLSFit:
    """A least-squares fit. ``coef`` and ``se`` have one entry per column of ``X``;
    an aliased column's are NaN. ``X`` and ``cov_unscaled`` are the estimable columns'."""

    coef: np.ndarray
    se: np.ndarray
    aliased: np.ndarray
    df_resid: int
    rss: float
    resid: np.ndarray
    X: np.ndarray
    cov_unscaled: np.ndarray  # (X'X)^-1 of the estimable columns

    @property
    def rank(self) -> int:
        return int((~self.aliased).sum())

    def position(self, column: int) -> int | None:
        """Index of ``column`` among the estimable columns (None when aliased)."""
        if self.aliased[column]:
            return None
        return int((~self.aliased[:column]).sum())


def ols(y: np.ndarray, X: np.ndarray, n: int | None = None, extra_rss: float = 0.0) -> OLSFit:
    """``lm(y ~ X - 1)``: columns in the span of those before them are aliased.

    ``n`` and ``extra_rss`` fit a model given as compressed rows (an orthogonal
    transform of the data, see :func:`ancova_nested`): the data's number of rows and
    the part of the residual sum of squares the compressed rows leave out.

    Examples
    --------
    >>> X = np.column_stack([np.ones(4), [0, 1, 0, 1], [0, 1, 0, 1]])
    >>> fit = ols(np.array([1.0, 3.0, 2.0, 4.0]), X)
    >>> fit.coef.round(6).tolist(), fit.aliased.tolist(), fit.df_resid
    ([1.5, 2.0, nan], [False, False, True], 2)
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    n_data = n if n is not None else len(y)
    n, p = X.shape
    # |r_jj| of a QR is the distance of column j from the span of the columns before it
    # (R's dqrdc2 moves such a column to the end and calls it aliased)
    norms = np.linalg.norm(X, axis=0)
    aliased = norms == 0
    q = r = None
    while n and (~aliased).any():
        # as dqrdc2, one aliased column at a time, left to right: the factor of the
        # columns after it must not lean on its rounding-error remainder
        keep = np.flatnonzero(~aliased)
        q, r = np.linalg.qr(X[:, keep])
        r_diag = np.r_[np.abs(np.diag(r)), np.zeros(len(keep) - min(n, len(keep)))]
        small = np.flatnonzero(r_diag <= ALIAS_TOLERANCE * norms[keep])
        if not len(small):
            break
        aliased[keep[small[0]]] = True
        q = r = None
    Xk = X[:, ~aliased]
    coef = np.full(p, np.nan)
    se = np.full(p, np.nan)
    df = n_data - Xk.shape[1]
    if Xk.shape[1] == 0:
        return OLSFit(coef, se, aliased, df, float(y @ y) + extra_rss, y.copy(), Xk, np.zeros((0, 0)))
    beta = np.linalg.solve(r, q.T @ y)
    resid = y - Xk @ beta
    rss = float(resid @ resid) + extra_rss
    r_inv = np.linalg.inv(r)
    cov = r_inv @ r_inv.T
    coef[~aliased] = beta
    if df > 0:
        se[~aliased] = np.sqrt(np.diag(cov) * rss / df)
    return OLSFit(coef, se, aliased, df, rss, resid, Xk, cov)


def ols_nested(y: np.ndarray, X: np.ndarray, k: int) -> tuple[OLSFit, OLSFit]:
    """``lm(y ~ X[:, :k] - 1)`` and ``lm(y ~ X - 1)`` from one triangular factor.

    Householder QR without pivoting gives R, whose leading k x k block is the R of the
    first k columns; with w = R'⁻¹ X'y (corrected once against the residual:
    semi-normal equations with a refinement step) both fits, their residual sums of
    squares and covariances follow without forming Q. When any column is aliased
    (R's rule, as :func:`ols`) each model is fitted on its own by :func:`ols`.
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    return _nested(y, X, k, len(y), 0.0)


def _nested(y: np.ndarray, X: np.ndarray, k: int, n: int, extra_rss: float) -> tuple[OLSFit, OLSFit]:
    """:func:`ols_nested` of rows that may be compressed (``n`` data rows, ``extra_rss``
    left out of ``y``)."""
    from scipy import linalg

    rows, p = X.shape
    if rows < p or n <= p or p == 0:
        return ols(y, X[:, :k], n, extra_rss), ols(y, X, n, extra_rss)
    r = linalg.qr(X, mode="r", check_finite=False)[0][:p]
    norms = np.linalg.norm(X, axis=0)
    if ((norms == 0) | (np.abs(np.diag(r)) <= ALIAS_TOLERANCE * norms)).any():
        return ols(y, X[:, :k], n, extra_rss), ols(y, X, n, extra_rss)

    def fit(cols: int) -> OLSFit:
        R = r[:cols, :cols]
        Xk = X[:, :cols]
        beta = linalg.cho_solve((R, False), Xk.T @ y, check_finite=False)
        resid = y - Xk @ beta
        beta = beta + linalg.cho_solve((R, False), Xk.T @ resid, check_finite=False)  # one refinement
        resid = y - Xk @ beta
        rss = float(resid @ resid) + extra_rss
        r_inv = linalg.solve_triangular(R, np.eye(cols), check_finite=False)
        cov = r_inv @ r_inv.T
        df = n - cols
        se = np.sqrt(np.diag(cov) * rss / df) if df > 0 else np.full(cols, np.nan)
        return OLSFit(beta, se, np.zeros(cols, dtype=bool), df, rss, resid, Xk, cov)

    return fit(k), fit(p)


# ----------------------------------------------------- ANCOVA with factor terms
@dataclass
class FactorDesign:
    """The design ``[1, pre, treatment dummies of each factor]`` of an ANCOVA whose other
    terms are factors, kept as codes: ``codes[f][i]`` is row i's level of factor f
    (0 its reference level, no column) among ``n_levels[f]``. A row has at most
    2 + (number of factors) non-zero entries, which is all the fits below use."""

    pre: np.ndarray
    codes: list[np.ndarray]
    n_levels: list[int]

    def width(self, factors: int | None = None) -> int:
        """Columns of the design with the first ``factors`` factors (None: all)."""
        return 2 + sum(L - 1 for L in self.n_levels[:factors])

    def entries(self) -> tuple[np.ndarray, np.ndarray]:
        """Each row's non-zero entries as column indices and values, (n, 2 + factors)
        each; a reference level's entry is the value 0 at column 0."""
        if getattr(self, "_entries", None) is None:
            self._entries = self._make_entries()
        return self._entries

    def _make_entries(self) -> tuple[np.ndarray, np.ndarray]:
        n = len(self.pre)
        idx = np.zeros((n, 2 + len(self.codes)), dtype=np.int64)
        val = np.zeros(idx.shape)
        idx[:, 1], val[:, 0], val[:, 1] = 1, 1.0, self.pre
        offset = 2
        for f, (codes, L) in enumerate(zip(self.codes, self.n_levels)):
            on = codes > 0
            idx[on, 2 + f] = offset + codes[on] - 1
            val[on, 2 + f] = 1.0
            offset += L - 1
        return idx, val

    def dense(self, rows: np.ndarray | None = None) -> np.ndarray:
        """The design matrix (of ``rows``), for small cells and tests."""
        idx, val = self.entries()
        if rows is not None:
            idx, val = idx[rows], val[rows]
        X = np.zeros((len(idx), self.width()))
        np.add.at(X, (np.repeat(np.arange(len(idx)), idx.shape[1]), idx.ravel()), val.ravel())
        return X


@dataclass
class FactorFit(OLSFit):
    """An :class:`OLSFit` of a :class:`FactorDesign` fitted from compressed rows: ``X``
    and ``resid`` are the compressed ones; :meth:`residuals` gives the data's."""

    design: FactorDesign | None = None
    y: np.ndarray | None = None

    def residuals(self) -> np.ndarray:
        idx, val = self.design.entries()
        beta = np.zeros(len(self.aliased))
        beta[~self.aliased] = self.coef[~self.aliased]
        return self.y - (val * beta[idx]).sum(axis=1)


def ancova_nested(y: np.ndarray, design: FactorDesign, factors: int) -> tuple[FactorFit, FactorFit]:
    """:func:`ols_nested` of ``y`` on ``design`` with its first ``factors`` factors and
    with all, from two rows per combination of factor levels (a pattern).

    Within a pattern the rows differ only in ``pre``; the orthogonal transform whose
    first two directions are the pattern's constant and its centred ``pre`` maps its
    rows to [√m·(1, mean pre, dummies)] and [0, ‖pre − mean‖, 0...], the same R as the
    QR of all rows (column norms too, so R's aliasing rule is unchanged), and ``y`` to
    [√m·mean y, (centred pre · centred y)/‖centred pre‖] plus a remainder that adds to
    the residual sum of squares of every model in the span. 100,000 rows with 98
    municipalities become 400.
    """
    y = np.asarray(y, dtype=float)
    pre = np.asarray(design.pre, dtype=float)
    n = len(y)
    if design.codes:
        import pandas as pd

        pattern, uniques = pd.factorize(np.ravel_multi_index(tuple(design.codes), tuple(design.n_levels)))
        first = np.full(len(uniques), n)
        np.minimum.at(first, pattern, np.arange(n))
    else:
        first, pattern = np.zeros(min(n, 1), dtype=np.int64), np.zeros(n, dtype=np.int64)
    G = len(first)
    size = np.bincount(pattern, minlength=G).astype(float)
    mean_pre = np.bincount(pattern, pre, G) / size
    low, high = np.full(G, np.inf), np.full(G, -np.inf)
    np.minimum.at(low, pattern, pre)
    np.maximum.at(high, pattern, pre)
    pc = np.where((low < high)[pattern], pre - mean_pre[pattern], 0.0)  # a constant pre: exactly 0
    mean_y = np.bincount(pattern, y, G) / size
    yc = y - mean_y[pattern]
    css = np.bincount(pattern, pc * pc, G)
    sxy = np.bincount(pattern, pc * yc, G)
    syy = np.bincount(pattern, yc * yc, G)
    spread = css > 0
    top = np.sqrt(size)[:, None] * design.dense(first)
    top[:, 1] = np.sqrt(size) * mean_pre
    bottom = np.zeros((int(spread.sum()), top.shape[1]))
    bottom[:, 1] = np.sqrt(css[spread])
    Xc = np.vstack([top, bottom])
    yc_rows = np.r_[np.sqrt(size) * mean_y, sxy[spread] / np.sqrt(css[spread])]
    extra = float(np.clip(syy - np.where(spread, sxy**2 / np.where(spread, css, 1.0), 0.0), 0.0, None).sum())
    reduced, full = _nested(yc_rows, Xc, design.width(factors), n, extra)
    fits = []
    for fit, sub in ((reduced, FactorDesign(pre, design.codes[:factors], design.n_levels[:factors])),
                     (full, design)):
        fits.append(FactorFit(fit.coef, fit.se, fit.aliased, fit.df_resid, fit.rss, fit.resid, fit.X,
                              fit.cov_unscaled, design=sub, y=y))
    return fits[0], fits[1]


def coef_test(fit: OLSFit, column: int, level: float = 0.95) -> dict[str, float]:
    """``summary(fit)`` and ``confint(fit, level)`` of one coefficient:
    ``diff, se, t, df, p, ci_low, ci_high`` (all NaN when aliased or df < 1)."""
    keys = ("diff", "se", "t", "df", "p", "ci_low", "ci_high")
    if fit.aliased[column] or fit.df_resid < 1:
        return dict.fromkeys(keys, np.nan)
    b, s, df = fit.coef[column], fit.se[column], fit.df_resid
    t = b / s if s > 0 else np.nan
    q = _t_quantile(level, df)
    return dict(zip(keys, (b, s, t, float(df), _t_p(t, df), b - q * s, b + q * s)))


def f_test(reduced: OLSFit, full: OLSFit) -> dict[str, float]:
    """``anova(reduced, full)``: ``F, df1, df2, p`` (NaN when the full model adds no
    estimable column or has no residual df)."""
    df1 = full.rank - reduced.rank
    df2 = full.df_resid
    if df1 < 1 or df2 < 1 or full.rss <= 0:
        return {"F": np.nan, "df1": np.nan, "df2": np.nan, "p": np.nan}
    F = ((reduced.rss - full.rss) / df1) / (full.rss / df2)
    return {"F": F, "df1": float(df1), "df2": float(df2), "p": float(special.fdtrc(df1, df2, F))}


def _inverse_sqrt_psd(m: np.ndarray) -> np.ndarray:
    """Symmetric (I - H_jj)^(-1/2) of a stack of matrices; eigenvalues <= 1e-12 give 0."""
    if m.shape[-1] == 2:  # closed form: B^(1/2) = (B + √det I) / √(tr + 2√det)
        a, b, d = m[..., 0, 0], m[..., 0, 1], m[..., 1, 1]
        half = np.sqrt(((a - d) / 2) ** 2 + b**2)
        low = (a + d) / 2 - half
        if (low > 1e-12).all():
            root_det = np.sqrt(a * d - b * b)
            scale = np.sqrt(a + d + 2 * root_det)
            sa, sb, sd = (a + root_det) / scale, b / scale, (d + root_det) / scale  # B^(1/2)
            det = sa * sd - sb * sb
            out = np.empty_like(m)
            out[..., 0, 0], out[..., 0, 1], out[..., 1, 0], out[..., 1, 1] = sd / det, -sb / det, -sb / det, sa / det
            return out
    values, vectors = np.linalg.eigh(m)
    inv = np.where(values > 1e-12, 1.0 / np.sqrt(np.clip(values, 1e-300, None)), 0.0)
    return np.einsum("...ik,...k,...jk->...ij", vectors, inv, vectors)


def cr2_test(fit: OLSFit, clusters: np.ndarray, column: int, level: float = 0.95) -> dict[str, float]:
    """CR2 cluster-robust test of one coefficient with Satterthwaite df (clubSandwich).

    With M = (X'X)^-1, H = X M X' and, per cluster j, A_j = (I - H_jj)^(-1/2):
    V = M (Σ_j X_j' A_j e_j e_j' A_j X_j) M. For the coefficient's unit vector c,
    g_j = (I - H)[:, j] A_j X_j M c and P = G'G; df = (tr P)² / Σ P_ij². P is never
    formed: with v_j = A_j X_j M c, q_j = X_j' v_j, w_j = M q_j it is
    diag(|v_j|²) - Q'W - W'Q + W'(X'X)W, whose trace and Frobenius norm need only
    p x p products. Returns ``se, t, df, p, ci_low, ci_high`` (NaN with < 2 clusters
    or an aliased coefficient).
    """
    keys = ("se", "t", "df", "p", "ci_low", "ci_high")
    k = fit.position(column)
    index = clusters if isinstance(clusters, ClusterIndex) else ClusterIndex(clusters)
    J = index.J
    if k is None or J < 2:
        return dict.fromkeys(keys, np.nan)
    if isinstance(fit, FactorFit):
        return _cr2_factor(fit, index, column, k, level)
    X, e, M = fit.X, fit.resid, fit.cov_unscaled
    p = X.shape[1]
    c = np.zeros(p)
    c[k] = 1.0
    Mc = M @ c
    meat = np.zeros((p, p))
    v_sq = np.zeros(J)
    Q = np.zeros((p, J))
    for m, which, rows in index.blocks:  # clusters of one size at once
        Xj = X[rows]  # (clusters, m, p)
        Hjj = np.einsum("cip,cjp->cij", Xj @ M, Xj)
        A = _inverse_sqrt_psd(np.eye(m)[None] - Hjj)
        u = np.einsum("cij,cjp->cip", A, Xj)  # A_j X_j
        s = np.einsum("cip,ci->cp", u, e[rows])  # X_j' A_j e_j
        meat += s.T @ s
        v = u @ Mc  # (clusters, m)
        v_sq[which] = (v**2).sum(axis=1)
        Q[:, which] = np.einsum("cip,ci->pc", Xj, v)
    V = M @ meat @ M
    se = float(np.sqrt(c @ V @ c))
    W = M @ Q
    G = X.T @ X
    diag_L = -2 * (Q * W).sum(axis=0) + (W * (G @ W)).sum(axis=0)
    trace = float(v_sq.sum() + diag_L.sum())
    R = np.vstack([Q, W])
    B = np.block([[np.zeros((p, p)), -np.eye(p)], [-np.eye(p), G]])
    S = R @ R.T
    frob = float((v_sq**2).sum() + 2 * (v_sq * diag_L).sum() + np.trace(B @ S @ B @ S))
    df = trace**2 / frob if frob > 0 else np.nan
    b = fit.coef[column]
    t = b / se if se > 0 else np.nan
    q = _t_quantile(level, df)
    return dict(zip(keys, (se, t, df, _t_p(t, df), b - q * se, b + q * se)))


class ClusterIndex:
    """The rows of each cluster, grouped by cluster size: ``blocks`` holds per size m
    the clusters' numbers and their rows as a (clusters, m) array. Made once for the
    many tests of one cell (:func:`cr2_test` takes it in place of the cluster values)."""

    def __init__(self, clusters):
        codes, _ = _codes(clusters)
        self.J = int(codes.max()) + 1 if len(codes) else 0
        order = np.argsort(codes, kind="stable")
        sizes = np.bincount(codes, minlength=self.J)
        starts = np.r_[0, np.cumsum(sizes)[:-1]]
        self.blocks = []
        for m in np.unique(sizes):
            which = np.flatnonzero(sizes == m)
            self.blocks.append((int(m), which, order[starts[which][:, None] + np.arange(m)[None, :]]))


def _cr2_factor(fit: FactorFit, index: ClusterIndex, column: int, k: int, level: float) -> dict[str, float]:
    """:func:`cr2_test` of a :class:`FactorFit` from each row's few non-zero entries.

    With c the coefficient's unit vector, v_j = A_j X_j M c per cluster: the variance
    is Σ_j (v_j' e_j)² and, since M X'X M = M, the Satterthwaite matrix is
    P = diag(|v_j|²) - Q'MQ with Q_j = X_j' v_j, so tr P = Σ|v_j|² - Σ v_j'H_jj v_j and
    ‖P‖² = Σ|v_j|⁴ - 2 Σ|v_j|² v_j'H_jj v_j + tr(MKMK), K = QQ' (sparse: each Q_j
    has a few entries). H_jj is gathered from M entry by entry: O(n) in all.
    """
    from scipy import sparse

    keys = ("se", "t", "df", "p", "ci_low", "ci_high")
    est = np.cumsum(~fit.aliased) - 1  # column -> position among the estimable ones
    idx, val = fit.design.entries()
    if fit.aliased.any():
        val = np.where(fit.aliased[idx], 0.0, val)
        idx = np.where(fit.aliased[idx], 0, est[idx])
    e = fit.residuals()
    M = fit.cov_unscaled
    p = M.shape[0]
    x_mc = (val * M[:, k][idx]).sum(axis=1)
    J = index.J
    w = idx.shape[1]
    ve = np.zeros(J)
    v_sq = np.zeros(J)
    vhv = np.zeros(J)
    q_rows, q_cols, q_vals = [], [], []
    for m, which, rows in index.blocks:
        I, V = idx[rows], val[rows]  # (clusters, m, w)
        if m == 1:  # H_jj is a number: A_j = (1 - H_jj)^(-1/2)
            h = np.einsum("cs,ct,cst->c", V[:, 0], V[:, 0], M[I[:, 0, :, None], I[:, 0, None, :]])
            H = h[:, None, None]
            v = np.where(1 - h > 1e-12, 1 / np.sqrt(np.clip(1 - h, 1e-300, None)), 0.0)[:, None] * x_mc[rows]
        else:
            H = np.einsum("cas,cbt,cabst->cab", V, V, M[I[:, :, None, :, None], I[:, None, :, None, :]])
            v = np.einsum("cab,cb->ca", _inverse_sqrt_psd(np.eye(m)[None] - H), x_mc[rows])
        ve[which] = (v * e[rows]).sum(axis=1)
        v_sq[which] = (v**2).sum(axis=1)
        vhv[which] = np.einsum("ca,cab,cb->c", v, H, v)
        q_rows.append(I.ravel())
        q_cols.append(np.repeat(which, m * w))
        q_vals.append((v[:, :, None] * V).ravel())
    q_rows, q_cols, q_vals = np.concatenate(q_rows), np.concatenate(q_cols), np.concatenate(q_vals)
    if p * J <= 1_000_000:  # K = QQ' of a dense Q
        Q = np.bincount(q_rows * J + q_cols, q_vals, p * J).reshape(p, J)
        K = Q @ Q.T
    else:
        Q = sparse.csr_array((q_vals, (q_rows, q_cols)), shape=(p, J))
        K = (Q @ Q.T).toarray()
    MK = M @ K
    se = float(np.sqrt((ve**2).sum()))
    trace = float(v_sq.sum() - vhv.sum())
    frob = float((v_sq**2).sum() - 2 * (v_sq * vhv).sum() + (MK * MK.T).sum())
    df = trace**2 / frob if frob > 0 else np.nan
    b = fit.coef[column]
    t = b / se if se > 0 else np.nan
    q = _t_quantile(level, df)
    return dict(zip(keys, (se, t, df, _t_p(t, df), b - q * se, b + q * se)))


def intercept_cr2(sizes: np.ndarray, totals: np.ndarray, level: float = 0.95) -> dict[str, float]:
    """:func:`cr2_test` of ``lm(y ~ 1)`` from each cluster's size and sum of y alone.

    With X = 1, H_jj = 11'/n, so A_j = (I - H_jj)^(-1/2) has the eigenvalue
    1/√(1 - m_j/n) on 1 and 1 elsewhere: X_j'A_j e_j = (T_j - m_j ȳ)/√(1 - m_j/n), and in
    the Satterthwaite matrix P = diag(d) - q q'/n with d_j = m_j / (n²(1 - m_j/n)) and
    q_j = m_j / (n √(1 - m_j/n)).
    """
    m = np.asarray(sizes, dtype=float)
    n = m.sum()
    mean = np.asarray(totals, dtype=float).sum() / n
    keep = 1 - m / n > 1e-12  # a cluster holding everyone has no residual of its own
    shrink = np.where(keep, 1 - m / n, 1.0)
    e = np.where(keep, (np.asarray(totals, dtype=float) - m * mean) / np.sqrt(shrink), 0.0)
    se = float(np.sqrt((e**2).sum()) / n)
    d = np.where(keep, m / (n**2 * shrink), 0.0)
    q = np.where(keep, m / (n * np.sqrt(shrink)), 0.0)
    q2 = (q**2).sum()
    trace = d.sum() - q2 / n
    frob = (d**2).sum() - 2 * (d * q**2).sum() / n + q2**2 / n**2
    df = trace**2 / frob if frob > 0 else np.nan
    t = mean / se if se > 0 else np.nan
    half = _t_quantile(level, df) * se
    return {"se": se, "t": t, "df": df, "p": float(_t_p(t, df)), "ci_low": mean - half, "ci_high": mean + half}


def _codes(values) -> tuple[np.ndarray, np.ndarray]:
    """Codes 0, 1, ... of the values (in order of appearance) and the values."""
    import pandas as pd

    values = np.asarray(values)
    codes, uniques = pd.factorize(values if values.dtype.kind in "iub" else values.astype(str))
    return codes.astype(np.int64), np.asarray(uniques)


# ------------------------------------------------------------------ mixed model
@dataclass
class REMLFit:
    """``lmer(y ~ X + (1 | group), REML = TRUE)``: fixed effects, their covariance
    ``C = (X'V^-1 X)^-1``, the two variances and lme4's singular flag."""

    coef: np.ndarray
    cov: np.ndarray
    var_group: float
    var_resid: float
    singular: bool
    _parts: dict

    def test(self, column: int, level: float = 0.95) -> dict[str, float]:
        """``summary(fit, ddf = "Satterthwaite")`` of one coefficient: ``estimate, se, df,
        t, p, ci_low, ci_high`` (CI = estimate ± t quantile x se, as lmerTest)."""
        est = float(self.coef[column])
        se = float(np.sqrt(self.cov[column, column]))
        df = self.satterthwaite_df(column)
        t = est / se if se > 0 else np.nan
        q = _t_quantile(level, df)
        return {"estimate": est, "se": se, "df": df, "t": t, "p": float(_t_p(t, df)),
                "ci_low": est - q * se, "ci_high": est + q * se}

    def satterthwaite_df(self, column: int) -> float:
        """2 C_kk² / (g' A g): g the gradient of C_kk in θ = (σ²_group, σ²), A the
        inverse of the observed REML information (lmerTest)."""
        P = self._parts
        X, y, codes, m, S = P["X"], P["y"], P["codes"], P["m"], P["S"]
        s2b, s2e = self.var_group, self.var_resid
        a = 1.0 / s2e
        b = -s2b / (s2e * (s2e + m * s2b))  # W_j = a I + b_j 11'
        C = self.cov
        XtX = X.T @ X

        def mul(f, g):  # product of two per-group forms (alpha, beta_j)
            return f[0] * g[0], f[0] * g[1] + f[1] * g[0] + m * f[1] * g[1]

        def xfx(f):  # Σ_j X_j' (alpha I + beta_j 11') X_j
            return f[0] * XtX + S.T @ (f[1][:, None] * S)

        W = (a, b)
        E = (1.0, np.zeros_like(m))  # V_resid = I
        Z = (0.0, np.ones_like(m))  # V_group = ZZ'
        Vs = (Z, E)
        WVW = [mul(mul(W, Vm), W) for Vm in Vs]
        D = [xfx(f) for f in WVW]  # X' W V_m W X
        g = np.array([(C @ Dm @ C)[column, column] for Dm in D])
        # u = P y = W (y - X beta)
        r = y - X @ self.coef
        rsum = np.bincount(codes, weights=r, minlength=len(m))
        u = a * r + b[codes] * rsum[codes]
        usum = np.bincount(codes, weights=u, minlength=len(m))

        def uform(f):  # u' (alpha I + beta 11') u
            return f[0] * (u @ u) + (f[1] * usum**2).sum()

        def xform_u(f):  # X' (alpha I + beta 11') u
            return f[0] * (X.T @ u) + S.T @ (f[1] * usum)

        def trace(f):
            return float((m * (f[0] + f[1])).sum())

        info = np.zeros((2, 2))
        for i, Vi in enumerate(Vs):
            for j, Vj in enumerate(Vs):
                # tr(P Vi P Vj) = tr(W Vi W Vj) - 2 tr(C X'W Vi W Vj W X) + tr(C D_i C D_j)
                tr = (trace(mul(mul(mul(W, Vi), W), Vj)) - 2 * np.trace(C @ xfx(mul(mul(mul(WVW[i], Vj), W), E)))
                      + np.trace(C @ D[i] @ C @ D[j]))
                # y'P Vi P Vj P y = u' Vi W Vj u - (X'W Vi u)' C (X'W Vj u)
                quad = uform(mul(mul(Vi, W), Vj)) - xform_u(mul(W, Vi)) @ C @ xform_u(mul(W, Vj))
                info[i, j] = quad - 0.5 * tr
        if self.singular:  # at the boundary lmerTest keeps σ²_group fixed at 0
            denom = g[1] ** 2 / info[1, 1]
        else:
            denom = float(g @ np.linalg.solve(info, g))
        return float(2 * C[column, column] ** 2 / denom) if denom > 0 else np.nan


def reml_intercept(y: np.ndarray, X: np.ndarray, groups) -> REMLFit | None:
    """The REML fit of a random-intercept model (lme4's estimates, to its optimum).

    With γ = σ²_group / σ², V = σ²(I + γ ZZ') has per group the inverse
    I - c_j 11', c_j = γ / (1 + γ m_j), and determinant 1 + γ m_j, so the REML
    criterion profiled over σ², (n - p) log(r'V⁻¹r) + Σ log(1 + γ m_j) + log|X'V⁻¹X|,
    is one-dimensional in θ = √γ >= 0 (lme4's parameter): minimised on a grid, then by
    bounded Brent to 1e-12; θ below 1e-4 is a singular (boundary) fit. ``None`` when
    the model has no residual df.
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    n, p = X.shape
    codes, _ = _codes(groups)
    J = int(codes.max()) + 1 if n else 0
    if n - p < 1 or J < 1:
        return None
    m = np.bincount(codes, minlength=J).astype(float)
    S = np.zeros((J, p))
    for j in range(p):
        S[:, j] = np.bincount(codes, weights=X[:, j], minlength=J)
    T = np.bincount(codes, weights=y, minlength=J)
    XtX, Xty, yty = X.T @ X, X.T @ y, y @ y

    def solve(theta: float):
        gamma = theta * theta
        c = gamma / (1 + gamma * m)
        A = XtX - S.T @ (c[:, None] * S)
        bvec = Xty - S.T @ (c * T)
        beta = np.linalg.solve(A, bvec)
        rwr = yty - (c * T**2).sum() - beta @ bvec
        return beta, A, rwr, gamma

    def criterion(theta: float) -> float:
        beta, A, rwr, gamma = solve(theta)
        sign, logdet = np.linalg.slogdet(A)
        if rwr <= 0 or sign <= 0:
            return np.inf
        return (n - p) * np.log(rwr) + np.log1p(gamma * m).sum() + logdet

    grid = np.r_[0.0, np.logspace(-3, 3, 19)]
    values = np.array([criterion(x) for x in grid])
    i = int(np.argmin(values))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    res = optimize.minimize_scalar(criterion, bounds=(lo, hi), method="bounded",
                                   options={"xatol": 1e-12 * max(1.0, hi), "maxiter": 500})
    theta = float(res.x) if res.fun <= values[i] else float(grid[i])
    if criterion(0.0) <= criterion(theta):
        theta = 0.0
    beta, A, rwr, gamma = solve(theta)
    s2e = rwr / (n - p)
    cov = s2e * np.linalg.inv(A)
    return REMLFit(beta, cov, gamma * s2e, s2e, theta < SINGULAR_TOLERANCE,
                   {"X": X, "y": y, "codes": codes, "m": m, "S": S})


# ---------------------------------------------------------------- two samples
def welch_test(x: np.ndarray, y: np.ndarray, level: float = 0.95) -> dict[str, float]:
    """``t.test(x, y, var.equal = FALSE)``: ``diff`` (mean x - mean y), ``t, df, p,
    ci_low, ci_high``; NaN unless both samples have 2 or more values and some spread."""
    keys = ("diff", "t", "df", "p", "ci_low", "ci_high")
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 2 or len(y) < 2:
        return dict.fromkeys(keys, np.nan)
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    se2 = vx + vy
    diff = x.mean() - y.mean()
    if se2 <= 0:
        return dict(zip(keys, (diff, *[np.nan] * 5)))
    se = np.sqrt(se2)
    df = se2**2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    t = diff / se
    q = _t_quantile(level, df)
    return dict(zip(keys, (diff, t, df, float(_t_p(t, df)), diff - q * se, diff + q * se)))


def cohens_d(x: np.ndarray, y: np.ndarray, level: float = 0.95, interval: bool = True) -> dict[str, float]:
    """``effectsize::cohens_d(x, y, pooled_sd = TRUE)`` and ``hedges_g``: ``d`` (x - y
    over the pooled SD), its CI by exact inversion of the noncentral t
    (t* = d / √(1/n₁ + 1/n₂), df = n₁ + n₂ - 2) and ``g = d x J(df)`` (exact J).
    ``interval=False`` leaves the CI empty (to solve many at once with
    :func:`evaluation.stats.paired.dz_confidence_interval`)."""
    keys = ("d", "d_ci_low", "d_ci_high", "g")
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n1, n2 = len(x), len(y)
    if n1 < 2 or n2 < 2:
        return dict.fromkeys(keys, np.nan)
    df = n1 + n2 - 2
    pooled = np.sqrt(((n1 - 1) * x.var(ddof=1) + (n2 - 1) * y.var(ddof=1)) / df)
    if not pooled > 0:
        return dict.fromkeys(keys, np.nan)
    d = (x.mean() - y.mean()) / pooled
    h = 1 / n1 + 1 / n2
    low = high = np.array([np.nan])
    if interval:
        low, high = dz_confidence_interval(np.array([d / np.sqrt(h)]), np.array([float(df)]), np.array([1 / h]),
                                           level)
    g = d * float(hedges_j(np.array([float(df)]))[0])
    return dict(zip(keys, (d, float(low[0]), float(high[0]), g)))


# ------------------------------------------------- many random-intercept fits at once
@dataclass
class GroupTypes:
    """Sufficient statistics of many cells for ``lmer(y ~ X + (1 | group))`` when every
    group of a type has the same size ``m`` and the same column sums ``s`` of X (a person
    with both waves, one wave only; a family of 1, 2, 3 children with X = 1).

    Per cell ``c`` and type ``t``: ``count[c, t]`` groups with ``sum_T[c, t]`` = Σ_j T_j and
    ``sum_T2[c, t]`` = Σ_j T_j² (T_j the sum of y in group j); per cell ``XtX``, ``Xty``,
    ``yty`` and the number of observations ``n``.
    """

    m: np.ndarray  # (T,)
    s: np.ndarray  # (T, p)
    count: np.ndarray  # (C, T)
    sum_T: np.ndarray  # (C, T)
    sum_T2: np.ndarray  # (C, T)
    XtX: np.ndarray  # (C, p, p)
    Xty: np.ndarray  # (C, p)
    yty: np.ndarray  # (C,)
    n: np.ndarray  # (C,)


def _solve_types(g: GroupTypes, theta: np.ndarray):
    """β, X'V⁻¹X (σ²-free), r'V⁻¹r and γ of every cell at its θ (vectorised)."""
    gamma = theta**2
    c = gamma[:, None] / (1 + gamma[:, None] * g.m[None, :])  # (C, T)
    A = g.XtX - np.einsum("ct,ti,tj->cij", c * g.count, g.s, g.s)
    b = g.Xty - np.einsum("ct,ti->ci", c * g.sum_T, g.s)
    with np.errstate(all="ignore"):
        beta = np.linalg.solve(A, b[..., None])[..., 0]
    rwr = g.yty - (c * g.sum_T2).sum(axis=1) - (beta * b).sum(axis=1)
    return beta, A, rwr, gamma


def _criterion_types(g: GroupTypes, theta: np.ndarray) -> np.ndarray:
    beta, A, rwr, gamma = _solve_types(g, theta)
    p = g.s.shape[1]
    sign, logdet = np.linalg.slogdet(A)
    with np.errstate(all="ignore"):
        f = (g.n - p) * np.log(rwr) + (g.count * np.log1p(gamma[:, None] * g.m[None, :])).sum(axis=1) + logdet
    return np.where((rwr > 0) & (sign > 0), f, np.inf)


def reml_intercept_many(g: GroupTypes, column: int | None = None, level: float = 0.95) -> dict[str, np.ndarray]:
    """:func:`reml_intercept` for every cell of ``g`` at once: the same criterion,
    minimised on the same grid and then by a golden-section search to 1e-12 in every
    cell together; with ``column`` also lmerTest's test of that coefficient
    (``estimate, se, df, t, p, ci_low, ci_high``). Returns ``var_group``,
    ``var_resid``, ``singular`` (and the test), one value per cell.
    """
    C = len(g.n)
    grid = np.r_[0.0, np.logspace(-3, 3, 19)]
    values = np.stack([_criterion_types(g, np.full(C, x)) for x in grid], axis=1)  # (C, G)
    i = np.argmin(values, axis=1)
    lo, hi = grid[np.maximum(i - 1, 0)], grid[np.minimum(i + 1, len(grid) - 1)]
    ratio = (np.sqrt(5) - 1) / 2
    x1, x2 = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    f1, f2 = _criterion_types(g, x1), _criterion_types(g, x2)
    for _ in range(90):
        left = f1 < f2  # the minimum lies in [lo, x2]
        hi = np.where(left, x2, hi)
        lo = np.where(left, lo, x1)
        x2n = np.where(left, x1, lo + ratio * (hi - lo))
        x1n = np.where(left, hi - ratio * (hi - lo), x2)
        f_new = _criterion_types(g, np.where(left, x1n, x2n))
        f2, f1 = np.where(left, f1, f_new), np.where(left, f_new, f2)
        x1, x2 = x1n, x2n
    theta = (lo + hi) / 2
    best = _criterion_types(g, theta)
    at_grid = values[np.arange(C), i] < best
    theta = np.where(at_grid, grid[i], theta)
    theta = np.where(_criterion_types(g, np.zeros(C)) <= _criterion_types(g, theta), 0.0, theta)
    beta, A, rwr, gamma = _solve_types(g, theta)
    p = g.s.shape[1]
    s2e = rwr / (g.n - p)
    out = {"var_group": gamma * s2e, "var_resid": s2e, "singular": theta < SINGULAR_TOLERANCE}
    if column is None:
        return out
    with np.errstate(all="ignore"):
        cov = s2e[:, None, None] * np.linalg.inv(A)
        est = beta[:, column]
        se = np.sqrt(cov[:, column, column])
        df = _satterthwaite_types(g, beta, cov, out["var_group"], s2e, out["singular"], column)
        t = est / se
        q = _t_quantile(level, df)
        out.update(estimate=est, se=se, df=df, t=t, p=_t_p(t, df), ci_low=est - q * se, ci_high=est + q * se)
    return out


def _satterthwaite_types(g: GroupTypes, beta, C, s2b, s2e, singular, k) -> np.ndarray:
    """:meth:`REMLFit.satterthwaite_df` on the sufficient statistics of every cell."""
    m = g.m[None, :]
    a = 1.0 / s2e
    b = -s2b[:, None] / (s2e[:, None] * (s2e[:, None] + m * s2b[:, None]))

    def form(f0, f1):
        return np.broadcast_to(np.asarray(f0, float), a.shape), np.broadcast_to(np.asarray(f1, float), b.shape)

    def mul(f, h):
        return f[0] * h[0], f[0][:, None] * h[1] + f[1] * h[0][:, None] + m * f[1] * h[1]

    def xfx(f):
        return f[0][:, None, None] * g.XtX + np.einsum("ct,ti,tj->cij", f[1] * g.count, g.s, g.s)

    W, E, Z = form(a, b), form(1.0, 0.0), form(0.0, 1.0)
    Vs = (Z, E)
    WVW = [mul(mul(W, V), W) for V in Vs]
    D = [xfx(f) for f in WVW]
    CD = [C @ Dm for Dm in D]
    grad = np.stack([(CDm @ C)[:, k, k] for CDm in CD], axis=1)  # (C, 2)
    sb = g.s @ beta.T  # (T, C): s_t · β
    sb = sb.T
    rsum = g.sum_T - g.count * sb  # Σ_j rsum_j per type
    rsum2 = g.sum_T2 - 2 * sb * g.sum_T + g.count * sb**2  # Σ_j rsum_j²
    Xr = g.Xty - np.einsum("cij,cj->ci", g.XtX, beta)
    rr = g.yty - 2 * (beta * g.Xty).sum(axis=1) + np.einsum("ci,cij,cj->c", beta, g.XtX, beta)
    uu = a**2 * rr + ((2 * a[:, None] * b + m * b**2) * rsum2).sum(axis=1)
    k_t = a[:, None] + m * b
    usum, usum2 = k_t * rsum, k_t**2 * rsum2
    Xu = a[:, None] * Xr + np.einsum("ct,ti->ci", b * rsum, g.s)

    def uform(f):
        return f[0] * uu + (f[1] * usum2).sum(axis=1)

    def xform_u(f):
        return f[0][:, None] * Xu + np.einsum("ct,ti->ci", f[1] * usum, g.s)

    def trace(f):
        return (g.count * m * (f[0][:, None] + f[1])).sum(axis=1)

    info = np.zeros((len(a), 2, 2))
    for i, Vi in enumerate(Vs):
        for j, Vj in enumerate(Vs):
            tr = (trace(mul(mul(mul(W, Vi), W), Vj))
                  - 2 * np.einsum("cii->c", C @ xfx(mul(mul(mul(WVW[i], Vj), W), E)))
                  + np.einsum("cij,cji->c", CD[i], CD[j]))
            x_i, x_j = xform_u(mul(W, Vi)), xform_u(mul(W, Vj))
            quad = uform(mul(mul(Vi, W), Vj)) - np.einsum("ci,cij,cj->c", x_i, C, x_j)
            info[:, i, j] = quad - 0.5 * tr
    with np.errstate(all="ignore"):  # g' info⁻¹ g with the 2 x 2 inverse written out
        det = info[:, 0, 0] * info[:, 1, 1] - info[:, 0, 1] * info[:, 1, 0]
        full = (grad[:, 0] ** 2 * info[:, 1, 1] - grad[:, 0] * grad[:, 1] * (info[:, 0, 1] + info[:, 1, 0])
                + grad[:, 1] ** 2 * info[:, 0, 0]) / det
        boundary = grad[:, 1] ** 2 / info[:, 1, 1]
        denom = np.where(singular, boundary, full)
        return np.where(denom > 0, 2 * C[:, k, k] ** 2 / denom, np.nan)
