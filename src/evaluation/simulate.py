"""Realistic simulated survey exports for the two demo studies.

The real evaluation data are confidential; these exports look like the real ones
(Danish headers and answer labels, SurveyXact-style semicolon CSV with decimal
commas and a BOM, an Excel file, missing answers, 15-35 % lost to follow-up) and
are built so that the pipeline finds what the published evaluations found:

* ``parents`` ("Målrettet støtte til forældre med anbragte børn", 2020-22):
  111 families with 146 children in Herning, Aarhus, Halsnæs and Vordingborg; a
  small but significant improvement in parent competence (PSOC) and parent
  wellbeing (WHO-5), no change in the children's difficulties (SDQ). Families have
  1-3 children, whose changes are alike within a family; parents with low wellbeing
  and children with many difficulties at the start are lost more often. One CSV per
  questionnaire and wave (parent survey, child survey answered by the carer).
* ``fosterfamilies`` (cooperation model, 2019-21): foster parents in København,
  Middelfart, Vejle and Vesthimmerland in an ``individuel`` or ``gruppe``
  variant; competence (PSOC efficacy) up in both variants, stress (PSS) down and
  satisfaction (PSOC satisfaction) up in the group variant only (more than in the
  individual one, adjusted for the baseline), the children's
  difficulties (SDQ) slightly up. One long Excel file with a wave column for the
  two waves, and a SurveyXact CSV of the 6-month follow-up (most gains hold).

Each study also gets a cost sheet (Socialstyrelsen's four categories; staff hours at
plausible hourly rates, training, materials): ``parents_omkostninger.csv`` and
``fosterfamilies_omkostninger.xlsx``; and a fidelity sheet (per family, or foster
parent, and core element: ja / delvist / nej, municipalities delivering to different
degrees): ``parents_fidelitet.csv`` and ``fosterfamilies_fidelitet.xlsx``.

Command line::

    python -m evaluation.simulate --out data/raw            # both demo studies
    python -m evaluation.simulate --study parents --scale 0.3 --seed 1 --out DIR
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .instruments import PSOC_SATISFACTION, PSS_REVERSED, SDQ_REVERSED, SDQ_SCALES

__all__ = ["simulate_parents", "simulate_fosterfamilies", "simulate_fosterfamilies_followup", "write_parents",
           "write_fosterfamilies", "cost_items", "fidelity_rows", "main", "STUDIES"]

SDQ_DA = ("Passer ikke", "Passer delvist", "Passer godt")
PSOC_DA = ("Helt uenig", "Uenig", "Lidt uenig", "Lidt enig", "Enig", "Helt enig")
PSS_DA = ("Meget uenig", "Uenig", "Hverken enig eller uenig", "Enig", "Meget enig")
SDQ_PROSOCIAL = SDQ_SCALES["prosocial"]


@dataclass
class Latent:
    """A trait measured twice: pre ~ N(0, 1), post = rho * pre + noise + shift."""

    pre: np.ndarray
    post: np.ndarray


def _latent(rng: np.random.Generator, n: int, shift: np.ndarray | float, rho: float = 0.65) -> Latent:
    pre = rng.normal(size=n)
    post = rho * pre + np.sqrt(1 - rho**2) * rng.normal(size=n) + shift
    return Latent(pre, post)


def _items(rng, theta, n_items, lo, hi, centre, slope, noise, reversed_items=(), p_missing=0.004):
    """Item codes driven by a latent trait; reversed items are stored the raw way round.

    Missing answers: a few skipped items everywhere, and about 3 % of respondents
    who stop half way through the questionnaire.
    """
    x = centre + slope * theta[:, None] + rng.normal(0, noise, size=(len(theta), n_items))
    x = np.clip(np.rint(x), lo, hi)
    for k in reversed_items:
        x[:, k - 1] = lo + hi - x[:, k - 1]
    _add_missing(rng, x, p_missing)
    return x


def _add_missing(rng, x, p_missing):
    x[rng.random(x.shape) < p_missing] = np.nan
    stopped = rng.random(len(x)) < 0.03
    x[stopped, x.shape[1] // 2:] = np.nan


def _sdq_items(rng, theta, p_missing=0.02):
    """25 SDQ codes 0/1/2: difficulty items rise with theta, prosocial ones fall."""
    x = np.empty((len(theta), 25))
    for k in range(1, 26):
        if k in SDQ_PROSOCIAL:
            v = 1.4 - 0.35 * theta + rng.normal(0, 0.55, len(theta))
        else:
            v = 0.75 + 0.55 * theta + rng.normal(0, 0.55, len(theta))
        v = np.clip(np.rint(v), 0, 2)
        x[:, k - 1] = 2 - v if k in SDQ_REVERSED else v
    _add_missing(rng, x, p_missing)
    return x


def _labelled(codes: np.ndarray, labels: tuple[str, ...], lo: int) -> np.ndarray:
    out = np.full(codes.shape, "", dtype=object)
    ok = ~np.isnan(codes)
    out[ok] = np.asarray(labels, dtype=object)[(codes[ok] - lo).astype(int)]
    return out


def _split(total: int, weights, rng) -> np.ndarray:
    """Integer sizes that add up to ``total``, roughly in proportion to ``weights``."""
    w = np.asarray(weights, float) / np.sum(weights)
    sizes = np.floor(w * total).astype(int)
    for i in rng.permutation(len(w))[: total - sizes.sum()]:
        sizes[i] += 1
    return sizes


def _follow_up(rng, n: int, lost: float, tilt: np.ndarray | float = 0.0) -> np.ndarray:
    """Who answers again: a share ``lost`` is lost, more of them where ``tilt`` (on the
    log-odds scale) is high."""
    p_lost = 1 / (1 + np.exp(-(np.log(lost / (1 - lost)) + tilt)))
    return rng.random(n) >= p_lost


# ----------------------------------------------------------------------- parents
def simulate_parents(seed: int = 11, scale: float = 1.0) -> dict[str, pd.DataFrame]:
    """The four parents exports (parent and child survey x pre and post) as DataFrames."""
    rng = np.random.default_rng(seed)
    n_families = max(8, round(111 * scale))
    n_children = max(n_families, round(146 * scale))
    municipalities = np.array(["Herning", "Aarhus", "Halsnæs", "Vordingborg"])
    fam_muni = np.repeat(municipalities, _split(n_families, [30, 38, 20, 23], rng))
    rng.shuffle(fam_muni)
    family_ids = np.array([f"FAM{1000 + i}" for i in range(n_families)])
    # children per family, 1 to 3: every family has one, some a second, a few a third
    extra = n_children - n_families
    n_third = min(extra // 5, n_families)
    second = rng.choice(n_families, min(extra - n_third, n_families), replace=False)
    third = rng.choice(second, min(n_third, len(second)), replace=False)
    child_family = np.sort(np.concatenate([np.arange(n_families), second, third]))
    n_children = len(child_family)

    # parents: competence and wellbeing improve a little (d about 0.3); those with low
    # wellbeing at the start are more often lost before the follow-up
    competence = _latent(rng, n_families, shift=0.33)
    wellbeing = _latent(rng, n_families, shift=0.33)
    parent_follow = _follow_up(rng, n_families, 0.22, -0.5 * wellbeing.pre)
    parent_rows = {}
    for wave, (theta_c, theta_w) in {"pre": (competence.pre, wellbeing.pre),
                                     "post": (competence.post, wellbeing.post)}.items():
        psoc = _items(rng, theta_c, 16, 1, 6, 3.6, 0.9, 0.8, PSOC_SATISFACTION)
        who = _items(rng, theta_w, 5, 0, 5, 2.4, 1.0, 0.7)
        keep = np.ones(n_families, bool) if wave == "pre" else parent_follow
        df = pd.DataFrame({
            "respondent_id": [f"F-{i + 1:04d}" for i in range(n_families)],
            "familie_id": family_ids, "kommune": fam_muni,
            "besvarelsesdato": pd.Timestamp("2020-09-01" if wave == "pre" else "2021-10-01")
            + pd.to_timedelta(rng.integers(0, 120, n_families), unit="D"),
        })
        for k in range(16):
            df[f"psoc_{k + 1:02d}"] = _labelled(psoc[:, k], PSOC_DA, 1)
        for k in range(5):
            df[f"who5_{k + 1}"] = who[:, k]
        parent_rows[wave] = df[keep].reset_index(drop=True)

    # children: no change in difficulties on average, but siblings change alike (a
    # family's share of the change), and children with more difficulties at the start
    # are more often lost before the follow-up
    difficulties = _latent(rng, n_children, shift=0.0, rho=0.7)
    difficulties.post = difficulties.post + rng.normal(0, 0.5, n_families)[child_family]
    child_follow = _follow_up(rng, n_children, 0.22, 0.6 * difficulties.pre)
    ages = rng.uniform(4, 17, n_children).round(1)
    child_rows = {}
    for wave, theta in {"pre": difficulties.pre, "post": difficulties.post}.items():
        sdq = _sdq_items(rng, theta)
        keep = np.ones(n_children, bool) if wave == "pre" else child_follow
        df = pd.DataFrame({
            "respondent_id": [f"B-{i + 1:04d}" for i in range(n_children)],
            "familie_id": family_ids[child_family], "kommune": fam_muni[child_family],
            "barnets_alder": ages + (0 if wave == "pre" else 1.0),
            "udfyldt_af": rng.choice(["Plejeforælder", "Pædagog", "Kontaktperson"], n_children),
        })
        for k in range(25):
            df[f"sdq_{k + 1:02d}"] = _labelled(sdq[:, k], SDQ_DA, 0)
        child_rows[wave] = df[keep].reset_index(drop=True)
    return {"foraeldre_foer": parent_rows["pre"], "foraeldre_efter": parent_rows["post"],
            "boern_foer": child_rows["pre"], "boern_efter": child_rows["post"]}


def _write_surveyxact_csv(df: pd.DataFrame, path: Path) -> None:
    """Semicolon-separated, decimal commas, UTF-8 with BOM (as SurveyXact exports)."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].map(lambda v: "" if pd.isna(v) else f"{v:g}".replace(".", ","))
        elif pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%d-%m-%Y")
    out.to_csv(path, sep=";", index=False, encoding="utf-8-sig")


