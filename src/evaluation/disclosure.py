"""Disclosure control: which published counts are hidden, decided for a whole study at once.

CONTRACT section 7: no count of people between 1 and ``min_n − 1`` may be
published or derivable from the study's published numbers, by sums and
differences across tables, groupings and waves, structural zeros (a combination
without a row) and non-negativity. This module is the only place that decides
suppression; every table is protected together because a count hidden in one
table can be recovered from another.

The model
---------
Every published count is a linear form over *atomic counts*: the people of one
finest cell (a combination of values of every group column used by a grouping,
"missing" being a value of its own where someone lacks a value) in one status:

* participation: the set of waves a person answered (a bit mask, ``2^W − 1`` of
  them), and left out by ``include``;
* per outcome: the pair (waves answered, waves with a valid score), the second
  within the first;
* per banded outcome and contrast: complete pairs by (band at the earlier wave,
  band at the later one), overall only (band shares are published overall only).

The blocks are linked the way the data are: in every cell, the people who answered
a set of waves are the sum of that set's (answered, valid) atoms of each outcome,
and the band atoms of an outcome and contrast add up to its complete pairs. A
table row that does not exist is a published zero. Each analysis
(:mod:`evaluation.analyses`) says which atoms each of its published counts sums
(its ``counts`` function), so a new table is protected with all the others.

The attacker knows every visible count, the structure and that counts are not
negative. A *sensitive* count (the people of any cell of any grouping at any
status: enrolled, answered a wave, complete, one wave only, in a band) is
*determined* when every solution of that system gives it the same value. That is
decided exactly for the linear-programming relaxation in two steps: one linear
programme finds the variables forced to zero (the implicit equalities of the
polytope, Goldman & Tucker's strictly complementary trick: the true counts x₀ are
one solution, every other is x₀ + d with ``Ad = 0`` and ``d >= 0`` where x₀ is 0, so
maximising ``Σ min(d_i, 1)`` over that cone finds every atom that can leave 0), and
on the remaining variables, whose relative interior is then open, a count is
determined exactly when its form lies in the row space of the equations (tested
after the equations within one cell are solved away). A "< min_n" marker is two
equations with a slack each (``count − s = 1``, ``count + s' = min_n − 1``): a slack
that can leave 0 lies in its one equation only, so that equation tells nothing of
the counts and is left out of the test (and gets weight 0 in every derivation); a
slack forced to 0 pins the count, and its equation stays.

Tables whose counts are all counts of the results table, or differences of two
(attrition, the mixed model, clustered change: ``FOLLOWS``), are not modelled
again: a row of theirs is published only where those counts are (:func:`follow`).
Counts published twice (the same form) are hidden together. The classes of
reliable change add up to a cell's complete pairs and nothing else links them; they
get an audit of their own per outcome and contrast (:class:`PartitionModel`) in
which the attacker is granted every finest cell's number of pairs.

Protection starts from primary suppression (every count from 1 to ``min_n − 1``)
and, while the audit finds a determined small count, hides the cheapest visible
count in one derivation of it: single counts before a row's key count, the
smallest first, all equally cheap ones together (so the result does not depend on
group names). Hiding a row's key count hides the whole row.

References
----------
* Hundepool, A. et al. (2012). *Statistical Disclosure Control*, ch. 4
  (linked tables, secondary suppression, the attacker's LP).
* Goldman, A. J. & Tucker, A. W. (1956). Theory of linear programming (strictly
  complementary solutions), in *Linear Inequalities and Related Systems*.
"""
from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

# scipy (its linear programming in particular) is imported where it is used: the
# figures and report processes import this module for is_small() alone

__all__ = ["Count", "CountModel", "Form", "DisclosureError", "Protection", "protect", "audit", "study_model",
           "protect_tables", "apply", "is_small"]


class Form:
    """A linear form over a model's atoms, kept sparse: the atoms it sums (sorted,
    distinct) and their coefficients (floats, none 0).

    A count's form names a few of a study's thousands of atoms (196 cells of 40
    atoms each): a dense array per form (a 10^5 study's model has 22,000 sensitive
    counts and 6,000 published ones) cost most of the model's time in making it
    and finding its atoms again, each time a form was keyed or stacked.

    >>> f = Form(np.array([1, 3]), np.array([1.0, 1.0])) - Form(np.array([3]), np.array([1.0]))
    >>> f.atoms.tolist(), f.coefficients.tolist(), f @ np.array([5.0, 7.0, 0.0, 2.0])
    ([1], [1.0], 7.0)
    """

    __slots__ = ("atoms", "coefficients")

    def __init__(self, atoms: np.ndarray, coefficients: np.ndarray):
        self.atoms = atoms
        self.coefficients = coefficients

    @classmethod
    def ones(cls, atoms: np.ndarray) -> "Form":
        """The sum of ``atoms`` (sorted and distinct)."""
        return cls(atoms, np.ones(len(atoms)))

    def __add__(self, other: "Form") -> "Form":
        atoms, where = np.unique(np.r_[self.atoms, other.atoms], return_inverse=True)
        summed = np.bincount(where, weights=np.r_[self.coefficients, other.coefficients], minlength=len(atoms))
        kept = summed != 0
        return Form(atoms[kept], summed[kept])

    def __neg__(self) -> "Form":
        return Form(self.atoms, -self.coefficients)

    def __sub__(self, other: "Form") -> "Form":
        return self + (-other)

    def __matmul__(self, x: np.ndarray) -> float:
        return float(self.coefficients @ x[self.atoms])

    def any(self) -> bool:
        return len(self.atoms) > 0

    def key(self) -> tuple[bytes, bytes]:
        """The same key for the same form: its atoms and coefficients."""
        return self.atoms.tobytes(), self.coefficients.tobytes()


def is_small(count, min_n: int):
    """A count of people from 1 to ``min_n − 1`` (0 is not small): what is never published.

    Counts in no linear relation with the tables (reliability ``n``, rows left out,
    prorated scores, answers given as a missing code) are hidden by this rule alone.

    >>> [is_small(v, 5) for v in (0, 1, 4, 5)]
    [False, True, True, False]
    """
    return (count >= 1) & (count < min_n)


class DisclosureError(RuntimeError):
    """The audit found a derivable small count in what is about to be published (a bug)."""


@dataclass
class Count:
    """One published count: where it is, which atoms it sums, its value."""

    table: str
    row: int
    column: str
    value: int
    form: Form  # the atoms it sums
    key: bool = False  # hiding it hides the whole row
    group_key: tuple = ()  # rows sharing a key count (band totals: outcome, wave)
    shown: bool = True  # the report shows it, as "< min_n" when it is hidden and small
    cell: tuple = ()  # (block, grouping, group) of a count over cells: for the sibling pre-pass
    together: tuple = ()  # counts published all or none (the classes of one row)


@dataclass
class Sensitive:
    description: str
    form: Form
    value: int
    cell: tuple = ()  # (grouping, group): its own cell's counts are hidden first


@dataclass
class Protection:
    """What protect() decided: per table, the hidden counts and why."""

    hidden: dict[tuple[str, int, str], str] = field(default_factory=dict)  # -> "small" | "protect"
    rows: dict[tuple[str, int], str] = field(default_factory=dict)  # whole rows hidden -> reason
    rounds: int = 0

    def table(self, name: str) -> tuple[dict[int, str], dict[tuple[int, str], str]]:
        rows = {r: why for (t, r), why in self.rows.items() if t == name}
        cells = {(r, c): why for (t, r, c), why in self.hidden.items() if t == name and r not in rows}
        return rows, cells


def _bits(mask: int, n_waves: int) -> tuple[int, ...]:
    return tuple(w for w in range(n_waves) if mask >> w & 1)


