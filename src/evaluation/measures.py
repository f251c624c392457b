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


def participation(flow: pd.DataFrame, responses: pd.DataFrame, group_columns: Sequence[str]) -> pd.DataFrame:
    """One row per enrolled person (an answered wave): ``pid``, the group columns
    (the value at the person's first answered wave), ``answered_pre``, ``answered_post``.

    Examples
    --------
    >>> flow = pd.DataFrame({"pid": ["a", "a", "b"], "wave": ["pre", "post", "post"],
    ...                      "status": ["answered", "answered", "answered"]})
    >>> responses = pd.DataFrame({"pid": ["a", "a", "b"], "wave": ["post", "pre", "post"], "m": ["X", "Y", "Z"]})
    >>> participation(flow, responses, ["m"])
      pid  m  answered_pre  answered_post
    0   a  Y          True           True
    1   b  Z         False           True
    """
    answered = flow[flow["status"] == "answered"]
    waves = answered.groupby("pid")["wave"].agg(set)
    order = responses.assign(_w=responses["wave"].map({w: i for i, w in enumerate(WAVES)}))
    groups = (order.sort_values(["pid", "_w"], kind="stable").drop_duplicates("pid")
              .set_index("pid")[list(group_columns)])
    out = pd.DataFrame(index=waves.index)
    out = out.join(groups)
    for wave in WAVES:
        out[f"answered_{wave}"] = waves.map(lambda w, wave=wave: wave in w).astype(bool)
    out.index.name = "pid"
    return out.reset_index().sort_values("pid", kind="stable").reset_index(drop=True)


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

    ``enrolled`` answered a wave; ``answered_<wave>``; ``complete_pre_post``
    answered both; ``excluded_rows`` (overall row only) are the input rows left
    out as invalid or duplicate.
    """
    rows = []
    for grouping in groupings:
        for name, group, part in _groups(people, grouping):
            rows.append({"grouping": name, "group": group, "enrolled": len(part), "not_included": 0,
                         "answered_pre": int(part["answered_pre"].sum()),
                         "answered_post": int(part["answered_post"].sum()),
                         "complete_pre_post": int((part["answered_pre"] & part["answered_post"]).sum())})
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