def write_parents(out_dir: str | Path, seed: int = 11, scale: float = 1.0) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    exports = simulate_parents(seed, scale)
    for name, df in exports.items():
        path = out_dir / f"parents_{name}.csv"
        _write_surveyxact_csv(df, path)
        paths.append(path)
    families = exports["foraeldre_foer"].drop_duplicates("familie_id")
    fidelity = fidelity_rows(families["familie_id"], families["kommune"], PARENTS_ELEMENTS, PARENTS_DELIVERY,
                             np.random.default_rng(seed + 100), id_column="familie_id")
    fidelity_path = out_dir / "parents_fidelitet.csv"
    fidelity.to_csv(fidelity_path, sep=";", index=False, encoding="utf-8-sig")
    return paths + [_parents_costs(out_dir, scale), fidelity_path]


# ---------------------------------------------------------------- foster families
FOSTER_SITES = {  # municipality -> foster parents per variant
    "København": {"individuel": 26, "gruppe": 28},
    "Middelfart": {"gruppe": 30},
    "Vejle": {"individuel": 34},
    "Vesthimmerland": {"individuel": 20, "gruppe": 26},
}


def simulate_fosterfamilies(seed: int = 4, scale: float = 1.0) -> pd.DataFrame:
    """One long export (both waves) of the foster-family study."""
    return _fosterfamilies(seed, scale)[0]