class CountModel:
    """The atoms of a study, the published counts over them and the sensitive counts.

    Parameters
    ----------
    people
        One row per enrolled person: ``pid``, the group columns, ``included`` and
        ``answered_<wave>`` for every wave (booleans).
    validity
        One row per outcome x person with a valid score at some wave: ``outcome, pid,
        valid`` (bit mask over ``waves``, :func:`evaluation.measures.validity`).
    bands
        One row per outcome x contrast x complete pair with bands: ``outcome,
        from_wave, to_wave, pid, band_first, band_second``.
    group_columns, groupings
        The group columns and the groupings (lists of column names; ``[]`` = all).
    waves, contrasts
        The wave ids in time order and the contrasts ``(earlier, later)``.

    Atoms per finest cell: the included people by the set of waves they answered
    (a bit mask ``A``, ``2^W - 1`` of them); the people left out by ``include``; per
    outcome, the included people by ``(A, V)``, ``V`` the waves with a valid score
    (``V`` within ``A``, possibly empty). Links (equations): for every cell and ``A``,
    the people who answered ``A`` are those of ``(A, V)`` summed over ``V``; the band
    atoms of an outcome and contrast add up to its complete pairs.
    """

    def __init__(self, people: pd.DataFrame, validity: pd.DataFrame, bands: pd.DataFrame,
                 group_columns: Sequence[str], groupings: Sequence[Sequence[str]], outcomes: Sequence[str],
                 waves: Sequence[str] = ("pre", "post"), contrasts: Sequence[Sequence[str]] = (("pre", "post"),)):
        self.group_columns = [c for c in group_columns if any(c in g for g in groupings)]
        self.groupings = [list(g) for g in groupings]
        self.table_groupings = self.groupings  # the groupings of the results and flow tables
        self.outcomes = list(outcomes)
        self.waves = list(waves)
        self.contrasts = [tuple(c) for c in contrasts]
        W = len(self.waves)
        self.bit = {w: 1 << i for i, w in enumerate(self.waves)}
        self.patterns = list(range(1, 1 << W))  # answered sets A (bit masks); flow atom A - 1
        self.joint = [(a, v) for a in self.patterns for v in range(1 << W) if v & ~a == 0]
        self.joint_index = {av: i for i, av in enumerate(self.joint)}
        P, J = len(self.patterns), len(self.joint)
        self.stride = {"flow": P, "excluded": 1}
        people = people.set_index("pid")
        self.levels = {c: sorted(people[c].dropna().astype(str).unique()) for c in self.group_columns}
        # "missing" is a level of its own only where someone lacks a value: an attacker
        # may well know that a column is never empty, so that knowledge is assumed
        self.has_missing = {c: bool(people[c].isna().any()) for c in self.group_columns}
        sizes = [len(self.levels[c]) + self.has_missing[c] for c in self.group_columns]
        self.n_cells = int(np.prod(sizes)) if sizes else 1
        codes = np.zeros(len(people), dtype=np.int64)
        for c, size in zip(self.group_columns, sizes):
            col = np.full(len(people), size - 1, dtype=np.int64)  # the last level: missing
            known = people[c].notna().to_numpy()
            col[known] = pd.Index(self.levels[c]).get_indexer(people[c][known].astype(str))
            codes = codes * size + col
        self.person_cell = pd.Series(codes, index=people.index)  # pid -> finest cell
        # the level code of every column in every cell
        self.cell_levels = {}
        rest = np.arange(self.n_cells)
        for c, size in reversed(list(zip(self.group_columns, sizes))):
            self.cell_levels[c] = rest % size
            rest = rest // size
        C = self.n_cells
        blocks: dict[str, int] = {}
        n = 0
        blocks["flow"] = n
        n += P * C
        blocks["excluded"] = n  # people left out by include, per cell
        n += C
        for k in self.outcomes:
            blocks[f"outcome:{k}"] = n
            self.stride[f"outcome:{k}"] = J
            n += J * C
        self.band_names: dict[tuple[str, str, str], list[str]] = {}
        for (k, a, b), part in bands.groupby(["outcome", "from_wave", "to_wave"], sort=False):
            names = sorted(set(part["band_first"].dropna().unique()) | set(part["band_second"].dropna().unique()))
            if names and k in self.outcomes:
                self.band_names[(k, a, b)] = names
                blocks[f"bands:{k}:{a}:{b}"] = n
                n += len(names) ** 2
        self.part_names: dict[tuple[str, str, str], list[str]] = {}  # classes: see PartitionModel
        self.part_unions: dict[tuple[str, str, str], list[list[str]]] = {}
        self.n_atoms = n
        self.blocks = blocks
        # the finest cell of every atom (-1: band atoms, which are not by cell)
        self.atom_cell = np.full(n, -1, dtype=np.int64)
        self.atom_cell[blocks["flow"]: blocks["flow"] + P * C] = np.repeat(np.arange(C), P)
        self.atom_cell[blocks["excluded"]: blocks["excluded"] + C] = np.arange(C)
        for k in self.outcomes:
            base = blocks[f"outcome:{k}"]
            self.atom_cell[base: base + J * C] = np.repeat(np.arange(C), J)
        x = np.zeros(n)
        answered = np.zeros(len(people), dtype=np.int64)
        for w, bit in self.bit.items():
            answered |= np.where(people[f"answered_{w}"].to_numpy(bool), bit, 0)
        included = (people["included"].to_numpy(bool) if "included" in people
                    else np.ones(len(people), dtype=bool))
        active = included & (answered > 0)
        np.add.at(x, blocks["flow"] + P * codes[active] + answered[active] - 1, 1)
        np.add.at(x, blocks["excluded"] + codes[~included], 1)
        atom_of = np.full((2 ** len(self.bit), 2 ** len(self.bit)), -1, dtype=np.int64)  # (answered, valid)
        for (a, vv), i in self.joint_index.items():
            atom_of[a, vv] = i
        for k in self.outcomes:
            v = validity[validity["outcome"] == k]
            valid = np.zeros(len(people), dtype=np.int64)
            where = people.index.get_indexer(v["pid"])  # pids are unique; -1: not an enrolled person
            valid[where[where >= 0]] = v["valid"].to_numpy(dtype=np.int64)[where >= 0]
            valid &= answered
            offset = atom_of[answered[active], valid[active]]
            if (offset < 0).any():
                raise DisclosureError("a person's waves with a valid score are not among the waves they answered")
            np.add.at(x, blocks[f"outcome:{k}"] + J * codes[active] + offset, 1)
        for (k, a, b), names in self.band_names.items():
            bk = bands[(bands["outcome"] == k) & (bands["from_wave"] == a) & (bands["to_wave"] == b)]
            bk = bk.dropna(subset=["band_first", "band_second"])
            i = pd.Index(names).get_indexer(bk["band_first"])
            j = pd.Index(names).get_indexer(bk["band_second"])
            np.add.at(x, blocks[f"bands:{k}:{a}:{b}"] + i * len(names) + j, 1)
        self.x = x
        # links between blocks (equations: each row sums to 0): in every cell, the people
        # who answered the set A are those of the joint atoms (A, V) of each outcome
        from scipy import sparse

        entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (link, atom, coefficient)
        cell_of: list[np.ndarray] = []
        cells = np.arange(C)
        n_links = 0
        for k in self.outcomes:
            ob = blocks[f"outcome:{k}"]
            for a in self.patterns:
                link = n_links + cells
                joint = np.array([self.joint_index[(a, v)] for v in range(1 << W) if v & ~a == 0])
                entries.append((link, blocks["flow"] + P * cells + a - 1, np.ones(C)))
                entries.append((np.repeat(link, len(joint)), (ob + J * cells[:, None] + joint[None, :]).ravel(),
                                np.full(C * len(joint), -1.0)))
                cell_of.append(cells)
                n_links += C
        for (k, a, b), names in self.band_names.items():
            bb = blocks[f"bands:{k}:{a}:{b}"]
            row = Form.ones(bb + np.arange(len(names) ** 2)) - self.outcome_form(
                k, lambda v, m=self.bit[a] | self.bit[b]: v & m == m, np.ones(C, dtype=bool))
            entries.append((np.full(len(row.atoms), n_links), row.atoms, row.coefficients))
            cell_of.append(np.array([-1]))
            n_links += 1
        if entries:
            r, c_, v_ = (np.concatenate(part) for part in zip(*entries))
        else:
            r, c_, v_ = np.zeros(0, int), np.zeros(0, int), np.zeros(0)
        self.links = sparse.csr_array((v_, (r, c_)), shape=(n_links, n))
        self.link_cell = np.concatenate(cell_of).astype(np.int64) if cell_of else np.zeros(0, np.int64)
        self.counts: list[Count] = []
        self.structural: list[np.ndarray] = []
        # (larger, smaller) columns of one row whose difference counts people: the
        # analyses that add counts name theirs
        self.within_row: list[tuple[str, str]] = []

    def count_matrix(self):
        """The forms of all published counts as one sparse matrix (rows in ``counts`` order)."""
        if getattr(self, "_count_matrix", None) is None or self._count_matrix.shape[0] != len(self.counts):
            self._count_matrix = _rows([c.form for c in self.counts], self.n_atoms)
        return self._count_matrix

    def structure_matrices(self):
        """Structural zeros and links as sparse matrices, and the one cell each link
        lies in (-1: several)."""
        key = len(self.structural)
        if getattr(self, "_structure_key", None) != key:
            self._structure_key = key
            self._structure = (_rows(self.structural, self.n_atoms), self.links, self.link_cell)
        return self._structure

    def sensitive_matrix(self, sensitive: list["Sensitive"]):
        key = id(sensitive)
        if getattr(self, "_sensitive_matrix_key", None) != key:
            self._sensitive_matrix_key = key
            self._sensitive_matrix = _rows([s.form for s in sensitive], self.n_atoms)
        return self._sensitive_matrix

    # ------------------------------------------------------------------ forms
    def cells(self, grouping: Sequence[str], group: Sequence[str] | None) -> np.ndarray:
        """Boolean mask of the finest cells inside one group of a grouping."""
        mask = np.ones(self.n_cells, dtype=bool)
        for c, value in zip(grouping, group or ()):
            mask &= self.cell_levels[c] == self.levels[c].index(value)
        return mask

    def form(self, block: str, offsets: Sequence[int], cells: np.ndarray) -> Form:
        """The sum of the atoms at ``offsets`` within each of ``cells`` of one block
        (offsets below the block's stride: the atoms come out sorted)."""
        offsets = np.array(sorted(set(offsets)), dtype=np.int64)
        atoms = self.blocks[block] + self.stride[block] * np.flatnonzero(cells)[:, None] + offsets[None, :]
        return Form.ones(atoms.ravel())

    def flow_form(self, answered, cells: np.ndarray) -> Form:
        """Included people whose set of answered waves ``A`` satisfies ``answered(A)``."""
        return self.form("flow", [a - 1 for a in self.patterns if answered(a)], cells)

    def outcome_form(self, outcome: str, valid, cells: np.ndarray) -> Form:
        """Included people whose set of waves with a valid score ``V`` satisfies ``valid(V)``."""
        return self.form(f"outcome:{outcome}", [i for i, (_, v) in enumerate(self.joint) if valid(v)], cells)

    def has(self, *waves: str):
        """A predicate on a wave set: every one of ``waves`` is in it."""
        m = 0
        for w in waves:
            m |= self.bit[w]
        return lambda s: s & m == m

    def excluded(self, cells: np.ndarray) -> Form:
        return self.form("excluded", [0], cells)

    def enrolled(self, cells: np.ndarray) -> Form:
        """People with an answered wave, included or not."""
        return self.flow_form(lambda a: True, cells) + self.excluded(cells)

    def band_form(self, key: tuple[str, str, str], side: int | None, band: str | None) -> Form:
        """Pairs of one outcome and contrast in ``band`` at its earlier (``side`` 0) or
        later (1) wave; all of its pairs when ``side`` is None."""
        names = self.band_names[key]
        grid = np.zeros((len(names), len(names)))
        if side is None:
            grid[:] = 1
        elif side == 0:
            grid[names.index(band), :] = 1
        else:
            grid[:, names.index(band)] = 1
        return Form.ones(self.blocks["bands:{}:{}:{}".format(*key)] + np.flatnonzero(grid))

    def part_form(self, key: tuple[str, str, str], parts: Sequence[str], cells: np.ndarray) -> Form:
        """Complete pairs of one outcome and contrast in any of the classes ``parts``, in ``cells``."""
        names = self.part_names[key]
        block = "part:{}:{}:{}".format(*key)
        return self.form(block, [names.index(p) for p in parts if p in names], cells)

    def add(self, table: str, row: int, column: str, form: Form, key: bool = False,
            group_key: tuple = (), shown: bool = True, cell: tuple = (), together: tuple = ()) -> None:
        value = int(round(float(form @ self.x)))
        self.counts.append(Count(table, row, column, value, form, key, group_key, shown, cell, together))

    def sibling_families(self) -> list[list[int]]:
        """[parent, children...] index lists of counts where the children's cells add
        up exactly to the parent's (a finer grouping inside a coarser one, no one
        missing a value of the finer grouping's extra columns)."""
        by_cell: dict[tuple, int] = {}
        for i, c in enumerate(self.counts):
            if c.cell:
                by_cell[(c.table, c.column, *c.cell)] = i
        families = []
        for fine in self.groupings:
            for coarse in self.groupings:
                if not set(coarse) < set(fine) or any(self.has_missing[c] for c in set(fine) - set(coarse)):
                    continue
                members: dict[tuple, list[int]] = {}
                for (table, column, block, grouping, group), i in by_cell.items():
                    if grouping == tuple(fine):
                        parent = (table, column, block, tuple(coarse),
                                  tuple(group[fine.index(c)] for c in coarse))
                        members.setdefault(parent, []).append(i)
                for parent, children in members.items():
                    if parent in by_cell:
                        families.append([by_cell[parent], *children])
        return families

    def group_tuple(self, grouping: Sequence[str], label: str) -> tuple[str, ...]:
        """The level of each column of a grouping in a published group name ('Aarhus+gruppe')."""
        if not grouping:
            return ()
        lookups = self.__dict__.setdefault("_group_lookups", {})  # one per grouping: a table asks per row
        if tuple(grouping) not in lookups:
            lookups[tuple(grouping)] = {"+".join(g): g for g in self.groups_of(grouping)}
        lookup = lookups[tuple(grouping)]
        if label not in lookup:
            raise DisclosureError(f"a published row names the group {label!r} of {'+'.join(grouping)}, "
                                  "which nobody enrolled has")
        return lookup[label]

    def groups_of(self, grouping: Sequence[str]) -> list[tuple[str, ...]]:
        """Every combination of levels of a grouping (rows that exist or are known zeros)."""
        return list(itertools.product(*(self.levels[c] for c in grouping)))

    def _statuses(self):
        """(name, kind, predicate) of every status of people that is sensitive."""
        W = len(self.waves)
        flow = [("included", lambda a: True)]
        flow += [("answered only " + "+".join(self.waves[w] for w in _bits(a, W)),
                  lambda s, a=a: s == a) for a in self.patterns]
        for w in self.waves:
            flow += [(f"answered {w}", self.has(w)), (f"did not answer {w}", lambda s, b=self.bit[w]: not s & b)]
        outcome = []
        for w in self.waves:
            outcome.append((f"valid {w}", self.has(w)))
        for a, b in self.contrasts:
            ba, bb = self.bit[a], self.bit[b]
            flow += [(f"complete {a}-{b}", self.has(a, b)),
                     (f"{a} not {b}", lambda s, ba=ba, bb=bb: bool(s & ba) and not s & bb),
                     (f"{b} not {a}", lambda s, ba=ba, bb=bb: bool(s & bb) and not s & ba)]
            outcome += [(f"pairs {a}-{b}", self.has(a, b)),
                        (f"valid {a} not {b}", lambda s, ba=ba, bb=bb: bool(s & ba) and not s & bb),
                        (f"valid {b} not {a}", lambda s, ba=ba, bb=bb: bool(s & bb) and not s & ba)]
        return flow, outcome

    def sensitive(self) -> list[Sensitive]:
        """The people of every cell of every grouping at every status (CONTRACT section 7):
        included, left out, enrolled, each set of answered waves, answered or missed
        each wave, complete or one-sided in each contrast; per outcome a valid score
        at each wave, complete pairs and one-sided scores of each contrast; per band."""
        out = []
        flow_statuses, outcome_statuses = self._statuses()
        for grouping in self.groupings:
            for group in self.groups_of(grouping):
                cells = self.cells(grouping, group)
                name = "+".join(grouping) or "all"
                label = "+".join(group) or "all"
                where = (tuple(grouping), tuple(group))
                for status, pred in flow_statuses:
                    out.append(Sensitive(f"flow {name}={label} {status}", self.flow_form(pred, cells), 0, where))
                out.append(Sensitive(f"flow {name}={label} not_included", self.excluded(cells), 0, where))
                out.append(Sensitive(f"flow {name}={label} enrolled or left out", self.enrolled(cells), 0, where))
                for k in self.outcomes:
                    for status, pred in outcome_statuses:
                        out.append(Sensitive(f"{k} {name}={label} {status}", self.outcome_form(k, pred, cells), 0,
                                             where))
        for key, names in self.band_names.items():
            for side in (0, 1):
                for band in names:
                    out.append(Sensitive(f"bands {'/'.join(key)} {key[1 + side]} {band}",
                                         self.band_form(key, side, band), 0))
        return self._distinct(out)

    def _distinct(self, sensitive: list[Sensitive]) -> list[Sensitive]:
        """Each non-empty form once (the first description), valued at the true counts."""
        unique: dict[bytes, Sensitive] = {}
        for s in sensitive:
            if s.form.any():
                unique.setdefault(s.form.key(), s)
        out = list(unique.values())
        for s in out:
            s.value = int(round(float(s.form @ self.x)))
        return out


