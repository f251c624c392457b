"""Shared facts about people, computed once: who took part when, in which group,
the complete pairs of every contrast (with their bands), and the participant-flow
counts (CONTRACT section 4, ``participant_flow.csv``).

Waves are the config's wave ids in time order; a contrast is ``(earlier, later)``.
Nothing here knows a language, a file path or the publication rules.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

__all__ = ["is_in", "complete_pairs", "in_group_order", "baseline_bands", "with_baseline_bands", "participation",
           "flow_table", "flow_count_columns", "validity", "band_pairs",
           "band_table", "PAIR_KEYS"]

DEFAULT_WAVES = ("pre", "post")
DEFAULT_CONTRASTS = (("pre", "post"),)
PAIR_KEYS = ["outcome", "from_wave", "to_wave"]


def is_in(values: pd.Series | pd.Index, lookup) -> np.ndarray:
    """``values.isin(lookup)`` as a boolean array, by Arrow's hash lookup: pandas' isin
    of Arrow-backed strings turns every value of ``lookup`` into a Python object first
    (0.4 s for 10^5 person ids). Values of another type take pandas' way.

    >>> is_in(pd.Series(["a", "b", None, "c"]), {"c", "a"}).tolist()
    [True, False, False, True]
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(lookup, (set, frozenset)):
        lookup = list(lookup)
    try:
        found = pc.is_in(pa.array(values, from_pandas=True), value_set=pa.array(lookup, from_pandas=True))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, TypeError):
        return np.asarray(values.isin(lookup), dtype=bool)
    return found.to_numpy(zero_copy_only=False).astype(bool)