def _fosterfamilies(seed: int, scale: float):
    rng = np.random.default_rng(seed)
    muni, variant = [], []
    for m, variants in FOSTER_SITES.items():
        for v, n in variants.items():
            k = max(3, round(n * scale))
            muni += [m] * k
            variant += [v] * k
    muni, variant = np.array(muni), np.array(variant)
    n = len(muni)
    group = variant == "gruppe"
    efficacy = _latent(rng, n, shift=0.38)                       # both variants
    satisfaction = _latent(rng, n, shift=np.where(group, 0.6, 0.0))
    stress = _latent(rng, n, shift=np.where(group, -0.42, 0.0))  # less stress: group only
    child = _latent(rng, n, shift=0.18, rho=0.7)                 # slightly more difficulties
    follow = _follow_up(rng, n, 0.2)
    ids = np.array([f"PF{2019000 + i * 7:07d}" for i in range(n)])
    # the placed child's sex and age, from a stream of their own (the answers stay as they were)
    child_rng = np.random.default_rng(seed + 1000)
    child_sex = child_rng.choice(["Pige", "Dreng"], n)
    child_age = child_rng.integers(3, 18, n)
    frames = []
    for wave_code, pick in ((1, "pre"), (2, "post")):
        eff = getattr(efficacy, pick)
        sat = getattr(satisfaction, pick)
        # PSOC: efficacy items follow one trait, satisfaction items (reversed) another
        psoc = np.empty((n, 16))
        eff_items = _items(rng, eff, 16, 1, 6, 3.8, 0.85, 0.8)
        sat_items = _items(rng, sat, 16, 1, 6, 3.5, 0.85, 0.8, PSOC_SATISFACTION)
        for k in range(1, 17):
            psoc[:, k - 1] = sat_items[:, k - 1] if k in PSOC_SATISFACTION else eff_items[:, k - 1]
        pss = _items(rng, getattr(stress, pick), 18, 1, 5, 2.3, 0.7, 0.7, PSS_REVERSED)
        sdq = _sdq_items(rng, getattr(child, pick))
        keep = np.ones(n, bool) if pick == "pre" else follow
        df = pd.DataFrame({"Løbenummer": ids, "Kommune": muni, "Model": variant,
                           "Barnets køn": child_sex, "Barnets alder": child_age, "Måling": wave_code,
                           "Plejeforælders navn": [f"Plejeforælder {i + 1}" for i in range(n)]})
        for k in range(16):
            df[f"PSOC{k + 1}"] = psoc[:, k]
        for k in range(18):
            df[f"PSS{k + 1}"] = _labelled(pss[:, k], PSS_DA, 1)
        for k in range(25):
            df[f"SDQ{k + 1}"] = sdq[:, k]
        frames.append(df[keep])
    out = pd.concat(frames, ignore_index=True)
    people = {"ids": ids, "muni": muni, "variant": variant, "sex": child_sex, "age": child_age, "follow": follow,
              "traits": {"efficacy": efficacy, "satisfaction": satisfaction, "stress": stress, "child": child}}
    return out.sample(frac=1, random_state=seed).reset_index(drop=True), people