def _rows(forms: Sequence[Form], n: int):
    """Forms (one per row) as a sparse matrix over ``n`` atoms."""
    from scipy import sparse

    indptr = np.r_[0, np.cumsum([len(f.atoms) for f in forms])].astype(np.int64)
    indices = np.concatenate([f.atoms for f in forms]).astype(np.int64) if forms else np.zeros(0, np.int64)
    data = np.concatenate([f.coefficients for f in forms]).astype(float) if forms else np.zeros(0)
    return sparse.csr_array((data, indices, indptr), shape=(len(forms), n))


class PartitionModel(CountModel):
    """The classes of the complete pairs of one outcome and contrast (reliable change),
    per finest cell of a study's count model: an audit of its own.

    The attacker is granted every finest cell's number of complete pairs (``known``),
    more than the other tables reveal, so what this audit finds safe is safe whatever
    the rest of the publication shows; the classes are linked to nothing else (their
    sum per cell is all the other tables could tell).
    """

    def __init__(self, main: CountModel, key: tuple[str, str, str], parts: pd.DataFrame):
        from scipy import sparse

        for name in ("group_columns", "groupings", "table_groupings", "levels", "has_missing", "n_cells",
                     "cell_levels", "outcomes", "waves", "contrasts", "bit"):
            setattr(self, name, getattr(main, name))
        part = parts["part"]
        if isinstance(part.dtype, pd.CategoricalDtype):  # the classes present, from codes
            labels = part.cat.categories.astype(str)
            names = sorted(labels[np.unique(part.cat.codes)])
            class_of = pd.Index(names).get_indexer(labels)[part.cat.codes.to_numpy()]
        else:
            part = part.astype(str)
            names = sorted(part.unique())
            class_of = pd.Index(names).get_indexer(part)
        C, L = self.n_cells, len(names)
        self.key = key
        block = "part:{}:{}:{}".format(*key)
        self.part_names = {key: names}
        self.part_unions: dict[tuple[str, str, str], list[list[str]]] = {}
        self.band_names = {}
        self.blocks, self.stride = {block: 0}, {block: L}
        self.n_atoms = C * L
        self.atom_cell = np.repeat(np.arange(C), L)
        cell = main.person_cell.reindex(parts["pid"].to_numpy())
        if cell.isna().any():
            raise DisclosureError(f"a class of {key[0]} counts someone who is not an included respondent")
        x = np.zeros(self.n_atoms)
        np.add.at(x, L * cell.to_numpy(dtype=np.int64) + class_of, 1)
        self.x = x
        rows = np.repeat(np.arange(C), L)
        totals = sparse.csr_array((np.ones(C * L), (rows, np.arange(C * L))), shape=(C, self.n_atoms))
        self.known = (totals, totals @ x)
        self.links = sparse.csr_array((0, self.n_atoms))
        self.link_cell = np.zeros(0, dtype=np.int64)
        self.structural, self.counts, self.within_row = [], [], []

    def sensitive(self) -> list["Sensitive"]:
        """Every class, and every published union of classes, in every cell of every grouping."""
        names = self.part_names[self.key]
        out = []
        for grouping in self.groupings:
            for group in self.groups_of(grouping):
                cells = self.cells(grouping, group)
                label = f"{'+'.join(grouping) or 'all'}={'+'.join(group) or 'all'}"
                for parts in [[p] for p in names] + self.part_unions.get(self.key, []):
                    out.append(Sensitive(f"{'/'.join(self.key)} {label} {'|'.join(parts)}",
                                         self.part_form(self.key, parts, cells), 0, (tuple(grouping), tuple(group))))
        return self._distinct(out)


