"""Shared facts about people, computed once: who took part when, in which group,
and the participant-flow counts (CONTRACT section 4, ``participant_flow.csv``).

Nothing here knows a language, a file path or the publication rules.
"""
from __future__ import annotations

from typing import Sequence

import pandas as pd

__all__ = ["participation", "flow_table", "validity", "band_pairs", "FLOW_COUNT_COLUMNS"]

WAVES = ("pre", "post")
FLOW_COUNT_COLUMNS = ["enrolled", "not_included", "answered_pre", "answered_post", "complete_pre_post"]


def participation(flow: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """One row per enrolled person (an answered wave): ``pid``, the group columns (the
    value at the person's first answered wave), ``included`` (meets ``include``),
    ``answered_pre``, ``answered_post`` (answered waves of included people).

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
    waves = answered.groupby("pid")["wave"].agg(set)
    out = people.sort_values("pid", kind="stable").reset_index(drop=True)
    for wave in WAVES:
        out[f"answered_{wave}"] = out["pid"].map(waves).map(
            lambda w, wave=wave: isinstance(w, set) and wave in w).astype(bool)
    return out


def _groups(people: pd.DataFrame, grouping: Sequence[str]):
    if not grouping:
        yield "all", "all", people
        return
    sub = people.dropna(subset=list(grouping))
    for values, part in sub.groupby(list(grouping), sort=True):
        values = values if isinstance(values, tuple) else (values,)
        yield "+".join(grouping), "+".join(str(v) for v in values), part


def flow_table(people: pd.DataFrame, groupings: Sequence[Sequence[str]], excluded_rows: int) -> pd.DataFrame:
    """People at each step, per grouping x group (unsuppressed).

    ``enrolled`` answered a wave; ``not_included`` of them were left out by
    ``include``; of the others, ``answered_<wave>`` and ``complete_pre_post``
    (answered both); ``excluded_rows`` (overall row only) are the input rows left
    out as invalid or duplicate.
    """
    rows = []
    for grouping in groupings:
        for name, group, part in _groups(people, grouping):
            included = part[part["included"]] if "included" in part else part
            rows.append({"grouping": name, "group": group, "enrolled": len(part),
                         "not_included": len(part) - len(included),
                         "answered_pre": int(included["answered_pre"].sum()),
                         "answered_post": int(included["answered_post"].sum()),
                         "complete_pre_post": int((included["answered_pre"] & included["answered_post"]).sum())})
    out = pd.DataFrame(rows, columns=["grouping", "group", *FLOW_COUNT_COLUMNS])
    out["excluded_rows"] = pd.array([excluded_rows] + [pd.NA] * (len(out) - 1), dtype="Int64")
    return out


def validity(pairs: pd.DataFrame) -> pd.DataFrame:
    """Per outcome x person: a valid score at the first / second wave."""
    out = pairs[["outcome", "pid"]].copy()
    out["valid_first"] = pairs["pre"].notna().to_numpy()
    out["valid_second"] = pairs["post"].notna().to_numpy()
    return out[out["valid_first"] | out["valid_second"]].reset_index(drop=True)


def band_pairs(scores: pd.DataFrame, outcomes: dict[str, dict]) -> pd.DataFrame:
    """Per outcome x complete pair with a band at both waves: ``band_first``, ``band_second``."""
    frames = []
    for outcome, spec in outcomes.items():
        sel = scores[(scores["instrument"] == spec["instrument"]) & (scores["scale"] == spec["scale"])
                     & scores["score"].notna() & scores["band"].notna()]
        wide = sel.pivot_table(index="pid", columns="wave", values="band", aggfunc="first")
        if not set(WAVES) <= set(wide.columns):
            continue
        wide = wide.dropna(subset=list(WAVES))
        frames.append(pd.DataFrame({"outcome": outcome, "pid": wide.index,
                                    "band_first": wide["pre"].to_numpy(), "band_second": wide["post"].to_numpy()}))
    if not frames:
        return pd.DataFrame(columns=["outcome", "pid", "band_first", "band_second"])
    return pd.concat(frames, ignore_index=True)


def band_table(bands: pd.DataFrame, outcomes: Sequence[str]) -> pd.DataFrame:
    """Complete pairs in each band before and after (unsuppressed): one row per
    outcome x wave x band seen at either wave, ``n``, ``share`` (of ``total``), ``total``."""
    from .instruments import band_sort_key

    rows = []
    for outcome in outcomes:
        sel = bands[bands["outcome"] == outcome]
        if sel.empty:
            continue
        names = sorted(set(sel["band_first"]) | set(sel["band_second"]), key=band_sort_key)
        for wave, column in zip(WAVES, ("band_first", "band_second")):
            counts = sel[column].value_counts()
            total = len(sel)
            for band in names:
                n = int(counts.get(band, 0))
                rows.append({"outcome": outcome, "wave": wave, "band": band, "n": n, "share": n / total,
                             "total": total})
    return pd.DataFrame(rows, columns=["outcome", "wave", "band", "n", "share", "total"])