def _plain(values):
    """Categorical values (the scores table's) as values of their categories' type
    (text stays text); other values as they are. Text categories are taken by code
    from the categories (``astype`` was 15 times slower for a million family ids)."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return values
    categories = values.dtype.categories
    if not pd.api.types.is_string_dtype(categories.dtype):
        return values.astype(categories.dtype)
    codes = values.codes if isinstance(values, pd.CategoricalIndex) else values.cat.codes.to_numpy()
    taken = categories.array.take(np.asarray(codes, dtype=np.intp), allow_fill=True)  # code -1: missing
    if isinstance(values, pd.Series):
        return pd.Series(taken, index=values.index, name=values.name)
    return pd.Index(taken, name=values.name)


def _positions(values: pd.Series, labels: Sequence) -> np.ndarray:
    """The position of each value in ``labels`` (-1: not there), categorical values by
    their categories."""
    at = pd.Index(list(labels))
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        return np.r_[at.get_indexer(values.cat.categories.astype(object)), -1][codes]
    return at.get_indexer(values.astype(object))


def _first_in_grid(person: np.ndarray, wave: np.ndarray, values: np.ndarray, valid: np.ndarray,
                   shape: tuple[int, int], empty) -> np.ndarray:
    """A person x wave grid (``shape``), each cell the value of the first ``valid`` row of
    that person and wave (as a pivot with aggfunc "first"), ``empty`` where there is none."""
    grid = np.full(shape, empty, dtype=values.dtype)
    rows = np.flatnonzero(valid)
    cell = person[rows] * shape[1] + wave[rows]
    _, first = np.unique(cell, return_index=True)
    grid.ravel()[cell[first]] = values[rows[first]]
    return grid


def _outcome_scores(scores: pd.DataFrame, spec: dict, columns: Sequence[str]) -> pd.DataFrame:
    """The rows of one outcome's scale, with only ``columns`` (the long scores table
    has a row per person, wave and scale: taking every column costs at 10^5 people)."""
    rows = ((scores["instrument"] == spec["instrument"]).to_numpy(bool)
            & (scores["scale"] == spec["scale"]).to_numpy(bool))
    return scores.loc[rows, list(dict.fromkeys(columns))]


def complete_pairs(scores: pd.DataFrame, outcomes: dict[str, dict], group_columns: Sequence[str],
                   contrasts: Sequence[Sequence[str]] = DEFAULT_CONTRASTS) -> pd.DataFrame:
    """One row per outcome x contrast x person with a valid score at either wave of
    the contrast: ``outcome, from_wave, to_wave, pid, pre, post, <group columns>``.

    ``pre`` is the score at the contrast's earlier wave, ``post`` at its later one.
    A person with a score at only one of them keeps the row (the other side empty):
    they count in ``n_pre``/``n_post`` but not in the complete pairs ``n``. Group
    values are the person's (constant across waves since ingest).

    Examples
    --------
    >>> s = pd.DataFrame({"pid": ["a", "a", "b", "b"], "wave": ["t0", "t1", "t0", "t2"],
    ...                   "instrument": "w", "scale": "total", "score": [1.0, 3.0, 2.0, 5.0]})
    >>> complete_pairs(s, {"o": {"instrument": "w", "scale": "total"}}, [], [("t0", "t1"), ("t0", "t2")])
      outcome from_wave to_wave pid  pre  post
    0       o        t0      t1   a  1.0   3.0
    1       o        t0      t1   b  2.0   NaN
    2       o        t0      t2   a  1.0   NaN
    3       o        t0      t2   b  2.0   5.0
    """
    columns = [*PAIR_KEYS, "pid", "pre", "post", *group_columns]
    waves = list(dict.fromkeys(w for contrast in contrasts for w in contrast))
    frames = []
    for outcome, spec in outcomes.items():
        sel = _outcome_scores(scores, spec, ["pid", "wave", "score", *group_columns])
        # a person x wave grid from integer codes: people sorted, each cell the first
        # valid score of that person and wave (as a pivot with aggfunc "first")
        person, pids = pd.factorize(sel["pid"], sort=True)
        pids = _plain(pids)
        wave = _positions(sel["wave"], waves)
        score = sel["score"].to_numpy(dtype=float)
        grid = _first_in_grid(person, wave, score, (wave >= 0) & ~np.isnan(score) & (person >= 0),
                              (len(pids), len(waves)), np.nan)
        if group_columns:
            _, head = np.unique(person, return_index=True)  # each person's first row
            head = head[person[head] >= 0]
            groups = sel[list(group_columns)].iloc[head].reset_index(drop=True)
            groups = pd.DataFrame({c: _plain(groups[c]) for c in group_columns})
        for a, b in contrasts:
            pre, post = grid[:, waves.index(a)], grid[:, waves.index(b)]
            keep = np.flatnonzero(~(np.isnan(pre) & np.isnan(post)))
            frame = pd.DataFrame({"outcome": outcome, "from_wave": a, "to_wave": b, "pid": pids.take(keep),
                                  "pre": pre[keep], "post": post[keep]})
            if group_columns:
                frame = pd.concat([frame, groups.iloc[keep].reset_index(drop=True)], axis=1)
            frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)[columns]
    out.columns.name = None
    return out


def cells(pairs: pd.DataFrame, groupings: Sequence[Sequence[str]]):
    """The pairs of every outcome x contrast x grouping x group, as the results table has
    them: ``(outcome, from_wave, to_wave, grouping, group, positions)`` with the row
    positions of the cell in ``pairs``; a person without a value of a grouping's column
    is in none of its groups. Outcomes and contrasts come in the order they first
    appear in ``pairs`` (the config's), groups sorted. Each column is factorized once and
    each grouping is one sort, whatever the number of cells.

    >>> p = pd.DataFrame({"outcome": "o", "from_wave": "pre", "to_wave": "post", "pid": list("abc"),
    ...                   "pre": [1.0, 2, 3], "post": [2.0, None, 4], "kommune": ["A", "B", None]})
    >>> [(g, k, rows.tolist()) for _, _, _, g, k, rows in cells(p, [[], ["kommune"]])]
    [('all', 'all', [0, 1, 2]), ('kommune', 'A', [0]), ('kommune', 'B', [1])]
    """
    keys = list(PAIR_KEYS)
    # every column factorized once (sorted codes: groups come in sorted order; -1 missing)
    coded = {}
    for c in dict.fromkeys([*keys, *(c for g in groupings for c in g)]):
        codes, uniques = pd.factorize(pairs[c], sort=True)
        coded[c] = (codes, np.asarray(uniques, dtype=object))
    # each (outcome, contrast) by its first row: codes in order of appearance
    appearance = pd.factorize(np.ravel_multi_index(tuple(coded[k][0] for k in keys),
                                                   tuple(len(coded[k][1]) for k in keys)))[0]
    for grouping in groupings:
        combined = appearance.astype(np.int64)
        valid = np.ones(len(combined), dtype=bool)
        for c in grouping:
            codes, uniques = coded[c]
            combined = combined * len(uniques) + codes
            valid &= codes >= 0
        rows = np.flatnonzero(valid)
        if not len(rows):
            continue
        order = rows[np.argsort(combined[rows], kind="stable")]  # by key, rows ascending within
        bounds = np.r_[0, np.flatnonzero(np.diff(combined[order])) + 1, len(order)]
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            positions = order[lo:hi]
            row = positions[0]
            outcome, a, b = (coded[k][1][coded[k][0][row]] for k in keys)
            values = [coded[c][1][coded[c][0][row]] for c in grouping]
            yield (outcome, a, b, "+".join(grouping) or "all", "+".join(str(v) for v in values) or "all",
                   positions)


def in_group_order(table: pd.DataFrame, study, keys: Sequence[str] = ()) -> pd.DataFrame:
    """The rows of a table by ``keys`` (each in its order of first appearance), then
    grouping (in the config's order) and group in the order people expect (bins,
    bands, expected values; other values as text), with a fresh index."""
    order = {"all": 0, **{"+".join(g): i + 1 for i, g in enumerate(study.groupings[1:])}}
    codes = [pd.factorize(table[k])[0] for k in keys]
    groupings, groups = table["grouping"].tolist(), table["group"].tolist()
    rows = sorted(range(len(table)), key=lambda i: (*(c[i] for c in codes), order.get(groupings[i], len(order)),
                                                    study.group_sort_key(groupings[i], groups[i])))
    return table.iloc[rows].reset_index(drop=True)


def baseline_bands(scores: pd.DataFrame, outcomes: dict[str, dict], groups: dict[str, str],
                   first_wave: str) -> pd.DataFrame:
    """Per person: the band of an outcome at the first wave, for each ``baseline_band``
    group (``groups``: group id -> outcome id); empty without a banded score there.

    >>> s = pd.DataFrame({"pid": ["a", "a", "b"], "wave": ["pre", "post", "post"], "instrument": "sdq",
    ...                   "scale": "total", "score": [20.0, 12.0, 9.0], "band": ["abnormal", "normal", "normal"]})
    >>> baseline_bands(s, {"o": {"instrument": "sdq", "scale": "total"}}, {"start": "o"}, "pre")
      pid     start
    0   a  abnormal
    1   b       NaN
    """
    out = pd.DataFrame({"pid": _plain(pd.Series(pd.unique(scores["pid"])))})
    for gid, outcome in groups.items():
        sel = _outcome_scores(scores, outcomes[outcome], ["pid", "wave", "score", "band"])
        sel = sel[(sel["wave"] == first_wave) & sel["score"].notna() & sel["band"].notna()]
        first = sel.drop_duplicates("pid")
        out[gid] = out["pid"].map(pd.Series(_plain(first["band"]).to_numpy(), index=_plain(first["pid"])))
    return out


def with_baseline_bands(frame: pd.DataFrame, scores: pd.DataFrame, study) -> pd.DataFrame:
    """``frame`` (one or more rows per ``pid``, with the groups read at ingest) with the
    study's baseline-band groups as columns too: the group columns stand together, in
    config order, where the first of them stood."""
    if not study.baseline_bands:
        return frame
    bands = baseline_bands(scores, study.outcomes, study.baseline_bands, study.waves[0]).set_index("pid")
    out = frame.copy(deep=False)  # only the new columns are written
    pid = frame["pid"]
    for gid in study.baseline_bands:
        if isinstance(pid.dtype, pd.CategoricalDtype):  # a person's band by their category, kept categorical
            per = bands[gid].reindex(pid.cat.categories.astype(object))
            codes, names = pd.factorize(per, sort=True)
            out[gid] = pd.Categorical.from_codes(np.r_[codes, -1][pid.cat.codes.to_numpy()],
                                                 categories=pd.Index(names).astype("str"))
        else:
            out[gid] = pid.map(bands[gid]).astype(object)
    groups = [c for c in study.person_columns if c in out.columns]
    others = [c for c in frame.columns if c not in groups]
    at = next((i for i, c in enumerate(frame.columns) if c in groups), len(frame.columns))
    at = sum(1 for c in frame.columns[:at] if c not in groups)
    return out[[*others[:at], *groups, *others[at:]]]


def participation(flow: pd.DataFrame, people: pd.DataFrame,
                  waves: Sequence[str] = DEFAULT_WAVES) -> pd.DataFrame:
    """One row per enrolled person (an answered wave): ``pid``, the group columns (the
    value at the person's first answered wave), ``included`` (meets ``include``), and
    ``answered_<wave>`` for every wave (answered waves of included people).

    Examples
    --------
    >>> flow = pd.DataFrame({"pid": ["a", "a", "b", "c"], "wave": ["pre", "post", "post", "pre"],
    ...                      "status": ["answered", "answered", "answered", "not_included"]})
    >>> people = pd.DataFrame({"pid": ["a", "b", "c"], "m": ["Y", "Z", "Y"], "included": [True, True, False]})
    >>> participation(flow, people)
      pid  m  included  answered_pre  answered_post
    0   a  Y      True          True           True
    1   b  Z      True         False           True
    2   c  Y     False         False          False
    """
    answered = flow[flow["status"] == "answered"]
    out = people.sort_values("pid", kind="stable").reset_index(drop=True)
    for wave in waves:
        out[f"answered_{wave}"] = is_in(out["pid"], answered.loc[answered["wave"] == wave, "pid"])
    return out


def _groups(people: pd.DataFrame, grouping: Sequence[str]):
    if not grouping:
        yield "all", "all", people
        return
    sub = people.dropna(subset=list(grouping))
    for values, part in sub.groupby(list(grouping), sort=True):
        values = values if isinstance(values, tuple) else (values,)
        yield "+".join(grouping), "+".join(str(v) for v in values), part


def flow_count_columns(waves: Sequence[str] = DEFAULT_WAVES,
                       contrasts: Sequence[Sequence[str]] = DEFAULT_CONTRASTS) -> list[str]:
    """The count columns of the participant-flow table, in order.

    >>> flow_count_columns(["t0", "t1", "t2"], [("t0", "t1"), ("t0", "t2")])
    ['enrolled', 'not_included', 'answered_t0', 'answered_t1', 'answered_t2', 'complete_t0_t1', 'complete_t0_t2']
    """
    return ["enrolled", "not_included", *(f"answered_{w}" for w in waves),
            *(f"complete_{a}_{b}" for a, b in contrasts)]


def flow_table(people: pd.DataFrame, groupings: Sequence[Sequence[str]], excluded_rows: int,
               waves: Sequence[str] = DEFAULT_WAVES,
               contrasts: Sequence[Sequence[str]] = DEFAULT_CONTRASTS) -> pd.DataFrame:
    """People at each step, per grouping x group (unsuppressed).

    ``enrolled`` answered a wave; ``not_included`` of them were left out by
    ``include``; of the others, ``answered_<wave>`` for every wave and
    ``complete_<from>_<to>`` for every contrast (answered both of its waves);
    ``excluded_rows`` (overall row only) are the input rows left out as invalid or
    duplicate.
    """
    columns = flow_count_columns(waves, contrasts)
    rows = []
    for grouping in groupings:
        for name, group, part in _groups(people, grouping):
            included = part[part["included"]] if "included" in part else part
            row = {"grouping": name, "group": group, "enrolled": len(part), "not_included": len(part) - len(included)}
            for w in waves:
                row[f"answered_{w}"] = int(included[f"answered_{w}"].sum())
            for a, b in contrasts:
                row[f"complete_{a}_{b}"] = int((included[f"answered_{a}"] & included[f"answered_{b}"]).sum())
            rows.append(row)
    out = pd.DataFrame(rows, columns=["grouping", "group", *columns])
    out["excluded_rows"] = pd.array([excluded_rows] + [pd.NA] * (len(out) - 1), dtype="Int64")
    return out


def scoring_counts(scores: pd.DataFrame) -> pd.DataFrame:
    """Per instrument x scale x number of items answered x whether the score is valid:
    the number of scores (``instrument, scale, n_answered, valid, n``; combinations
    that occur, by instrument and scale in their categories' order). What the report
    says of prorated and unscorable scores, made by the score stage so that the report
    need not read the scores table (13 million rows at 10^6 respondents); counted from
    integer codes by one bincount (a groupby held 0.4 GB more at 10^6).

    >>> s = pd.DataFrame({"instrument": "w", "scale": "total", "n_answered": [5, 5, 4, 1],
    ...                   "score": [1.0, 2.0, 3.0, None]})
    >>> scoring_counts(s).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'instrument': 'w', 'scale': 'total', 'n_answered': 1, 'valid': False, 'n': 1},
     {'instrument': 'w', 'scale': 'total', 'n_answered': 4, 'valid': True, 'n': 1},
     {'instrument': 'w', 'scale': 'total', 'n_answered': 5, 'valid': True, 'n': 2}]
    """
    def codes_of(values: pd.Series):
        if isinstance(values.dtype, pd.CategoricalDtype):
            return values.cat.codes.to_numpy(), np.asarray(values.cat.categories, dtype=object)
        codes, names = pd.factorize(values)
        return codes, np.asarray(names, dtype=object)

    instrument, instruments = codes_of(scores["instrument"])
    scale, scales = codes_of(scores["scale"])
    answered = scores["n_answered"].to_numpy(dtype=np.int64)
    most = int(answered.max()) + 1 if len(answered) else 1
    key = instrument.astype(np.int64)
    key *= len(scales)
    key += scale
    key *= most
    key += answered
    key *= 2
    key += scores["score"].notna().to_numpy()
    counts = np.bincount(key, minlength=len(instruments) * len(scales) * most * 2)
    found = np.flatnonzero(counts)
    rest, valid = np.divmod(found, 2)
    rest, n_answered = np.divmod(rest, most)
    i, j = np.divmod(rest, len(scales))
    return pd.DataFrame({"instrument": instruments[i], "scale": scales[j], "n_answered": n_answered,
                         "valid": valid.astype(bool), "n": counts[found]})


def validity(scores: pd.DataFrame, outcomes: dict[str, dict], waves: Sequence[str] = DEFAULT_WAVES) -> pd.DataFrame:
    """Per outcome x person with a valid score at some wave: ``valid``, the waves with
    a valid score as a bit mask (bit ``i`` = ``waves[i]``).

    >>> s = pd.DataFrame({"pid": ["a", "a", "b"], "wave": ["t0", "t2", "t1"], "instrument": "w",
    ...                   "scale": "total", "score": [1.0, 2.0, None]})
    >>> validity(s, {"o": {"instrument": "w", "scale": "total"}}, ["t0", "t1", "t2"])
      outcome pid  valid
    0       o   a      5
    """
    bit = {w: 1 << i for i, w in enumerate(waves)}
    frames = []
    for outcome, spec in outcomes.items():
        sel = _outcome_scores(scores, spec, ["pid", "wave", "score"])
        wave = _positions(sel["wave"], list(bit))
        keep = sel["score"].notna().to_numpy() & (wave >= 0)
        person, pids = pd.factorize(sel["pid"][keep], sort=True)
        mask = np.zeros(len(pids), dtype=np.int64)
        np.bitwise_or.at(mask, person, np.left_shift(1, wave[keep]))
        # the pseudonyms as Arrow text, never a Python string each (4 million at 10^6 people)
        frames.append(pd.DataFrame({"outcome": outcome, "pid": pd.array(_plain(pids), dtype="str"),
                                    "valid": mask}))
    if not frames:
        return pd.DataFrame({"outcome": [], "pid": [], "valid": []})
    return pd.concat(frames, ignore_index=True)


def band_pairs(scores: pd.DataFrame, outcomes: dict[str, dict],
               contrasts: Sequence[Sequence[str]] = DEFAULT_CONTRASTS) -> pd.DataFrame:
    """Per outcome x contrast x complete pair with a band at both waves:
    ``outcome, from_wave, to_wave, pid, band_first, band_second``."""
    columns = [*PAIR_KEYS, "pid", "band_first", "band_second"]
    frames = []
    for outcome, spec in outcomes.items():
        sel = _outcome_scores(scores, spec, ["pid", "wave", "score", "band"])
        sel = sel[sel["score"].notna() & sel["band"].notna()]
        if sel.empty:
            continue
        # a person x wave grid of band codes, each cell the person's first band there
        person, pids = pd.factorize(sel["pid"], sort=True)
        band, names = pd.factorize(sel["band"])
        waves = list(dict.fromkeys(w for contrast in contrasts for w in contrast))
        wave = _positions(sel["wave"], waves)
        grid = _first_in_grid(person, wave, band, wave >= 0, (len(pids), len(waves)), -1)
        names = np.asarray(_plain(names), dtype=object)
        pids = pd.array(_plain(pids), dtype="str")
        for a, b in contrasts:
            both = np.flatnonzero((grid[:, waves.index(a)] >= 0) & (grid[:, waves.index(b)] >= 0))
            if not len(both):
                continue
            frames.append(pd.DataFrame({"outcome": outcome, "from_wave": a, "to_wave": b, "pid": pids[both],
                                        "band_first": names[grid[both, waves.index(a)]],
                                        "band_second": names[grid[both, waves.index(b)]]}))
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def band_table(bands: pd.DataFrame, outcomes: Sequence[str],
               contrasts: Sequence[Sequence[str]] = DEFAULT_CONTRASTS) -> pd.DataFrame:
    """Complete pairs of each contrast in each band at its two waves (unsuppressed):
    one row per outcome x contrast x wave x band seen at either wave, ``n``,
    ``share`` (of ``total``, the contrast's pairs with a band at both waves)."""
    from .instruments import band_sort_key

    columns = [*PAIR_KEYS, "wave", "band", "n", "share", "total"]
    rows = []
    for outcome in outcomes:
        for a, b in contrasts:
            sel = bands[(bands["outcome"] == outcome) & (bands["from_wave"] == a) & (bands["to_wave"] == b)]
            if sel.empty:
                continue
            names = sorted(set(pd.unique(sel["band_first"])) | set(pd.unique(sel["band_second"])), key=band_sort_key)
            total = len(sel)
            for wave, column in ((a, "band_first"), (b, "band_second")):
                counts = sel[column].value_counts()
                for band in names:
                    n = int(counts.get(band, 0))
                    rows.append({"outcome": outcome, "from_wave": a, "to_wave": b, "wave": wave, "band": band,
                                 "n": n, "share": n / total, "total": total})
    return pd.DataFrame(rows, columns=columns)