# ------------------------------------------------------------------------- audit
def _highs_model(cost: np.ndarray, rows, row_lower: np.ndarray, row_upper: np.ndarray,
                 col_lower: np.ndarray, col_upper: np.ndarray):
    """A HiGHS model (highspy) of min cost'x with row_lower <= rows x <= row_upper and
    col_lower <= x <= col_upper (``rows`` sparse, by columns), quiet and on one thread
    (no pool threads in a process that forks). The audit's programmes go to HiGHS
    directly: scipy's linprog checks and converts every input on every call (a
    third of the time of the audit's small programmes) and cannot change a model."""
    import highspy

    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    lp = highspy.HighsLp()
    lp.num_row_, lp.num_col_ = rows.shape
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, col_lower, col_upper
    lp.row_lower_, lp.row_upper_ = row_lower, row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = rows.indptr, rows.indices, rows.data
    highs.passModel(lp)
    return highs


def _highs_solution(highs) -> np.ndarray | None:
    """Solve (from the model's last basis, if any) and return x; None unless optimal."""
    import highspy

    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return np.asarray(highs.getSolution().col_value)


def _forced_zero(A, b: np.ndarray, solution: np.ndarray) -> np.ndarray:
    """Variables that are 0 in every non-negative solution of A x = b (``A`` sparse).

    ``solution`` is one non-negative solution (the true counts). Every other one is
    ``solution + d`` with ``A d = 0`` and ``d >= 0`` where the solution is 0 (its
    positive entries may move either way), so a variable that is 0 in the solution
    is forced exactly when no such direction ``d`` has it positive. One linear
    programme finds the largest support of that cone: max Σ y with 0 <= y <= d, y <= 1
    (directions scale freely, so every variable some direction raises gets y = 1).
    """
    from scipy import sparse

    A = sparse.csr_array(A)
    m, n = A.shape
    solution = np.asarray(solution, dtype=float)
    if np.abs(A @ solution - b).max(initial=0.0) > 1e-6 * max(1.0, np.abs(b).max(initial=0.0)):
        raise DisclosureError("the disclosure audit's known solution does not solve its equations")
    forced = np.zeros(n, dtype=bool)
    # an equation with non-negative coefficients and right-hand side 0 forces its variables to 0
    negative = np.asarray((A < 0).sum(axis=1)).ravel() > 0
    zero_rows = np.flatnonzero((b == 0) & ~negative)
    if len(zero_rows):
        forced |= np.asarray(A[zero_rows].sum(axis=0)).ravel() > 0
    free = ~forced
    candidates = free & (np.abs(solution) < 0.5)
    if not candidates.any():
        return forced
    Af = A.tocsc()[:, free]
    nf = int(free.sum())
    cand = np.flatnonzero(candidates[free])
    k = len(cand)
    c = np.r_[np.zeros(nf), -np.ones(k)]
    A_eq = sparse.hstack([Af, sparse.csr_array((m, k))])
    pick = sparse.csr_array((np.full(k, -1.0), (np.arange(k), cand)), shape=(k, nf))
    A_ub = sparse.hstack([pick, sparse.eye_array(k)])
    lower = np.r_[np.where(candidates[free], 0.0, -np.inf), np.zeros(k)]
    upper = np.r_[np.full(nf, np.inf), np.ones(k)]
    highs = _highs_model(c, sparse.vstack([A_ub, A_eq], format="csc"), np.r_[np.full(k, -np.inf), np.zeros(m)],
                         np.zeros(k + m), lower, upper)
    x = _highs_solution(highs)
    if x is None:
        status = highs.modelStatusToString(highs.getModelStatus())
        raise DisclosureError(f"the disclosure audit's linear programme failed: {status}")
    y = x[nf:]
    idx = np.flatnonzero(free)[cand]
    forced[idx[y < 0.5]] = True
    return forced


@dataclass
class AuditResult:
    determined: np.ndarray  # per sensitive count
    violations: list[int]  # sensitive counts determined with a small value
    contributors: dict[int, list[int]]  # violation -> visible counts in one derivation