def simulate_fosterfamilies_followup(seed: int = 4, scale: float = 1.0) -> pd.DataFrame:
    """The 6-month follow-up of the foster-family study: a SurveyXact export of its own.

    The same foster parents, from a random stream of their own (the first two waves
    are unchanged): most who answered after the programme answer again, and a few
    who had not; the gains of the programme mostly hold. PSS is answered with labels,
    and some answers are SurveyXact's "Ved ikke" (a missing-answer code in the config).
    """
    _, people = _fosterfamilies(seed, scale)
    rng = np.random.default_rng(seed + 2000)
    n = len(people["ids"])
    answered_post = people["follow"]
    answers = np.where(answered_post, rng.random(n) < 0.82, rng.random(n) < 0.3)
    t = people["traits"]

    def later(trait: Latent, keep: float) -> np.ndarray:  # most of the change holds
        return keep * trait.post + (1 - keep) * trait.pre + 0.45 * rng.normal(size=n)

    eff, sat, stress, child = (later(t["efficacy"], 0.9), later(t["satisfaction"], 0.9),
                               later(t["stress"], 0.9), later(t["child"], 0.9))
    psoc = np.empty((n, 16))
    eff_items = _items(rng, eff, 16, 1, 6, 3.8, 0.85, 0.8)
    sat_items = _items(rng, sat, 16, 1, 6, 3.5, 0.85, 0.8, PSOC_SATISFACTION)
    for k in range(1, 17):
        psoc[:, k - 1] = sat_items[:, k - 1] if k in PSOC_SATISFACTION else eff_items[:, k - 1]
    pss = _items(rng, stress, 18, 1, 5, 2.3, 0.7, 0.7, PSS_REVERSED)
    sdq = _sdq_items(rng, child)
    df = pd.DataFrame({"Løbenummer": people["ids"], "Kommune": people["muni"], "Model": people["variant"],
                       "Barnets køn": people["sex"], "Barnets alder": people["age"],
                       "Besvarelsesdato": pd.Timestamp("2021-12-01") + pd.to_timedelta(rng.integers(0, 60, n),
                                                                                         unit="D")})
    for k in range(16):
        df[f"PSOC{k + 1}"] = psoc[:, k]
    for k in range(18):
        labels = _labelled(pss[:, k], PSS_DA, 1).astype(object)
        labels[rng.random(n) < 0.005] = "Ved ikke"
        df[f"PSS{k + 1}"] = labels
    for k in range(25):
        df[f"SDQ{k + 1}"] = sdq[:, k]
    return df[answers].reset_index(drop=True)


