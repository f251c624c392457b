"""Who changed by more than measurement error? Jacobson & Truax's reliable change index
per person and outcome (with the outcome's configured reliability, or Cronbach's alpha
of its items at the first wave), and clinical significance with the outcome's
``clinical_cutoff``: counts and shares improved, unchanged, deteriorated and recovered
per cell (CONTRACT section 5). The classes of a cell add up to its complete pairs, so
they are protected like band counts."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from .. import measures
from ..i18n import format_number, hidden_mark, t
from ..report.document import Paragraph, Section
from .rows import cell_text, hidden_rows, outcome_text, table_of

NAME = "reliable_change"
NEEDS = ("pairs", "responses")
KEYS = ["outcome", "from_wave", "to_wave", "grouping", "group"]
CLASSES = ("improved", "unchanged", "deteriorated", "recovered")
COLUMNS = {
    "outcome": "the outcome id", "from_wave": "the contrast's earlier wave", "to_wave": "its later wave",
    "grouping": "the grouping", "group": "the group", "n": "complete pairs",
    "better": "the direction of improvement", "reliability": "the reliability used",
    "reliability_source": "configured, or alpha_pre (Cronbach's alpha at the first wave, complete cases)",
    "sd_pre": "SD at the earlier wave over all complete pairs of the outcome and contrast",
    "s_diff": "sd_pre x sqrt(2 (1 - reliability))", "rc_points": "z x s_diff: the change that is reliable",
    "cutoff": "the clinical cut-off (functional side follows better)",
    "n_improved": "RCI beyond z in the better direction (recovered included)", "n_unchanged": "neither",
    "n_deteriorated": "RCI beyond z in the worse direction",
    "n_recovered": "improved, dysfunctional at the earlier wave and functional at the later",
    "n_dysfunctional_pre": "dysfunctional at the earlier wave",
    "share_improved": "n_improved / n", "share_unchanged": "n_unchanged / n",
    "share_deteriorated": "n_deteriorated / n", "share_recovered": "n_recovered / n",
}
BLANK_WITH = {f"n_{k}": [f"share_{k}"] for k in CLASSES}
FOLLOWS = ("results", {"n": ["n"]})  # the cell's complete pairs, published where the results row is
_UNIONS = {"improved": ("recovered", "improved"), "unchanged": ("unchanged",), "deteriorated": ("deteriorated",),
           "recovered": ("recovered",)}


def applies(study) -> bool:
    return any("reliability" in spec for spec in study.outcomes.values())


def reliabilities(data, study) -> dict[str, tuple[float, str]]:
    """Each outcome's reliability and its source (``configured`` or ``alpha_pre``)."""
    out = {}
    alpha = None
    for outcome, spec in study.outcomes.items():
        value = spec.get("reliability")
        if value is None:
            continue
        if value != "alpha":
            out[outcome] = (float(value), "configured")
            continue
        if alpha is None:
            from ..instruments import reliability

            instruments = {i: v for i, v in study.instruments.items()
                           if any(o.get("reliability") == "alpha" and o["instrument"] == i
                                  for o in study.outcomes.values())}
            alpha = reliability(data.responses, instruments, study.waves[:1], omega=False)
        row = alpha[(alpha["instrument"] == spec["instrument"]) & (alpha["scale"] == spec["scale"])]
        out[outcome] = (float(row["alpha"].iloc[0]) if len(row) else np.nan, "alpha_pre")
    return out


_CODES = ("recovered", "improved", "unchanged", "deteriorated")


class _Classes(NamedTuple):
    pairs: pd.DataFrame  # the pairs of the outcomes with a reliability
    klass: np.ndarray  # per pair row: a code into _CODES; -1: not a complete pair
    rci: np.ndarray  # per pair row
    sd_pre: dict  # (outcome, from_wave, to_wave) -> SD at the earlier wave of its complete pairs
    order: np.ndarray  # the complete pairs' rows: outcomes in the config's order, contrasts as they come
    reliabilities: dict  # outcome -> (reliability, source)