def audit(model: CountModel, visible: np.ndarray, min_n: int,
          sensitive: list[Sensitive] | None = None, unmarked: set[int] = frozenset(),
          certificates: int | None = None) -> AuditResult:
    """Which sensitive counts the published numbers determine, and which of those are small.

    ``visible`` flags ``model.counts``. What is published: every visible count, and
    for every hidden count from 1 to ``min_n − 1`` that the report shows (and that is
    not in ``unmarked``) its "< min_n", that is ``1 <= count <= min_n − 1``: two
    counts known to be small may add up to a published total and so be pinned. A
    count is determined when all non-negative solutions of that system agree on it
    (LP relaxation). Contributors of a marker ``i`` are given as ``-2 - i``.

    ``certificates`` caps how many violations get their derivation (contributors)
    computed, one per cell first (None: all, 0: none); each costs a linear programme.
    """
    from scipy import sparse

    sensitive = model.sensitive() if sensitive is None else sensitive
    counts = model.counts
    marked = [i for i, c in enumerate(counts)
              if not visible[i] and c.shown and is_small(c.value, min_n) and i not in unmarked]
    forms = model.count_matrix()
    shown_rows = np.flatnonzero(visible)
    structural, links, link_cell = model.structure_matrices()
    known, known_values = getattr(model, "known", (sparse.csr_array((0, model.n_atoms)), np.zeros(0)))
    structural = sparse.vstack([structural, known], format="csr")
    marks = np.repeat(np.array(marked, dtype=np.int64), 2)
    atoms = sparse.vstack([forms[shown_rows], structural, links, forms[marks]], format="csr")
    b = np.r_[[counts[i].value for i in shown_rows], np.zeros(structural.shape[0] - known.shape[0]), known_values,
              np.zeros(links.shape[0]), np.tile([1.0, min_n - 1.0], len(marked))].astype(float)
    n_fixed = structural.shape[0] + links.shape[0]
    which = np.r_[shown_rows, -np.ones(n_fixed, dtype=np.int64), -2 - marks].astype(np.int64)
    # slacks: count - s = 1 and count + s = min_n - 1 for a marker
    n_slack = 2 * len(marked)
    mark_rows = len(shown_rows) + n_fixed + np.arange(n_slack)
    slack_vals = np.tile([-1.0, 1.0], len(marked))
    slack = sparse.csr_array((slack_vals, (mark_rows, np.arange(n_slack))), shape=(atoms.shape[0], n_slack))
    A = sparse.hstack([atoms, slack], format="csr")
    # the true counts solve the system: each slack is its row's remainder
    truth = np.r_[model.x, np.zeros(n_slack)]
    if n_slack:
        truth[model.n_atoms:] = (b[mark_rows] - atoms[mark_rows] @ model.x) / slack_vals
    forced = _forced_zero(A, b, truth) if A.shape[0] else np.zeros(A.shape[1], dtype=bool)
    free = ~forced
    # A marker's row whose slack is free says nothing of the atoms (the slack takes up
    # any value), so it and its slack are left out of the test below; a forced slack is
    # 0, and its row then pins the count (to 1 or to min_n - 1) as a published one does.
    # The test depends on nothing else: the same equations over the same free atoms give
    # the same answer, kept per model (a "< min_n" tried again without changing them
    # needs no second decomposition)
    kept = np.ones(A.shape[0], dtype=bool)
    kept[mark_rows[free[model.n_atoms:]]] = False
    free_atoms = free[:model.n_atoms]
    Af = A[np.flatnonzero(kept)].tocsc()[:, np.flatnonzero(free_atoms)].tocsr()
    values = np.array([s_.value for s_ in sensitive])
    cache = _determined_cache(model, sensitive)
    key = hashlib.sha1(b"".join([free_atoms.tobytes(), Af.indptr.tobytes(), Af.indices.tobytes(),
                                 Af.data.tobytes()])).digest()
    if key in cache:
        determined = cache[key]
    else:
        determined = cache[key] = _determined(model, sensitive, Af, free_atoms, np.r_[
            np.full(len(shown_rows) + structural.shape[0], -1), link_cell,
            np.full(2 * len(marked), -1)].astype(np.int64)[kept])
    small = (values >= 1) & (values < min_n)
    violations = [int(i) for i in np.flatnonzero(determined & small)]
    contributors: dict[int, list[int]] = {}
    chosen = violations if certificates is None else _spread(violations, sensitive, certificates)
    if chosen:
        # a derivation puts no weight on an equation whose slack is free (the slack is
        # positive in some solution, so its column binds the multiplier to 0): those
        # equations and their slacks are left out of the programmes too
        rows = np.flatnonzero(kept)
        columns = np.r_[np.arange(model.n_atoms), model.n_atoms + np.flatnonzero(forced[model.n_atoms:])]
        full = np.hstack([model.sensitive_matrix(sensitive)[chosen].toarray(),
                          np.zeros((len(chosen), len(columns) - model.n_atoms))])
        for i, used in zip(chosen, _certificates(A[rows][:, columns], b[rows], full, values[chosen],
                                                 which[rows] != -1)):
            contributors[i] = sorted({int(which[rows[j]]) for j in used if which[rows[j]] != -1})
    return AuditResult(determined, violations, contributors)


def _determined_cache(model: CountModel, sensitive: list[Sensitive]) -> dict[bytes, np.ndarray]:
    """The model's answers of :func:`_determined` for this list of sensitive counts."""
    caches = model.__dict__.setdefault("_determined_caches", {})
    if id(sensitive) not in caches or caches[id(sensitive)][0] is not sensitive:
        caches[id(sensitive)] = (sensitive, {})  # the list is held: its id is never another's
    return caches[id(sensitive)][1]


def _determined(model: CountModel, sensitive: list[Sensitive], Af, atoms: np.ndarray,
                row_cell: np.ndarray) -> np.ndarray:
    """Which sensitive forms lie in the row space of the equations ``Af`` over the free
    atoms (``atoms``; every other atom is 0 in every solution)."""
    from scipy import linalg

    S = model.sensitive_matrix(sensitive).tocsc()[:, np.flatnonzero(atoms)]
    Gf, Sf = _eliminate_local(Af, S, row_cell, model.atom_cell[atoms])
    # a form is determined when it lies in the row space of the equations: its residual
    # after projection on a basis of that space (the first columns of Q of a pivoted
    # QR of the equations' transpose) is 0. With nearly as many equations as unknowns
    # (a large study's many small cells) the space's complement, the null space, is
    # the small one: the residual is then the form times the rest of the full Q
    Gf = _distinct_rows(Gf)
    if Gf.size:
        full = Gf.shape[0] >= 0.8 * Gf.shape[1]
        q, r, _ = linalg.qr(Gf.T, mode="full" if full else "economic", pivoting=True)
        diag = np.abs(np.diag(r))
        rank = int((diag > 1e-9 * max(1.0, diag.max(initial=0))).sum())
        if full:
            residual = np.linalg.norm(np.asarray(Sf @ q[:, rank:]), axis=1)
        else:
            basis = q[:, :rank]
            residual = np.linalg.norm(np.asarray(Sf - (Sf @ basis) @ basis.T), axis=1)
    else:
        residual = _row_norms(Sf)
    scale = np.maximum(1.0, _row_norms(Sf))
    return residual <= 1e-8 * scale


def _row_norms(M) -> np.ndarray:
    """The Euclidean norm of every row of a sparse matrix."""
    return np.sqrt(np.asarray(M.multiply(M).sum(axis=1)).ravel())


def _distinct_rows(G: np.ndarray) -> np.ndarray:
    """``G`` without its zero rows and without repeats of a row (same row space).

    Equations repeat often (a "< min_n" marker gives two with one form, a total is
    published in several tables), and the pivoted QR that follows costs in the
    number of rows. Rows are sorted by one random projection, so that repeats lie
    next to each other; a row is dropped only when it equals the row before it to
    within rounding (1e-12 of its size, far below the rank tolerance: a form
    computed along two paths may differ in its last bits). Rows that differ are
    all kept, whatever their projections.
    """
    G = G[np.abs(G).sum(axis=1) > 0]
    if len(G) < 2:
        return G
    order = np.argsort(G @ np.random.default_rng(0).standard_normal(G.shape[1]), kind="stable")
    ranked = G[order]
    repeat = np.abs(ranked[1:] - ranked[:-1]).max(axis=1) <= 1e-12 * np.abs(ranked[1:]).max(axis=1)
    return G[np.sort(order[np.r_[True, ~repeat]])]