def write_fosterfamilies(out_dir: str | Path, seed: int = 4, scale: float = 1.0) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "fosterfamilies.xlsx"
    df = simulate_fosterfamilies(seed, scale)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        df.to_excel(writer, sheet_name="Besvarelser", index=False)
    followup = out_dir / "fosterfamilies_opfoelgning.csv"
    _write_surveyxact_csv(simulate_fosterfamilies_followup(seed, scale), followup)
    parents = df.drop_duplicates("Løbenummer")
    fidelity = fidelity_rows(parents["Løbenummer"], parents["Kommune"], FOSTER_ELEMENTS, FOSTER_DELIVERY,
                             np.random.default_rng(seed + 100), id_column="Løbenummer")
    fidelity_path = out_dir / "fosterfamilies_fidelitet.xlsx"
    with pd.ExcelWriter(fidelity_path, engine="openpyxl") as writer:
        fidelity.to_excel(writer, sheet_name="Fidelitet", index=False)
    return [path, followup, _foster_costs(out_dir, scale), fidelity_path]


# ------------------------------------------------------------------- cost sheets
def cost_items(sites: dict[str, tuple[float, float]], plan: list[tuple[str, str, float, float, float, float]]
               ) -> pd.DataFrame:
    """A cost sheet (Danish headers): per municipality, with its ``sites`` units
    (families or foster parents) and intensity (its share of the planned staff time),
    and per item of ``plan`` ``(category, item, fixed hours, hours per unit, hourly
    rate, amount per unit)`` the staff hours and amounts. Deterministic: a price list,
    not a random draw; hours and amounts rounded as a bookkeeper would."""
    rows = []
    for municipality, (units, intensity) in sites.items():
        for category, item, fixed, hours, rate, amount in plan:
            total = (fixed + hours * units) * (intensity if category == "drift" else 1.0)
            rows.append({"Kommune": municipality, "Kategori": category, "Post": item,
                         "Timer": round(total, 1) if total else None, "Timepris": rate or None,
                         "Beløb": round(amount * units, -2) if amount else None})
    return pd.DataFrame(rows).astype({"Timepris": "Int64", "Beløb": "Int64"})


PARENTS_COSTS = [  # (category, item, fixed hours, hours per family, hourly rate, amount per family), 2022 kroner
    ("forberedelse", "Planlægning og rekruttering (projektleder)", 60, 1.0, 520, 0),
    ("uddannelse", "Kursus i kriseinformeret praksis (medarbejdere)", 90, 1.5, 450, 0),
    ("uddannelse", "Kursusafgift og undervisere", 0, 0, 0, 1800),
    ("drift", "Forældrehandleplan og samtaler (familiekonsulent)", 0, 26.0, 450, 0),
    ("drift", "Tværprofessionelle møder", 0, 6.0, 480, 0),
    ("drift", "Supervision", 24, 1.0, 650, 0),
    ("materiel", "Materialer og forplejning", 0, 0, 0, 650),
]
PARENTS_SITES = {"Herning": (30, 1.1), "Aarhus": (38, 0.9), "Halsnæs": (20, 1.25), "Vordingborg": (23, 1.0)}
FOSTER_COSTS = [  # per foster parent, 2021 kroner
    ("forberedelse", "Tilrettelæggelse med døgninstitutionen", 45, 0.5, 500, 0),
    ("uddannelse", "Kompetenceudvikling af plejefamilier", 0, 4.0, 430, 0),
    ("uddannelse", "Undervisere og lokaler", 0, 0, 0, 750),
    ("drift", "Tværgående samarbejde (konsulent)", 0, 7.0, 460, 0),
    ("drift", "Netværksmøder", 0, 2.5, 460, 0),
    ("drift", "Akuttelefon (vagtordning)", 120, 0, 520, 0),
    ("materiel", "Telefon, materialer og forplejning", 0, 0, 0, 450),
]
FOSTER_INTENSITY = {"København": 1.0, "Middelfart": 0.85, "Vejle": 1.15, "Vesthimmerland": 0.95}