def classified(data, study) -> _Classes:
    """Every complete pair's Jacobson & Truax class, once for the table, the persons and
    the costs per reliably improved participant."""
    from ..stats.reliable_change import classify, s_diff

    z = study.analysis["reliable_change_z"]
    rel = reliabilities(data, study)
    pairs = data.pairs[data.pairs["outcome"].isin(rel)].reset_index(drop=True)
    pre, post = pairs["pre"].to_numpy(dtype=float), pairs["post"].to_numpy(dtype=float)
    complete = ~(np.isnan(pre) | np.isnan(post))
    klass = np.full(len(pairs), -1)
    rci = np.full(len(pairs), np.nan)
    sd_pre, order = {}, []
    groups = pairs.groupby(["outcome", "from_wave", "to_wave"], sort=False).indices
    for outcome, (rxx, _) in rel.items():
        spec = study.outcomes[outcome]
        for key, at in groups.items():
            if key[0] != outcome:
                continue
            at = at[complete[at]]
            sd = pre[at].std(ddof=1) if len(at) > 1 else np.nan
            sd_pre[key] = sd
            if not len(at):
                continue
            s = s_diff(sd, rxx) if np.isfinite(sd) and np.isfinite(rxx) else np.nan
            out = classify(pre[at], post[at], s if np.isfinite(s) else 0.0, spec["better"],
                           spec.get("clinical_cutoff"), z)
            category = out["category"] if np.isfinite(s) and s > 0 else np.full(len(at), "unchanged")
            klass[at] = pd.Index(_CODES).get_indexer(category)
            rci[at] = out["rci"]
            order.append(at)
    return _Classes(pairs, klass, rci, sd_pre, np.concatenate(order) if order else np.zeros(0, dtype=np.int64), rel)


def persons(data, study) -> pd.DataFrame:
    """Per person, outcome and contrast: ``pid, outcome, from_wave, to_wave, pre, post, rci,
    category`` (data/processed/<study>/reliable_change_persons.parquet)."""
    c = classified(data, study)
    out = c.pairs.iloc[c.order][["pid", "outcome", "from_wave", "to_wave", "pre", "post"]].reset_index(drop=True)
    return out.assign(rci=c.rci[c.order], category=np.asarray(_CODES, dtype=object)[c.klass[c.order]])


def _dysfunctional(pre: pd.Series, spec: dict) -> np.ndarray:
    cutoff = spec.get("clinical_cutoff")
    if cutoff is None:
        return np.zeros(len(pre), dtype=bool)
    return ~(pre > cutoff).to_numpy() if spec["better"] == "higher" else ~(pre <= cutoff).to_numpy()


def partition(people: pd.DataFrame, study) -> pd.DataFrame:
    """The class of every complete pair for the disclosure model: category and whether
    dysfunctional at the start (``recovered|1``, ``improved|0``, ...), as categories
    (made from codes: text joined row by row took 0.1 s for 340,000 pairs)."""
    categories, names = pd.factorize(people["category"].astype(str), sort=True)
    labels = [f"{c}|{d}" for c in names for d in (0, 1)]
    parts = []
    for outcome, at in people.groupby("outcome", sort=False).indices.items():
        rows = people.iloc[at]
        dys = _dysfunctional(rows["pre"], study.outcomes[outcome])
        parts.append(rows[["outcome", "from_wave", "to_wave", "pid"]].assign(
            part=pd.Categorical.from_codes(2 * categories[at] + dys.astype(np.int64), categories=labels)))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["outcome", "from_wave", "to_wave", "pid", "part"])


def compute(data, study) -> pd.DataFrame:
    from ..stats.reliable_change import s_diff

    z = study.analysis["reliable_change_z"]
    rows = []
    pairs, klass, _, sd_pre, _, rel = classified(data, study)  # the class of every pair row
    pre_all = pairs["pre"].to_numpy(dtype=float)
    dysfunctional = np.zeros(len(pairs), dtype=bool)
    for outcome, at in pairs.groupby("outcome", sort=False).indices.items():
        dysfunctional[at] = _dysfunctional(pd.Series(pre_all[at]), study.outcomes[outcome])
    for outcome, a, b, grouping, group, at in measures.cells(pairs, study.groupings):
        spec = study.outcomes[outcome]
        at = at[klass[at] >= 0]
        if not len(at):
            continue
        sd = sd_pre[(outcome, a, b)]
        rxx, source = rel[outcome]
        s = s_diff(sd, rxx) if np.isfinite(sd) and np.isfinite(rxx) else np.nan
        per_class = np.bincount(klass[at], minlength=4)
        n = len(at)
        counts = {"improved": int(per_class[0] + per_class[1]), "unchanged": int(per_class[2]),
                  "deteriorated": int(per_class[3]), "recovered": int(per_class[0])}
        rows.append({"outcome": outcome, "from_wave": a, "to_wave": b, "grouping": grouping, "group": group, "n": n,
                     "better": spec["better"], "reliability": rxx, "reliability_source": source, "sd_pre": sd,
                     "s_diff": s, "rc_points": z * s, "cutoff": spec.get("clinical_cutoff", np.nan),
                     **{f"n_{k}": v for k, v in counts.items()},
                     "n_dysfunctional_pre": int(dysfunctional[at].sum()),
                     **{f"share_{k}": v / n for k, v in counts.items()}})
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    return measures.in_group_order(table, study, ["from_wave", "to_wave", "outcome"])