def _eliminate_local(A, S, row_cell: np.ndarray, col_cell: np.ndarray) -> tuple[np.ndarray, object]:
    """The equations within one cell solved away: ``A N`` (dense) and ``S N`` (sparse)
    for the other rows.

    With ``N`` a basis of the solutions of every within-cell equation (block diagonal,
    one small null space per cell), a form ``f`` lies in the row space of all
    equations exactly when ``f N`` lies in the row space of the others times ``N``,
    so the determination test runs on a much smaller (dense) matrix. ``A`` and ``S``
    are sparse.
    """
    from scipy import linalg, sparse

    local = row_cell >= 0
    A = sparse.csr_array(A)
    rows, cols, vals = [], [], []
    width = 0
    order = np.argsort(col_cell, kind="stable")
    cells, starts = np.unique(col_cell[order], return_index=True)
    bounds = np.r_[starts, len(order)]
    by_row = {c: np.flatnonzero(row_cell == c) for c in np.unique(row_cell[local])}
    Acsc = A[np.flatnonzero(local)].tocsc() if local.any() else None
    local_index = {r: k for k, r in enumerate(np.flatnonzero(local))}
    for c, lo, hi in zip(cells, bounds[:-1], bounds[1:]):
        members = order[lo:hi]
        eq = by_row.get(c) if c >= 0 else None
        if eq is not None and len(eq):
            block = Acsc[:, members].tocsr()[[local_index[r] for r in eq]].toarray()
            block = block[np.abs(block).sum(axis=1) > 0]
        else:
            block = np.zeros((0, len(members)))
        basis = linalg.null_space(block) if len(block) else np.eye(len(members))
        r, k = np.nonzero(np.abs(basis) > 1e-12)
        rows.append(members[r])
        cols.append(width + k)
        vals.append(basis[r, k])
        width += basis.shape[1]
    N = sparse.csr_array((np.concatenate(vals) if vals else np.zeros(0),
                          (np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64),
                           np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64))),
                         shape=(A.shape[1], width))
    G = A[np.flatnonzero(~local)]
    return (G @ N).toarray(), sparse.csr_array(S) @ N


def _spread(violations: list[int], sensitive: list[Sensitive], limit: int) -> list[int]:
    """At most ``limit`` violations, one per cell before a second of the same cell."""
    count: dict[tuple, int] = {}
    order = []
    for i in violations:
        count[sensitive[i].cell] = count.get(sensitive[i].cell, 0) + 1
        order.append((count[sensitive[i].cell], i))
    return [i for _, i in sorted(order)[:limit]]


def _certificates(A: np.ndarray, b: np.ndarray, F: np.ndarray, values: np.ndarray,
                  hideable: np.ndarray) -> list[np.ndarray]:
    """For each determined form f = v: the equations an attacker combines to prove it.

    Over x >= 0 with A x = b, multipliers y with A'y >= f and b'y = v prove f <= v
    (f x <= y'A x = y'b), and A'y' <= f with b'y' = v prove f >= v (LP duality).
    Each pair is chosen with the least weighted L1 norm (the structure is free), so
    that it names few published counts; each form is its own linear programme (HiGHS
    solves k small ones much faster than their block-diagonal union), and the
    programmes of one process share a model whose right-hand sides change (HiGHS
    through highspy: scipy's linprog cannot start from the previous basis).
    Returns the rows used by either multiplier, per form.
    """
    from scipy import sparse

    m, n = A.shape
    w = np.where(hideable, 1.0, 0.0)
    At = sparse.csr_array(A.T)
    # variables: y_up (+/-), y_low (+/-); rows: A'y_up >= f, A'y_low <= f, b'y = v (both)
    up = sparse.hstack([-At, At, sparse.csr_array((n, 2 * m))])
    low = sparse.hstack([sparse.csr_array((n, 2 * m)), At, -At])
    ub_block = sparse.vstack([up, low], format="csc")
    bb = sparse.csr_array(np.vstack([np.r_[b, -b, np.zeros(2 * m)], np.r_[np.zeros(2 * m), b, -b]]))
    cost = np.r_[w, w, w, w]

    system = sparse.vstack([ub_block, bb], format="csc")
    unbounded = np.full(2 * n, -np.inf)

    def derive(forms: list) -> list[np.ndarray]:
        """One programme, its forms solved one after the other: each starts from the
        previous one's basis (only the right-hand sides change), 5-20 times faster
        than solving each from scratch."""
        highs = None
        out = []
        for f, v in forms:
            lower, upper = np.r_[unbounded, [v, v]], np.r_[-f, f, [v, v]]
            if highs is None:
                highs = _highs_model(cost, system, lower, upper, np.zeros(system.shape[1]),
                                     np.full(system.shape[1], np.inf))
            else:
                highs.changeRowsBounds(len(lower), np.arange(len(lower), dtype=np.int32), lower, upper)
            x = _highs_solution(highs)
            if x is None:
                out.append(np.flatnonzero(hideable))  # cannot happen for determined forms: name every one
                continue
            y_up, y_low = x[:m] - x[m:2 * m], x[2 * m:3 * m] - x[3 * m:]
            out.append(np.flatnonzero((np.abs(y_up) > 1e-7) | (np.abs(y_low) > 1e-7)))
        return out

    from .jobs import map_side_by_side

    # independent programmes: dealt over two cores, each core's solved warm one after another
    return map_side_by_side(derive, [(f, float(v)) for f, v in zip(F, values)], batch=True)


CERTIFICATES_PER_ROUND = 16  # derivations computed per round (each is a linear programme)
RESTORE_OVERALL = 12  # hidden counts of the overall rows tried again at the end (an audit each)
RESTORE_MARKERS = 12  # "< min_n" markers taken back, tried again one by one at the end (an audit each)


def _hide_nested(model: CountModel, visible: np.ndarray, min_n: int, hide) -> None:
    """Within each cell: of two visible counts whose people are nested (one form
    inside the other), hide the larger when their difference is small (the larger
    may be a row's key count: then the row goes, which spares rounds of hiding
    single counts that the other groupings would have to follow)."""
    by_cell: dict[tuple, list[int]] = {}
    for i, c in enumerate(model.counts):
        if c.cell:
            by_cell.setdefault(c.cell[1:], []).append(i)
    forms = model.count_matrix()
    indptr, indices, data = forms.indptr, forms.indices, forms.data
    values = np.array([c.value for c in model.counts])
    for members in by_cell.values():
        idx = np.array(members)
        # the cell's forms as a dense matrix over the atoms they use, taken from the
        # sparse rows directly (scipy's row slicing and product took 1 ms a cell)
        starts, lengths = indptr[idx], indptr[idx + 1] - indptr[idx]
        at = np.arange(lengths.sum()) + np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        atoms, column = np.unique(indices[at], return_inverse=True)
        F = np.zeros((len(idx), len(atoms)))
        F[np.repeat(np.arange(len(idx)), lengths), column] = data[at]
        overlap = F @ F.T
        size = F.sum(axis=1)
        inside = np.isclose(overlap, size[None, :]) & ~np.eye(len(idx), dtype=bool)  # [a, b]: b inside a
        diff = values[idx][:, None] - values[idx][None, :]
        for a, b in zip(*np.nonzero(inside & is_small(diff, min_n))):
            if visible[idx[a]] and visible[idx[b]]:
                hide(int(idx[a]))