def _parents_costs(out_dir: Path, scale: float = 1.0) -> Path:
    path = out_dir / "parents_omkostninger.csv"
    sheet = cost_items({m: (units * scale, k) for m, (units, k) in PARENTS_SITES.items()}, PARENTS_COSTS)
    sheet.to_csv(path, sep=";", index=False, decimal=",", encoding="utf-8-sig")
    return path


def _foster_costs(out_dir: Path, scale: float = 1.0) -> Path:
    path = out_dir / "fosterfamilies_omkostninger.xlsx"
    sites = {m: (sum(v.values()) * scale, FOSTER_INTENSITY[m]) for m, v in FOSTER_SITES.items()}
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        cost_items(sites, FOSTER_COSTS).to_excel(writer, sheet_name="Omkostninger", index=False)
    return path


# ---------------------------------------------------------------- fidelity sheets
PARENTS_ELEMENTS = ["Kriseinformeret praksis", "Ressourcefokuseret tilgang", "Målrettet forældrehandleplan",
                    "Individuelt tilrettelagt støtte", "Tæt tværprofessionelt samarbejde"]
PARENTS_DELIVERY = {  # municipality -> chance that each element was delivered fully (else partly or not)
    "Herning": [0.9, 0.85, 0.9, 0.8, 0.6], "Aarhus": [0.8, 0.8, 0.7, 0.75, 0.5],
    "Halsnæs": [0.7, 0.9, 0.6, 0.85, 0.75], "Vordingborg": [0.85, 0.7, 0.8, 0.6, 0.4]}
FOSTER_ELEMENTS = ["Tværgående samarbejde", "Kompetenceudvikling", "Netværk", "Akuttelefon"]
FOSTER_DELIVERY = {"København": [0.85, 0.9, 0.6, 0.9], "Middelfart": [0.9, 0.8, 0.85, 0.7],
                   "Vejle": [0.6, 0.85, 0.5, 0.8], "Vesthimmerland": [0.75, 0.7, 0.8, 0.5]}


def fidelity_rows(ids: pd.Series, municipalities: pd.Series, elements: list[str], delivery: dict[str, list[float]],
                  rng: np.random.Generator, id_column: str) -> pd.DataFrame:
    """A fidelity sheet: per unit and core element "ja" (with the municipality's chance),
    else "delvist" or "nej"."""
    rows = []
    for unit, municipality in zip(ids, municipalities):
        for element, full in zip(elements, delivery[municipality]):
            u = rng.random()
            answer = "ja" if u < full else "delvist" if u < full + (1 - full) * 0.6 else "nej"
            rows.append({id_column: unit, "Kerneelement": element, "Leveret": answer})
    return pd.DataFrame(rows)


STUDIES = {"parents": write_parents, "fosterfamilies": write_fosterfamilies}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="evaluation-simulate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--study", choices=sorted(STUDIES), action="append",
                        help="study to simulate (repeatable; default: both)")
    parser.add_argument("--out", default="data/raw", help="folder for the exports (default data/raw)")
    parser.add_argument("--seed", type=int, help="random seed (default: the demo study's own)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="sample size relative to the demo study (default 1)")
    args = parser.parse_args(argv)
    for study in args.study or sorted(STUDIES):
        kwargs = {"scale": args.scale} | ({"seed": args.seed} if args.seed is not None else {})
        for path in STUDIES[study](args.out, **kwargs):
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