def partition_counts(model, table: pd.DataFrame, study) -> None:
    """The class counts of the rows of one outcome and contrast (``model.key``), for the
    disclosure audit of the classes (:class:`evaluation.disclosure.PartitionModel`).
    A row's classes are published all or none: hiding one class alone would start a
    chain of hiding others that add up with it."""
    key = model.key
    names = model.part_names[key]
    model.part_unions[key] = [u for u in ([p for p in names if p.split("|")[0] in _UNIONS[k]] for k in CLASSES)
                              if u] + [[p for p in names if p.endswith("|1")]]
    for i, r in enumerate(table.itertuples(index=False)):
        if (r.outcome, str(r.from_wave), str(r.to_wave)) != key:
            continue
        grouping = [] if r.grouping == "all" else r.grouping.split("+")
        group = model.group_tuple(grouping, r.group)
        cells = model.cells(grouping, group)
        where = (f"{r.outcome}:{key[1]}:{key[2]}", tuple(grouping), group)
        for k in CLASSES:
            model.add(NAME, i, f"n_{k}", model.part_form(key, [p for p in names if p.split("|")[0] in _UNIONS[k]],
                                                         cells), cell=where, together=(i,))
        model.add(NAME, i, "n_dysfunctional_pre", model.part_form(key, [p for p in names if p.endswith("|1")],
                                                                   cells), cell=where, together=(i,))


def blocks(ctx) -> list[Section]:
    study, lang = ctx.study, ctx.lang
    _, cells_hidden = ctx.reasons(NAME)

    def classes(i, r) -> list[str]:
        out = [str(int(r["n"])), format_number(r["rc_points"], lang)]
        for k in CLASSES:
            v = r[f"n_{k}"]
            out.append(hidden_mark(cells_hidden.get((i, f"n_{k}")), ctx.min_n) if pd.isna(v) else
                       f"{int(v)} ({format_number(100 * float(r[f'share_{k}']), lang, 0)} %)")
        return out

    table = table_of(ctx, NAME, [t("group", lang), t("col_n", lang), t("col_rc_points", lang),
                                 *(t(f"rc_{k}", lang) for k in CLASSES)],
                     lambda r: [cell_text(study, r, lang)], classes)
    if table is None:
        return []
    intro = t("reliable_change_intro", lang, z=format_number(study.analysis["reliable_change_z"], lang))
    return [Section("reliable-change", t("reliable_change", lang), [Paragraph(intro, note=True), table])]



def findings(ctx) -> list[str]:
    """How many changed by more than measurement error (overall rows)."""
    study, lang = ctx.study, ctx.lang
    table = ctx.tables[NAME]
    if table.empty:
        return []
    items = []
    for _, r in table[(table["grouping"] == "all") & ~hidden_rows(table)].iterrows():
        label = outcome_text(study, r)
        if pd.isna(r["n_improved"]) or pd.isna(r["n_deteriorated"]):  # classes hidden: say so
            items.append(t("rc_item_hidden", lang, label=label, n=int(r["n"])))
            continue
        items.append(t("rc_item", lang, label=label, improved=int(r["n_improved"]),
                       deteriorated=int(r["n_deteriorated"]), n=int(r["n"]),
                       points=format_number(r["rc_points"], lang)))
    return [t("finding_reliable_change", lang, items="; ".join(items))] if items else []