def protect(model: CountModel, min_n: int, max_rounds: int = 200, hidden: Sequence[int] = ()) -> Protection:
    """Hide counts until no small count is determined (see the module notes);
    ``hidden`` are hidden from the start (to protect others)."""
    counts = model.counts
    visible = np.ones(len(counts), dtype=bool)
    reason: dict[int, str] = {}
    row_members: dict[tuple[str, int], list[int]] = {}
    key_members: dict[tuple, list[int]] = {}
    same: dict[object, list[int]] = {}  # counts of the very same people, in any table
    for i, c in enumerate(counts):
        row_members.setdefault((c.table, c.row), []).append(i)
        if c.group_key:
            key_members.setdefault((c.table, *c.group_key), []).append(i)
        same.setdefault(c.form.key(), []).append(i)
        if c.together:
            same.setdefault(("together", c.table, *c.together), []).append(i)
    # one count published twice (or a set published all or none): hidden together.
    # A set is gone through once, when its first member is hidden (a set of k counts,
    # such as 582 empty classes, gone through by each member would take k * k steps)
    sets = [members for members in same.values() if len(members) > 1]
    sets_of: dict[int, list[int]] = {}
    for s, members in enumerate(sets):
        for i in members:
            sets_of.setdefault(i, []).append(s)
    hidden_sets = np.zeros(len(sets), dtype=bool)

    def hide(i: int, why: str) -> None:
        if not visible[i]:
            return
        visible[i] = False
        reason[i] = why
        for s in sets_of.get(i, ()):
            if not hidden_sets[s]:
                hidden_sets[s] = True
                for j in sets[s]:
                    hide(j, why)
        c = counts[i]
        if c.key:  # the row goes, except counts shared with other rows
            for j in row_members[(c.table, c.row)]:
                if not counts[j].group_key:
                    hide(j, why)
        if c.group_key:  # a shared count (a band total) goes with every row that shows it
            for j in key_members[(c.table, *c.group_key)]:
                hide(j, why)
                for m in row_members[(c.table, counts[j].row)]:
                    if counts[m].key:
                        hide(m, why)

    for i, c in enumerate(counts):
        if is_small(c.value, min_n):
            hide(i, "small")
    for i in hidden:
        hide(i, "protect")
    # the differences within a row that the audit would find first (n_pre - n is the
    # number who dropped out): hide the larger count at once, saving rounds
    by_row: dict[tuple[str, int], dict[str, int]] = {}
    for i, c in enumerate(counts):
        by_row.setdefault((c.table, c.row), {})[c.column] = i
    for members in by_row.values():
        for larger, smaller in model.within_row:
            if larger in members and smaller in members:
                i, j = members[larger], members[smaller]
                if visible[i] and visible[j] and is_small(counts[i].value - counts[j].value, min_n):
                    hide(i, "protect")
    # and any two counts of one cell, one inside the other (n_pre of one contrast and
    # n of another): a small difference hides the larger
    _hide_nested(model, visible, min_n, lambda i: hide(i, "protect"))
    # and a single hidden member of a parent = sum of children: hide the smallest sibling
    families = model.sibling_families()
    changed = True
    while changed:
        changed = False
        for family in families:
            if sum(not visible[i] for i in family) == 1:
                others = [i for i in family[1:] if visible[i]]
                if others:
                    smallest = min(counts[i].value for i in others)
                    for i in others:
                        if counts[i].value == smallest:
                            hide(i, "protect")
                    changed = True
    sensitive = model.sensitive()
    unmarked: set[int] = set()  # small hidden counts the report shows as "–", not "< min_n"
    persistent: dict[int, int] = {}  # violation -> rounds in a row it was found
    rounds = 0
    while True:
        result = audit(model, visible, min_n, sensitive, unmarked, certificates=CERTIFICATES_PER_ROUND)
        if not result.violations:
            break
        persistent = {i: persistent.get(i, 0) + 1 for i in result.violations}
        rounds += 1
        if rounds > max_rounds:
            raise DisclosureError("disclosure protection did not converge")
        # cheapest first: a single count, then a whole row; a "< min_n" is shown as
        # "–" only when no published count is left to hide (a derivation through a
        # marker may also rest on counts that forced a bound, which hiding removes)
        chosen: set[int] = set()
        for markers in (False, True):
            for i in result.contributors:
                candidates = [j for j in result.contributors[i] if (j <= -2 if markers else j >= 0 and visible[j])]
                if not candidates:
                    continue
                own = sensitive[i].cell

                def in_cell(j: int) -> bool:
                    return bool(own) and counts[j].cell[1:] == own

                cost = {j: (0, counts[-2 - j].value) if j <= -2 else
                        (counts[j].key, not in_cell(j), counts[j].value) for j in candidates}
                best = min(cost.values())
                if not markers and persistent.get(i, 0) >= 2:
                    # derived again and again by other routes: hide every single count of this proof
                    best = max((c for c in cost.values() if not c[0]), default=best)
                    chosen |= {j for j in candidates if cost[j] <= best}
                else:
                    chosen |= {j for j in candidates if cost[j] == best}
            if chosen:
                break
        if not chosen:
            i = result.violations[0]
            raise DisclosureError(f"{sensitive[i].description} = {sensitive[i].value} follows from "
                                  "the table structure alone")
        for j in sorted(chosen):
            if j <= -2:
                unmarked.add(-2 - j)
            else:
                hide(j, "protect")
    checked = (visible.copy(), set(unmarked))  # what the last audit found safe
    # a "< min_n" taken back early may be safe again now that more is hidden: all of
    # them at once (showing fewer markers reveals less, so then each alone is safe
    # too), else one by one, smallest first, at most RESTORE_MARKERS audits
    if len(unmarked) > 1 and not audit(model, visible, min_n, sensitive, set(), certificates=0).violations:
        unmarked = set()
        checked = (visible.copy(), set(unmarked))
    for i in sorted(unmarked, key=lambda i: counts[i].value)[:RESTORE_MARKERS]:
        trial = unmarked - {i}
        if not audit(model, visible, min_n, sensitive, trial, certificates=0).violations:
            unmarked = trial
            checked = (visible.copy(), set(unmarked))
    # the overall rows matter most to a reader: a count hidden there to protect another
    # is shown again when the audit still finds nothing (largest first; few audits)
    for i in sorted((i for i, c in enumerate(counts) if not visible[i] and not c.key and not c.group_key
                     and c.cell and c.cell[1] == () and not is_small(c.value, min_n)),
                    key=lambda i: -counts[i].value)[:RESTORE_OVERALL]:
        group = sorted({i, *(j for s in sets_of.get(i, ()) for j in sets[s])})  # with its twins
        if visible[i] or any(is_small(counts[j].value, min_n) or counts[j].key for j in group) \
                or any(j in set(hidden) for j in group):
            continue
        visible[group] = True
        if audit(model, visible, min_n, sensitive, unmarked, certificates=0).violations:
            visible[group] = False
        else:
            for j in group:
                reason.pop(j, None)
                hidden_sets[sets_of.get(j, [])] = False  # hiding one of them again hides its set again
            checked = (visible.copy(), set(unmarked))
    out = Protection(rounds=rounds)
    # what the report says of a hidden count: "< min_n" when it is small itself
    # (the audit assumed exactly that), "–" when it was hidden to protect another
    for i, c in enumerate(counts):
        if not visible[i]:
            why = "small" if is_small(c.value, min_n) and i not in unmarked else "protect"
            out.hidden[(c.table, c.row, c.column)] = why
            if c.key:
                out.rows[(c.table, c.row)] = why
    # the final proof: the audit of exactly what will be published (the last one, unless something changed since)
    same = np.array_equal(checked[0], visible) and checked[1] == unmarked
    final = audit(model, visible, min_n, sensitive, unmarked, certificates=0) if not same else None
    if final is not None and final.violations:
        raise DisclosureError("the disclosure audit found derivable small counts: "
                              + "; ".join(sensitive[i].description for i in final.violations[:5]))
    return out


# ------------------------------------------------------------- the study's tables
def study_model(*, people: pd.DataFrame, validity: pd.DataFrame, bands: pd.DataFrame,
                group_columns: Sequence[str], groupings: Sequence[Sequence[str]], outcomes: Sequence[str],
                tables: dict[str, pd.DataFrame], analyses: Sequence, study=None,
                waves: Sequence[str] = ("pre", "post"), contrasts: Sequence[Sequence[str]] = (("pre", "post"),),
                include: bool = False) -> CountModel:
    """The count model of a study's published tables: each analysis with counts of
    people (``counts``) puts them in; row numbers are positions in its table.

    Cells an analysis publishes beyond the configured groupings (``model_groupings``,
    e.g. the levels of a compared group within each municipality) join the model's
    groupings, so their small counts are protected like any other. Without ``include``
    conditions nobody can be left out, and the attacker knows it
    (the config is published): the left-out counts are zeros of the structure.
    """
    configured = [list(g) for g in groupings]
    groupings = list(configured)
    for analysis in analyses:
        extra = getattr(analysis, "model_groupings", None)
        if extra is not None and study is not None and analysis.NAME in tables:
            groupings += [list(g) for g in extra(study) if list(g) not in groupings]
    model = CountModel(people, validity, bands, group_columns, groupings, outcomes, waves, contrasts)
    model.table_groupings = configured
    if not include:
        model.structural.append(model.excluded(np.ones(model.n_cells, dtype=bool)))
    for analysis in analyses:
        if hasattr(analysis, "counts") and analysis.NAME in tables:
            analysis.counts(model, tables[analysis.NAME], study)
    return model


