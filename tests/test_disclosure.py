"""Disclosure control (CONTRACT section 7): no count of people between 1 and min_n - 1
is published or can be derived from everything a study publishes.

The attacker here is written independently of evaluation.disclosure: it reads only
the published tables, builds its own linear programme over the finest cells
(participation, per outcome validity, bands; absent rows are zeros; a valid score
needs an answer; counts are not negative) and asks, for every count of people of
every cell at every status, its smallest and largest possible value. A count whose
bounds meet at a value from 1 to min_n - 1 has been derived.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from evaluation import analyses, disclosure, measures
from evaluation.stats import results_table

MISSING = "\u2205"


# ------------------------------------------------------------------ the attack
def _subsets(waves, nonempty=True):
    out = [frozenset(c) for r in range(1 if nonempty else 0, len(waves) + 1) for c in itertools.combinations(waves, r)]
    return out


class Attack:
    """The attacker's LP over the published results, flow and band tables, for any waves.

    Atoms per finest cell: included people by the set of waves they answered ("F"),
    people left out ("X"); per outcome, people by the set of waves with a valid score
    ("O"). A valid score needs an answer: for every up-closed family U of wave sets,
    the people whose valid set is in U are at most those whose answered set is in U
    (Hall's condition, which is exactly what a person-by-person matching needs).
    """

    def __init__(self, results, flow, bands, columns, groupings, outcomes, min_n, missing=(), known_small=(),
                 include=False, waves=("pre", "post"), contrasts=(("pre", "post"),)):
        self.min_n = min_n
        self.columns = columns
        self.groupings = [list(g) for g in groupings]
        self.waves = list(waves)
        self.contrasts = [tuple(c) for c in contrasts]
        levels = {c: set() for c in columns}
        for table in (results, flow):
            for grouping, group in zip(table["grouping"], table["group"]):
                if grouping == "all":
                    continue
                for c, v in zip(grouping.split("+"), group.split("+")):
                    levels[c].add(v)
        # the attacker is told which columns have people without a value (a stronger attacker)
        self.levels = {c: sorted(v) + [MISSING] * (c in missing) for c, v in levels.items()}
        self.cells = list(itertools.product(*(self.levels[c] for c in columns)))
        self.sets = _subsets(self.waves)
        self.var: dict[tuple, int] = {}
        for cell in self.cells:
            for a in self.sets:
                self.var[("F", cell, a)] = len(self.var)
            self.var[("X", cell)] = len(self.var)
            for k in outcomes:
                for v in self.sets:
                    self.var[("O", k, cell, v)] = len(self.var)
        self.band_names = {}
        for (k, a, b), part in bands.groupby(["outcome", "from_wave", "to_wave"]):
            names = sorted(set(part["band"]))
            self.band_names[(k, a, b)] = names
            for bp in names:
                for bq in names:
                    self.var[("B", k, a, b, bp, bq)] = len(self.var)
        self.eq, self.eq_b, self.ub, self.ub_b = [], [], [], []
        self.outcomes = outcomes
        self.sensitive = []
        # published results
        seen = set()
        for _, r in results.iterrows():
            members = self.members(r["grouping"], r["group"])
            a, b = r["from_wave"], r["to_wave"]
            seen.add((r["outcome"], a, b, r["grouping"], r["group"]))
            for column, need in (("n", {a, b}), ("n_pre", {a}), ("n_post", {b})):
                if pd.notna(r[column]):
                    self.equation(self.valid(r["outcome"], members, lambda v, need=need: need <= v), r[column])
        seen_flow = set()
        for _, r in flow.iterrows():
            members = self.members(r["grouping"], r["group"])
            seen_flow.add((r["grouping"], r["group"]))
            for column in flow.columns:
                if column in ("grouping", "group", "excluded_rows", "suppressed") or pd.isna(r[column]):
                    continue
                self.equation(self.atoms("flow", r["grouping"], r["group"], column), r[column])
        for grouping in self.groupings:
            name = "+".join(grouping) or "all"
            for combo in itertools.product(*([v for v in self.levels[c] if v != MISSING] for c in grouping)):
                label = "+".join(combo) or "all"
                members = self.members(name, label)
                if (name, label) not in seen_flow:
                    self.equation(self.answered(members, lambda s: True) + [("X", c) for c in members], 0)
                for k in outcomes:
                    for a, b in self.contrasts:
                        if (k, a, b, name, label) not in seen:
                            self.equation(self.valid(k, members, lambda v, a=a, b=b: a in v or b in v), 0)
        for (k, a, b, wave), part in bands.groupby(["outcome", "from_wave", "to_wave", "wave"]):
            names = self.band_names[(k, a, b)]
            for _, r in part.iterrows():
                if pd.notna(r["n"]):
                    self.equation(self.atoms("bands", (k, a, b), r["band"], wave), r["n"])
            if part["total"].notna().any():
                self.equation([("B", k, a, b, p, q) for p in names for q in names], part["total"].dropna().iloc[0])
        if not include:  # no include in the config: nobody is left out
            self.equation([("X", c) for c in self.cells], 0)
        for (k, a, b), names in self.band_names.items():
            row = self.row([("B", k, a, b, p, q) for p in names for q in names])
            row -= self.row(self.valid(k, self.cells, lambda v, a=a, b=b: {a, b} <= v))
            self.eq.append(row)
            self.eq_b.append(0)
        upsets = [u for r in range(1, len(self.sets) + 1) for u in itertools.combinations(self.sets, r)
                  if all(t in u for s_ in u for t in self.sets if s_ <= t)]
        for k in outcomes:
            for c in self.cells:
                for u in upsets:
                    self.ub.append(self.row([("O", k, c, v) for v in u]) - self.row([("F", c, v) for v in u]))
                    self.ub_b.append(0)
        for table, grouping, group, column, extra in known_small:  # "< min_n" in the report
            atoms = self.atoms(table, grouping, group, column, extra)
            self.ub += [-self.row(atoms), self.row(atoms)]
            self.ub_b += [-1, min_n - 1]
        # what must not be derived
        flow_statuses = [("included", lambda s: True)] + [(f"only {sorted(a)}", lambda s, a=a: s == a)
                                                          for a in self.sets]
        for w in self.waves:
            flow_statuses += [(f"answered {w}", lambda s, w=w: w in s), (f"missed {w}", lambda s, w=w: w not in s)]
        outcome_statuses = [(f"valid {w}", lambda v, w=w: w in v) for w in self.waves]
        for a, b in self.contrasts:
            flow_statuses += [(f"both {a} {b}", lambda s, a=a, b=b: a in s and b in s),
                              (f"{a} only of {a} {b}", lambda s, a=a, b=b: a in s and b not in s),
                              (f"{b} only of {a} {b}", lambda s, a=a, b=b: b in s and a not in s)]
            outcome_statuses += [(f"n {a} {b}", lambda v, a=a, b=b: a in v and b in v),
                                 (f"dropped out {a} {b}", lambda v, a=a, b=b: a in v and b not in v),
                                 (f"joined {a} {b}", lambda v, a=a, b=b: b in v and a not in v)]
        for grouping in self.groupings:
            name = "+".join(grouping) or "all"
            for combo in itertools.product(*([v for v in self.levels[c] if v != MISSING] for c in grouping)):
                label = "+".join(combo) or "all"
                members = self.members(name, label)
                x = [("X", c) for c in members]
                self.sensitive.append((f"flow {label} enrolled", self.answered(members, lambda s: True) + x))
                self.sensitive.append((f"flow {label} left out", x))
                for status, pred in flow_statuses:
                    self.sensitive.append((f"flow {label} {status}", self.answered(members, pred)))
                for k in outcomes:
                    for status, pred in outcome_statuses:
                        self.sensitive.append((f"{k} {label} {status}", self.valid(k, members, pred)))
        for (k, a, b), names in self.band_names.items():
            for band in names:
                self.sensitive.append((f"{k} {a}-{b} band {band} at {a}", self.atoms("bands", (k, a, b), band, a)))
                self.sensitive.append((f"{k} {a}-{b} band {band} at {b}", self.atoms("bands", (k, a, b), band, b)))

    def answered(self, members, pred):
        return [("F", c, a) for c in members for a in self.sets if pred(a)]

    def valid(self, k, members, pred):
        return [("O", k, c, v) for c in members for v in self.sets if pred(v)]

    def atoms(self, table, grouping, group, column, extra=None):
        """The atoms of one published count (results/flow by cell, bands by (outcome, from, to), band, wave)."""
        if table == "bands":
            k, a, b = grouping
            names = self.band_names[grouping]
            if column == a:
                return [("B", k, a, b, group, q) for q in names]
            return [("B", k, a, b, q, group) for q in names]
        members = self.members(grouping, group)
        if table == "results":
            outcome, a, b = extra
            need = {"n": {a, b}, "n_pre": {a}, "n_post": {b}}[column]
            return self.valid(outcome, members, lambda v: need <= v)
        if column == "enrolled":
            return self.answered(members, lambda s: True) + [("X", c) for c in members]
        if column == "not_included":
            return [("X", c) for c in members]
        if column.startswith("answered_"):
            w = column[len("answered_"):]
            return self.answered(members, lambda s: w in s)
        pair = [(a, b) for a, b in self.contrasts if column == f"complete_{a}_{b}"]
        assert pair, column
        a, b = pair[0]
        return self.answered(members, lambda s: a in s and b in s)

    def members(self, grouping, group):
        if grouping == "all":
            return self.cells
        want = dict(zip(grouping.split("+"), group.split("+")))
        return [cell for cell in self.cells if all(cell[self.columns.index(c)] == v for c, v in want.items())]

    def row(self, atoms):
        row = np.zeros(len(self.var))
        for a in atoms:
            row[self.var[a]] += 1
        return row

    def equation(self, atoms, value):
        self.eq.append(self.row(atoms))
        self.eq_b.append(float(value))

    def bounds(self, atoms):
        c = self.row(atoms)
        out = []
        for sign in (1, -1):
            res = linprog(sign * c, A_ub=np.array(self.ub) if self.ub else None, b_ub=self.ub_b or None,
                          A_eq=np.array(self.eq), b_eq=self.eq_b, bounds=(0, None), method="highs")
            if res.status == 3:  # unbounded: only a maximum can be
                out.append(np.inf)
            else:
                assert res.status == 0, res.message  # the published tables are consistent
                out.append(sign * res.fun)
        return out[0], out[1]

    def derived_small(self):
        """Every sensitive count whose smallest and largest value meet at 1..min_n-1.

        A few solutions for random positive objectives come first: a count that takes
        two values among them is not determined, and needs no bounds of its own."""
        rng = np.random.default_rng(0)
        points = []
        for _ in range(8):
            res = linprog(rng.random(len(self.var)) + 0.01, A_ub=np.array(self.ub) if self.ub else None,
                          b_ub=self.ub_b or None, A_eq=np.array(self.eq), b_eq=self.eq_b, bounds=(0, None),
                          method="highs")
            assert res.status == 0, res.message
            points.append(res.x)
        points = np.array(points)
        found = []
        for description, atoms in self.sensitive:
            if not atoms:
                continue
            values = points @ self.row(atoms)
            if values.max() - values.min() > 1e-6 or not 0.5 < values[0] < self.min_n - 0.5:
                continue  # two solutions disagree, or the value is not small
            lo, hi = self.bounds(atoms)
            if hi - lo < 1e-6 and 0.5 < lo < self.min_n - 0.5:
                found.append((description, round(lo)))
        return found


# --------------------------------------------------------------- a random study
def make_people(rng, n, columns, levels, structural_zero, missing_share, left_out=0.0, waves=("pre", "post")):
    values = {}
    allowed = [combo for combo in itertools.product(*(range(levels[c]) for c in columns))
               if combo not in structural_zero] or [tuple(0 for _ in columns)]
    picks = rng.integers(0, len(allowed), n)
    for j, c in enumerate(columns):
        v = np.array([f"{c}{allowed[p][j]}" for p in picks], dtype=object)
        v[rng.random(n) < missing_share] = None
        values[c] = v
    people = pd.DataFrame({"pid": [f"p{i:03d}" for i in range(n)], **values})
    answered = np.column_stack([rng.random(n) < (0.9 if k == 0 else 0.75) for k in range(len(waves))])
    answered[~answered.any(axis=1), -1] = True
    for k, w in enumerate(waves):
        people[f"answered_{w}"] = answered[:, k]
    people["included"] = rng.random(n) >= left_out
    people.loc[~people["included"], [f"answered_{w}" for w in waves]] = False
    return people


def protected_tables(people, columns, groupings, n_outcomes, min_n, rng, include=False, waves=("pre", "post"),
                     contrasts=(("pre", "post"),)):
    """Scores per person and wave (a valid score needs an answer), then the real
    measures, results and protection, as the tables stage makes them."""
    rows = []
    band = lambda s: np.where(s < 8, "low", np.where(s < 14, "mid", "high"))  # noqa: E731
    for k in range(n_outcomes):
        level = rng.integers(0, 20, len(people)).astype(float)
        for step, w in enumerate(waves):
            valid = people[f"answered_{w}"].to_numpy() & (rng.random(len(people)) < 0.93)
            score = np.where(valid, np.clip(level + step * rng.integers(-4, 6, len(people)), 0, 25), np.nan)
            keep = people[f"answered_{w}"].to_numpy()
            rows.append(pd.DataFrame({"pid": people["pid"][keep], "wave": w, "instrument": f"o{k}", "scale": "total",
                                      "score": score[keep],
                                      "band": np.where(np.isnan(score[keep]), None, band(score[keep])) if k == 0
                                      else None, **{c: people[c][keep] for c in columns}}))
    scores = pd.concat(rows, ignore_index=True)
    outcomes = {f"o{k}": {"instrument": f"o{k}", "scale": "total"} for k in range(n_outcomes)}
    pairs = measures.complete_pairs(scores, outcomes, columns, contrasts)
    results = results_table(pairs, groupings, min_n=min_n)
    bands = measures.band_pairs(scores, {"o0": outcomes["o0"]}, contrasts)
    flow = measures.flow_table(people, groupings, 0, waves, contrasts)
    band_table = measures.band_table(bands, ["o0"], contrasts)
    tables, protection = disclosure.protect_tables(
        people=people, validity=measures.validity(scores, outcomes, waves), bands=bands, group_columns=columns,
        groupings=groupings, outcomes=list(outcomes),
        tables={"results": results, "participant_flow": flow, "band_shares": band_table},
        analyses=[analyses.flow, analyses.paired_change, analyses.bands], min_n=min_n, waves=waves,
        contrasts=contrasts, include=include)
    published = {"results": tables["results"], "flow": tables["participant_flow"], "bands": tables["band_shares"]}
    return published, results, flow, protection, band_table


def markers(protection, results, flow, bands):
    """What the report marks "< min_n": the attacker knows those counts are 1 to min_n - 1."""
    out = []
    rows, cells = protection.table("results")
    for r, why in rows.items():
        if why == "small":
            out.append(("results", results.at[r, "grouping"], results.at[r, "group"], "n",
                        (results.at[r, "outcome"], results.at[r, "from_wave"], results.at[r, "to_wave"])))
    rows, cells = protection.table("participant_flow")
    for r, why in rows.items():
        if why == "small":
            out.append(("flow", flow.at[r, "grouping"], flow.at[r, "group"], "enrolled", None))
    for (r, c), why in cells.items():
        if why == "small":
            out.append(("flow", flow.at[r, "grouping"], flow.at[r, "group"], c, None))
    rows, cells = protection.table("band_shares")
    for r in [r for r, why in rows.items() if why == "small"] + [r for (r, c), why in cells.items()
                                                                 if why == "small" and c == "n"]:
        key = (bands.at[r, "outcome"], bands.at[r, "from_wave"], bands.at[r, "to_wave"])
        out.append(("bands", key, bands.at[r, "band"], bands.at[r, "wave"], None))
    return out


def attack(published, columns, groupings, n_outcomes, min_n, missing=(), known_small=(), include=False,
           waves=("pre", "post"), contrasts=(("pre", "post"),)):
    return Attack(published["results"], published["flow"], published["bands"], columns, groupings,
                  [f"o{k}" for k in range(n_outcomes)], min_n, missing, known_small, include, waves,
                  contrasts).derived_small()


WAVE_DESIGNS = [(("pre", "post"), (("pre", "post"),)),
                (("t0", "t1", "t2"), (("t0", "t1"), ("t0", "t2"))),
                (("t0", "t1", "t2"), (("t0", "t1"), ("t0", "t2"), ("t1", "t2")))]


@st.composite
def studies(draw):
    n_columns = draw(st.integers(1, 3))
    columns = [f"g{j}" for j in range(n_columns)]
    levels = {c: draw(st.integers(2, 4 if n_columns < 3 else 3)) for c in columns}
    combos = list(itertools.product(*(range(levels[c]) for c in columns)))
    zeros = set(draw(st.lists(st.sampled_from(combos), max_size=len(combos) // 2))) if n_columns > 1 else set()
    candidates = [list(g) for r in range(1, n_columns + 1) for g in itertools.combinations(columns, r)]
    chosen = draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=3, unique_by=tuple))
    groupings = [[]] + sorted(chosen, key=lambda g: (len(g), g))
    waves, contrasts = draw(st.sampled_from(WAVE_DESIGNS))
    return {"columns": columns, "levels": levels, "zeros": zeros, "groupings": groupings,
            "n": draw(st.integers(8, 70)), "n_outcomes": draw(st.integers(1, 3 if len(waves) == 2 else 2)),
            "min_n": draw(st.sampled_from([3, 5, 10])), "missing": draw(st.sampled_from([0.0, 0.05])),
            "left_out": draw(st.sampled_from([0.0, 0.0, 0.15])), "waves": waves, "contrasts": contrasts,
            "seed": draw(st.integers(0, 2**32 - 1))}


@settings(max_examples=int(__import__("os").environ.get("DISCLOSURE_EXAMPLES", 40)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(studies())
def test_no_small_count_can_be_derived_from_a_random_study(case):
    rng = np.random.default_rng(case["seed"])
    people = make_people(rng, case["n"], case["columns"], case["levels"], case["zeros"], case["missing"],
                         case["left_out"], case["waves"])
    include = case["left_out"] > 0
    published, results, flow, protection, bands = protected_tables(
        people, case["columns"], case["groupings"], case["n_outcomes"], case["min_n"], rng, include,
        case["waves"], case["contrasts"])
    used = [c for c in case["columns"] if any(c in g for g in case["groupings"])]
    missing = [c for c in used if people[c].isna().any()]
    found = attack(published, used, case["groupings"], case["n_outcomes"], case["min_n"], missing,
                   markers(protection, results, flow, bands), include, case["waves"], case["contrasts"])
    assert not found, found[:5]


# -------------------------------------------------------------- the recoveries of issue 9
def fixed_people(rows):
    """People from (g0, g1, answered_pre, answered_post, count) rows."""
    out = []
    for g0, g1, a, b, count in rows:
        out += [{"g0": g0, "g1": g1, "answered_pre": a, "answered_post": b}] * count
    people = pd.DataFrame(out)
    people.insert(0, "pid", [f"p{i:03d}" for i in range(len(people))])
    return people


def test_hidden_two_way_cell_is_not_a_variant_row_minus_a_municipality_row():
    """min_n 10, groupings [m], [v], [m, v]; municipality B runs only variant y: the hidden
    cell A+y could be the y row minus the B row (its n, and so its means)."""
    people = fixed_people([("A", "x", True, True, 30), ("A", "y", True, True, 4), ("B", "y", True, True, 25),
                           ("C", "x", True, True, 12), ("C", "y", True, True, 14)])
    groupings = [[], ["g0"], ["g1"], ["g0", "g1"]]
    rng = np.random.default_rng(1)
    published, results, flow, protection, bands = protected_tables(people, ["g0", "g1"], groupings, 1, 10, rng)
    res = published["results"].set_index(["grouping", "group"])
    assert res.loc[("g0+g1", "A+y"), "suppressed"]
    assert not attack(published, ["g0", "g1"], groupings, 1, 10, (), markers(protection, results, flow, bands))
    # the attack finds it when only the small cell is hidden (the test has teeth)
    naive = {**published, "results": results.assign(
        **{c: results[c].astype(object).where(results["n"] >= 10) for c in ("n", "n_pre", "n_post")}),
        "flow": published["flow"]}
    assert ("o0 A+y n pre post", 4) in attack(naive, ["g0", "g1"], groupings, 1, 10)


def test_dropouts_of_a_cell_are_not_n_pre_minus_n():
    """n_pre - n is the number who dropped out: 2 people in municipality A."""
    people = fixed_people([("A", "x", True, True, 20), ("A", "x", True, False, 2), ("B", "x", True, True, 20),
                           ("B", "x", True, False, 9)])
    rng = np.random.default_rng(2)
    published, results, flow, protection, bands = protected_tables(people, ["g0"], [[], ["g0"]], 1, 5, rng)
    assert not attack(published, ["g0"], [[], ["g0"]], 1, 5, (), markers(protection, results, flow, bands))
    naive = {**published, "results": results, "flow": flow}
    assert any(d == "flow A pre only of pre post" or d == "o0 A dropped out pre post" for d, _ in
               attack(naive, ["g0"], [[], ["g0"]], 1, 5))


def test_flow_table_hides_a_second_group_with_a_small_one():
    """overall - sum of the others gave back a small hidden group of the flow table."""
    people = fixed_people([("A", "x", True, True, 3), ("B", "x", True, True, 20), ("C", "x", True, True, 30)])
    rng = np.random.default_rng(3)
    published, results, flow, protection, bands = protected_tables(people, ["g0"], [[], ["g0"]], 1, 5, rng)
    shown = published["flow"].set_index("group")
    assert shown.loc["A", "suppressed"] and shown["suppressed"].sum() >= 2
    assert not attack(published, ["g0"], [[], ["g0"]], 1, 5, (), markers(protection, results, flow, bands))


def test_a_row_hidden_to_protect_another_is_marked_protect():
    people = fixed_people([("A", "x", True, True, 3), ("B", "x", True, True, 20), ("C", "x", True, True, 30)])
    _, results, flow, protection, _ = protected_tables(people, ["g0"], [[], ["g0"]], 1, 5, np.random.default_rng(4))
    rows, _ = protection.table("results")
    by_group = {results.at[r, "group"]: why for r, why in rows.items()}
    assert by_group == {"A": "small", "B": "protect"}


def test_audit_fails_the_run_when_a_small_count_is_derivable():
    people = fixed_people([("A", "x", True, True, 3), ("B", "x", True, True, 20)])
    rng = np.random.default_rng(5)
    _, results, flow, *_ = protected_tables(people, ["g0"], [[], ["g0"]], 1, 5, rng)
    model = disclosure.study_model(
        people=people.assign(included=True), validity=pd.DataFrame({"outcome": [], "pid": [], "valid": []}),
        bands=pd.DataFrame(columns=["outcome", "from_wave", "to_wave", "pid", "band_first", "band_second"]),
        group_columns=["g0"], groupings=[[], ["g0"]], outcomes=[], tables={"participant_flow": flow},
        analyses=[analyses.flow])
    visible = np.array([c.value >= 5 for c in model.counts])  # primary suppression only
    found = disclosure.audit(model, visible, 5)
    assert [model_s for model_s in found.violations]
    assert any("A" in s.description for i, s in enumerate(model.sensitive()) if i in found.violations)


def test_a_count_published_twice_is_hidden_everywhere_at_once():
    """The same people counted in two rows are one count: hiding one copy to protect
    another count hides every copy, with the same reason. Everyone runs variant x, so
    the flow table's row x repeats its overall row."""
    people = fixed_people([("A", "x", True, True, 30), ("B", "x", True, True, 20), ("C", "x", True, False, 25)])
    groupings = [[], ["g0"], ["g1"]]
    _, _, flow, _, _ = protected_tables(people, ["g0", "g1"], groupings, 1, 5, np.random.default_rng(6))
    model = disclosure.study_model(
        people=people.assign(included=True), validity=pd.DataFrame({"outcome": [], "pid": [], "valid": []}),
        bands=pd.DataFrame(columns=["outcome", "from_wave", "to_wave", "pid", "band_first", "band_second"]),
        group_columns=["g0", "g1"], groupings=groupings, outcomes=[], tables={"participant_flow": flow},
        analyses=[analyses.flow])
    where = {(c.row, c.column): i for i, c in enumerate(model.counts)}
    overall, variant = where[(0, "answered_post")], where[(4, "answered_post")]
    assert model.counts[overall].form.key() == model.counts[variant].form.key()  # 50 people, twice
    protection = disclosure.protect(model, 5, hidden=[variant])
    assert protection.hidden[("participant_flow", 4, "answered_post")] == "protect"
    assert protection.hidden.get(("participant_flow", 0, "answered_post")) == "protect"


@pytest.mark.parametrize("study_id", ["parents", "fosterfamilies"])
def test_demo_publication_withstands_the_attack(demo_run, study_id):
    from conftest import study_people
    from evaluation.config import Study, load_config

    study = Study.from_config(load_config(demo_run / "config.yaml"), study_id)
    base = demo_run / "reports" / study_id / "tables"
    results = pd.read_csv(base / "results.csv")
    flow = pd.read_csv(base / "participant_flow.csv")
    bands = pd.read_csv(base / "band_shares.csv")
    columns = [c for c in study.groups if any(c in g for g in study.groupings)]
    people = study_people(demo_run / "data" / "processed" / study_id, study)
    missing = [c for c in columns if people[c].isna().any()]  # the parents have no child's age
    found = Attack(results, flow, bands, columns, study.groupings, list(study.outcomes),
                   study.analysis["min_n"], missing, include=bool(study.spec.get("include")), waves=study.waves,
                   contrasts=study.contrasts).derived_small()
    assert not found, found[:5]


def test_distinct_rows_keeps_the_row_space_and_drops_only_repeats():
    """The audit's equations before its QR: zero rows and repeats go, nothing else.

    Repeats within rounding (the same form computed along another path) count as
    repeats; rows that differ keep their place, so the rank and the row space are
    those of the input."""
    rng = np.random.default_rng(5)
    base = rng.integers(-2, 3, size=(6, 12)).astype(float)
    base[2] = base[0] + base[1]  # a dependent row is not a repeat: it stays
    rows = np.vstack([base, base[[0, 3]], np.zeros((2, 12)), base[[4]] * (1 + 1e-15), base[[5]] * 2.0])
    kept = disclosure._distinct_rows(rng.permutation(rows))
    assert len(kept) == 7  # the six rows and the multiple 2 x row 5 (same direction, not the same row)
    assert np.linalg.matrix_rank(kept) == np.linalg.matrix_rank(rows)
    stacked = np.vstack([kept, rows])
    assert np.linalg.matrix_rank(stacked) == np.linalg.matrix_rank(kept)
    for row in kept:  # every kept row is one of the input's
        assert np.isclose(np.abs(rows - row).max(axis=1), 0, atol=1e-12).any()
    assert disclosure._distinct_rows(np.zeros((3, 4))).shape == (0, 4)


def test_certificates_solved_warm_name_equations_that_derive_each_form():
    """disclosure._certificates solves its programmes one after another from the last
    basis (highspy), dealt over two processes: every form's named equations still
    derive it (the form lies in their row space)."""
    rng = np.random.default_rng(11)
    A = (rng.random((24, 40)) < 0.2).astype(float)
    x = rng.integers(0, 6, 40).astype(float)
    b = A @ x
    picks = [rng.choice(24, size=k, replace=False) for k in (1, 2, 3, 2, 4, 1)]
    F = np.array([A[p].sum(axis=0) for p in picks])
    values = F @ x
    hideable = np.ones(24, dtype=bool)
    used = disclosure._certificates(A, b, F, values, hideable)
    assert len(used) == len(F)
    for f, rows in zip(F, used):
        assert len(rows)
        coef, *_ = np.linalg.lstsq(A[rows].T, f, rcond=None)
        assert np.allclose(A[rows].T @ coef, f, atol=1e-8)


@settings(max_examples=int(__import__("os").environ.get("DISCLOSURE_EXAMPLES", 40)) // 2, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(studies(), st.floats(0.2, 0.9), st.floats(0.0, 1.0))
def test_audit_determines_what_every_equation_together_does(case, shown, unmarked_share):
    """The audit leaves out a "< min_n" marker's equation whose slack is free and keeps
    each answer for equations it has seen (``_determined``): on random published states
    of random studies, what it finds determined is what the row space of all equations
    over the free variables (slacks and all, as built) determines, by a dense SVD."""
    rng = np.random.default_rng(case["seed"])
    people = make_people(rng, case["n"], case["columns"], case["levels"], case["zeros"], case["missing"],
                         case["left_out"], case["waves"])
    models = []
    protect = disclosure.protect
    disclosure.protect = lambda model, *a, **k: (models.append(model), protect(model, *a, **k))[1]
    try:
        protected_tables(people, case["columns"], case["groupings"], case["n_outcomes"], case["min_n"], rng,
                         case["left_out"] > 0, case["waves"], case["contrasts"])
    finally:
        disclosure.protect = protect
    model, min_n = models[0], case["min_n"]
    sensitive = model.sensitive()
    systems = []
    forced_zero = disclosure._forced_zero
    disclosure._forced_zero = lambda A, b, x: systems.append((A, forced_zero(A, b, x))) or systems[-1][1]
    try:
        for _ in range(3):
            visible = rng.random(len(model.counts)) < shown
            small = [i for i, c in enumerate(model.counts) if not visible[i] and 1 <= c.value < min_n]
            unmarked = {i for i in small if rng.random() < unmarked_share}
            for _ in range(2):  # the second answer comes from what the first kept
                systems.clear()
                got = disclosure.audit(model, visible, min_n, sensitive, unmarked, certificates=0).determined
                A, forced = systems[-1]
                Af = A.toarray()[:, ~forced]
                S = np.hstack([model.sensitive_matrix(sensitive).toarray(),
                               np.zeros((len(sensitive), A.shape[1] - model.n_atoms))])[:, ~forced]
                _, singular, vt = np.linalg.svd(Af, full_matrices=False)
                basis = vt[singular > 1e-9 * max(1.0, singular.max(initial=0))]
                residual = np.linalg.norm(S - (S @ basis.T) @ basis, axis=1)
                want = residual <= 1e-8 * np.maximum(1.0, np.linalg.norm(S, axis=1))
                assert got.tolist() == want.tolist()
    finally:
        disclosure._forced_zero = forced_zero