def protect_tables(*, people: pd.DataFrame, validity: pd.DataFrame, bands: pd.DataFrame,
                   group_columns: Sequence[str], groupings: Sequence[Sequence[str]], outcomes: Sequence[str],
                   tables: dict[str, pd.DataFrame], analyses: Sequence, min_n: int, study=None,
                   waves: Sequence[str] = ("pre", "post"), contrasts: Sequence[Sequence[str]] = (("pre", "post"),),
                   include: bool = False, partitions: pd.DataFrame | None = None
                   ) -> tuple[dict[str, pd.DataFrame], Protection]:
    """Every table of a study as published, protected together (the only place that hides).

    ``tables`` holds each analysis's full table by ``NAME``; ``people`` is
    :func:`evaluation.measures.participation`, ``validity``
    :func:`evaluation.measures.validity`, ``bands`` :func:`evaluation.measures.band_pairs`.
    Tables with counts of people in the model are protected by :func:`protect`;
    counts in no linear relation with them (``SMALL_ROWS``, ``SMALL_CELLS``) by the
    small-count rule alone. Returns the published tables and the decision behind them.
    """
    model = study_model(people=people, validity=validity, bands=bands, group_columns=group_columns,
                        groupings=groupings, outcomes=outcomes, tables=tables, analyses=analyses, study=study,
                        waves=waves, contrasts=contrasts, include=include)
    protection = protect(model, min_n)
    published = {}
    # tables that follow another are published after it; tables with a publish rule of
    # their own (it reads the other published tables) last
    for analysis in sorted(analyses, key=lambda a: (hasattr(a, "publish"), hasattr(a, "FOLLOWS"))):
        if analysis.NAME not in tables:
            continue
        table = tables[analysis.NAME]
        if hasattr(analysis, "publish"):
            out, why = analysis.publish(table, published, study, min_n)
            protection.hidden.update({(analysis.NAME, r, c): w for (r, c), w in why.items()})
            published[analysis.NAME] = out
            continue
        blank_with = getattr(analysis, "BLANK_WITH", None)
        if hasattr(analysis, "counts"):
            out = apply(table, protection, analysis.NAME, analysis.KEYS, blank_with)
        else:
            out = table.copy().reset_index(drop=True)
        follows = getattr(analysis, "FOLLOWS", None)
        if follows is not None:
            out, why = follow(table, analysis.KEYS, published[follows[0]], follows[1],
                              protection.table(follows[0])[0])
            protection.rows.update({(analysis.NAME, r): w for r, w in why.items()})
        if hasattr(analysis, "partition_counts") and partitions is not None:
            out = _protect_partitions(model, analysis, out, partitions, protection, min_n, study)
        key = getattr(analysis, "SMALL_ROWS", None)
        if key is not None:
            small = is_small(out[key], min_n).to_numpy(dtype=bool)
            columns = [key, *((blank_with or {}).get(key, ()))]
            out = out.astype({c: object for c in columns})
            out.loc[small, columns] = None
            out["suppressed"] = small | (out["suppressed"].to_numpy(dtype=bool) if "suppressed" in out else False)
        for column in [c for c in getattr(analysis, "SMALL_CELLS", ()) if c in out.columns]:
            small = is_small(out[column].astype("Float64").fillna(0), min_n).to_numpy(dtype=bool)
            for c in (column, *((blank_with or {}).get(column, ()))):
                out[c] = out[c].astype(object)
                out.loc[small, c] = None
        published[analysis.NAME] = out
    return {a.NAME: published[a.NAME] for a in analyses if a.NAME in published}, protection


def _protect_partitions(model: CountModel, analysis, out: pd.DataFrame, partitions: pd.DataFrame,
                        protection: Protection, min_n: int, study) -> pd.DataFrame:
    """The class counts of a table, protected per outcome and contrast (:class:`PartitionModel`);
    a row already hidden keeps its classes hidden."""
    blank_with = getattr(analysis, "BLANK_WITH", {}) or {}
    hidden_rows = set(np.flatnonzero(out["suppressed"].to_numpy(dtype=bool)))

    def protected(key_parts) -> Protection | None:
        """One outcome and contrast's classes: their model made and protected."""
        key, parts = key_parts
        sub = PartitionModel(model, key, parts)
        analysis.partition_counts(sub, out, study)
        first = [i for i, c in enumerate(sub.counts) if c.row in hidden_rows]
        if len(first) == len(sub.counts):  # every row is hidden already: nothing of it is published
            return None
        return protect(sub, min_n, hidden=first)

    from .jobs import map_side_by_side

    keys = [(tuple(map(str, key)), parts) for key, parts in
            partitions.groupby(["outcome", "from_wave", "to_wave"], sort=False)]
    cells = []
    # independent models, made and protected on two cores: the same decisions as on one
    for result in map_side_by_side(protected, keys):
        if result is None:
            continue
        for (table, row, column), why in result.hidden.items():
            if row in hidden_rows:
                continue
            protection.hidden[(table, row, column)] = why
            cells.append((row, column))
        protection.rounds += result.rounds
    return _blank_cells(out, cells, blank_with)


def _blank_cells(out: pd.DataFrame, cells, linked: dict[str, Sequence[str]]) -> pd.DataFrame:
    """``out`` (positional index) with each (row, column) of ``cells`` blank, and the
    columns ``linked`` to that column in its row; a changed column becomes ``object``.
    A column at a time: a cell at a time took 0.4 s for 98 municipalities' classes."""
    rows: dict[str, set[int]] = {}
    for r, column in cells:
        for c in (column, *linked.get(column, ())):
            rows.setdefault(c, set()).add(r)
    for c, where in rows.items():
        values = out[c].to_numpy(dtype=object, copy=True)
        values[sorted(where)] = None
        out[c] = values
    return out


def follow(table: pd.DataFrame, keys: Sequence[str], source: pd.DataFrame,
           derives: dict[str, Sequence[str]], source_rows: dict[int, str] | None = None
           ) -> tuple[pd.DataFrame, dict[int, str]]:
    """A table whose counts are all counts of an already protected table (or
    differences of two): each row is published only where every count it derives
    from is published in ``source``'s row of the same keys (``derives``: column ->
    source columns); otherwise it keeps its ``keys`` and ``suppressed`` is true.

    It then reveals nothing the protected table does not: a difference of two of its
    published counts is 0 or at least ``min_n`` there (the within-row rule), so the
    statistics beside it describe at least ``min_n`` people. Returns the table and the
    reason of each hidden row (the source row's, given in ``source_rows``, else
    "protect").
    """
    out = table.copy().reset_index(drop=True)
    common = [k for k in keys if k in source.columns]
    needed = sorted({c for cols in derives.values() for c in cols})
    src = source[[*common, *needed]].copy()
    src["_ok"] = src[needed].notna().all(axis=1) & ~src.get("suppressed", pd.Series(False, index=src.index)) \
        .astype(str).str.lower().eq("true")
    src["_row"] = np.arange(len(src))
    for k in common:
        src[k] = src[k].astype(str)
    merged = out[common].astype(str).merge(src[[*common, "_ok", "_row"]].drop_duplicates(common), on=common,
                                           how="left")
    ok = merged["_ok"].fillna(False).to_numpy(dtype=bool)
    blank = [c for c in out.columns if c not in keys and c != "suppressed"]
    out[blank] = out[blank].astype(object)
    out.loc[~ok, blank] = None
    out["suppressed"] = ~ok
    rows = source_rows or {}
    why = {int(r): rows.get(int(s), "protect") if pd.notna(s) else "protect"
           for r, s in zip(np.flatnonzero(~ok), merged["_row"].to_numpy()[~ok])}
    return out, why


def apply(table: pd.DataFrame, protection: Protection, name: str, keep: Sequence[str],
          linked: dict[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """The table as published: a hidden row keeps only the ``keep`` columns and
    ``suppressed`` is true; a single hidden count is blank (with the columns
    ``linked`` to it, e.g. a share with its count)."""
    out = table.copy().reset_index(drop=True)
    rows, cells = protection.table(name)
    blank = [c for c in out.columns if c not in keep and c != "suppressed"]
    out[blank] = out[blank].astype(object)
    hidden_rows = sorted(rows)
    if hidden_rows:
        out.loc[hidden_rows, blank] = None
    out = _blank_cells(out, cells, linked or {})
    out["suppressed"] = False
    out.loc[hidden_rows, "suppressed"] = True
    return out
