"""One battery of checks over every module in evaluation.analyses.ANALYSES (DESIGN.md,
"Tests that come with it"), on the demo studies and on a small study full of tiny
cells: the shape of the module, its table's columns, the disclosure of what it
publishes, the numbers of its report blocks, and that it knows no file path.
"""
from __future__ import annotations

import ast
import inspect
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from conftest import REPO, run_stages, simulated_demo, study_people
from evaluation import analyses
from evaluation.analyses import ANALYSES, Context, costs, read_published
from evaluation.config import Study
from evaluation.disclosure import is_small
from evaluation.report.document import Section, Table

REQUIRED = ("NAME", "NEEDS", "KEYS", "COLUMNS", "applies", "compute", "blocks")


def expected_columns(analysis, study) -> list[str]:
    from evaluation.analyses import table_columns

    return table_columns(analysis, study)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """Both demo studies at a fifth of their size: almost every subgroup is tiny."""
    root = simulated_demo(tmp_path_factory.mktemp("tiny"), seeds=(21, 22), scales=(0.18, 0.2))
    for sid in ("parents", "fosterfamilies"):
        run_stages(load_study(root, sid), root)
    return root


def load_study(root: Path, sid: str) -> Study:
    import evaluation as ev

    return ev.load_study(root / "config.yaml", sid, root=root)


def published(root: Path, study: Study) -> dict[str, pd.DataFrame]:
    return {a.NAME: read_published(a, root / "reports" / study.id) for a in ANALYSES}


def context(root: Path, study: Study) -> Context:
    hidden = json.loads((root / "data" / "processed" / study.id / "disclosure.json").read_text())
    reasons = {name: ({int(r): why for r, why in d["rows"].items()}, {(int(r), c): why for r, c, why in d["cells"]})
               for name, d in hidden.items()}
    ingest = json.loads((root / "data" / "processed" / study.id / "inputs.json").read_text())
    return Context(study, published(root, study), reasons, ingest)


@pytest.fixture(params=["demo", "tiny"], scope="module")
def run(request, demo_run, tiny):
    return demo_run if request.param == "demo" else tiny


@pytest.mark.parametrize("analysis", ANALYSES, ids=lambda a: a.NAME)
def test_module_has_the_shape_of_an_analysis(analysis):
    missing = [name for name in REQUIRED if not hasattr(analysis, name)]
    assert not missing, f"{analysis.__name__} lacks {missing}"
    assert set(analysis.KEYS) <= set(analysis.COLUMNS)
    assert all(n in analyses.Data.__dataclass_fields__ for n in analysis.NEEDS)
    assert analysis.__doc__, "the module says which question it answers"


@pytest.mark.parametrize("analysis", ANALYSES, ids=lambda a: a.NAME)
def test_module_knows_no_file_path(analysis):
    """Below the report nothing knows a file: no import of stages, io or pipeline."""
    tree = ast.parse(inspect.getsource(analysis))
    imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not {m for m in imported if m.split(".")[-1] in ("stages", "io", "pipeline")}, imported


@pytest.mark.parametrize("sid", ["parents", "fosterfamilies"])
@pytest.mark.parametrize("analysis", ANALYSES, ids=lambda a: a.NAME)
def test_full_table_has_exactly_its_columns(run, sid, analysis):
    study = load_study(run, sid)
    processed = run / "data" / "processed" / sid
    if getattr(analysis, "STORED", True):
        table = pd.read_csv(processed / f"{analysis.NAME}.csv")
    else:
        table = analysis.compute(analyses.Data(issues=pd.read_csv(processed / "data_issues.csv", dtype=str)), study)
    assert list(table.columns) == expected_columns(analysis, study)
    public = published(run, study)[analysis.NAME]
    assert len(public) == len(table)
    assert [c for c in public.columns if c != "suppressed"] == [c for c in expected_columns(analysis, study)
                                                                 if c != "suppressed"]


@pytest.mark.parametrize("sid", ["parents", "fosterfamilies"])
def test_published_tables_pass_the_disclosure_audit(run, sid):
    """The independent attacker finds no small count in the linked tables; every
    count outside them is 0 or at least min_n."""
    from test_disclosure import Attack

    study = load_study(run, sid)
    tables = published(run, study)
    min_n = study.analysis["min_n"]
    people = study_people(run / "data" / "processed" / sid, study)
    columns = [c for c in study.groups if any(c in g for g in study.groupings)]
    found = Attack(tables["results"], tables["participant_flow"], tables["band_shares"], columns,
                   study.groupings, list(study.outcomes), min_n, [c for c in columns if people[c].isna().any()],
                   include=bool(study.spec.get("include")), waves=study.waves,
                   contrasts=study.contrasts).derived_small()
    assert not found, found[:5]
    for analysis in ANALYSES:
        for column in [getattr(analysis, "SMALL_ROWS", None), *getattr(analysis, "SMALL_CELLS", ())]:
            if column and column in tables[analysis.NAME].columns:
                values = pd.to_numeric(tables[analysis.NAME][column], errors="coerce").dropna()
                assert not is_small(values, min_n).any(), (analysis.NAME, column)
        hidden = tables[analysis.NAME].get("suppressed", pd.Series(dtype=bool)).astype(str).str.lower() == "true"
        rest = [c for c in tables[analysis.NAME].columns if c not in (*analysis.KEYS, "suppressed")]
        assert tables[analysis.NAME].loc[hidden, rest].isna().all().all(), analysis.NAME
    # counts of units (tables with a publish rule of their own): 0 or at least min_n, and so is
    # the difference of two counts of one row
    units = {"costs": ("n_enrolled", "n_completed"), "fidelity": ("n_units", "n_high"),
             "fidelity_change": ("n_high", "n_low")}
    for name, (a, b) in units.items():
        table = tables.get(name)
        if table is None or table.empty:
            continue
        x, y = (pd.to_numeric(table[c], errors="coerce") for c in (a, b))
        for values in (x, y, (x - y).abs() if name != "fidelity_change" else pd.Series(dtype=float)):
            assert not is_small(values.dropna(), min_n).any(), (name, a, b)


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d[\d\u00a0]*(?:,\d+)?", text)


@pytest.mark.parametrize("sid", ["parents", "fosterfamilies"])
@pytest.mark.parametrize("analysis", ANALYSES, ids=lambda a: a.NAME)
def test_every_count_in_the_blocks_is_published(run, sid, analysis):
    """Each whole number in a table of the analysis's report sections is a number of its
    published table (counts are never computed again for the report)."""
    study = load_study(run, sid)
    ctx = context(run, study)
    sections = analysis.blocks(ctx)
    assert all(isinstance(s, Section) for s in sections)
    table = ctx.tables[analysis.NAME]
    values = set()
    for c in table.columns:
        for v in table[c].dropna():
            if isinstance(v, (int, float)) and float(v).is_integer():
                values.add(str(int(v)))
            else:
                values.update(_numbers(str(v)))
    for section in sections:
        for block in section.blocks:
            if not isinstance(block, Table):
                continue
            for row in block.rows:
                for cell in row[1:]:
                    if re.fullmatch(r"\d+", cell):
                        assert cell in values, (analysis.NAME, row)
                    elif re.fullmatch(r"(\d+) \(.*%\)", cell):
                        assert cell.split(" ")[0] in values, (analysis.NAME, row)


def test_a_new_analysis_is_one_module(monkeypatch, tmp_path):
    """An analysis added to ANALYSES is computed, published and reported with no other
    edit: its table, its section in the report, its line in the summary."""
    import types

    import evaluation as ev

    module = types.ModuleType("evaluation.analyses.answered_items")
    module.__doc__ = "How many items people answered (a demonstration module)."
    module.NAME, module.NEEDS, module.KEYS = "answered_items", ("scores",), ["instrument", "wave"]
    module.COLUMNS = {"instrument": "instrument id", "wave": "wave", "mean_answered": "mean items answered"}
    module.applies = lambda study: True
    module.compute = lambda data, study: (data.scores.groupby(["instrument", "wave"], as_index=False)["n_answered"]
                                          .mean().rename(columns={"n_answered": "mean_answered"}))
    module.blocks = lambda ctx: [Section("answered-items", "Besvarede spørgsmål",
                                         [Table(["instrument", "wave", "mean"],
                                                ctx.tables["answered_items"].astype(str).values.tolist())])]
    module.findings = lambda ctx: ["Svarprocent: se afsnittet om besvarede spørgsmål."]
    monkeypatch.setattr(analyses, "ANALYSES", [*ANALYSES, module])
    study = ev.load_study(REPO / "config" / "config.yaml", "parents", root=REPO)
    report = run_stages(study, tmp_path)
    assert (report / "tables" / "answered_items.csv").exists()
    html = (report / "report.html").read_text(encoding="utf-8")
    assert 'id="answered-items"' in html and "Svarprocent: se afsnittet" in html


@pytest.mark.parametrize("lang", ["da", "en"])
def test_demo_summaries_answer_the_reviewers_questions(demo_run, lang):
    """Is one variant better, are siblings independent, did drop-out bias it, who changed
    reliably: each demo summary says it in words, in Danish and in English; subgroup
    results are labelled exploratory."""
    import copy

    expected = {
        "da": {"comparison": "større forbedring i", "siblings": "Søskende", "attrition": "Frafald",
               "reliable": "Ændring ud over måleusikkerheden", "exploratory": "Undersøgende"},
        "en": {"comparison": "more improvement in", "siblings": "Siblings", "attrition": "Attrition",
               "reliable": "Change beyond measurement error", "exploratory": "Exploratory"},
    }[lang]
    for sid, questions in (("fosterfamilies", ["comparison", "attrition", "reliable", "exploratory"]),
                           ("parents", ["siblings", "attrition", "reliable", "exploratory"])):
        study = load_study(demo_run, sid)
        study = Study(study.id, {**copy.deepcopy(study.spec), "language": lang}, study.analysis)
        ctx = context(demo_run, study)
        summary = " ".join(f for a in ANALYSES if hasattr(a, "findings") for f in a.findings(ctx))
        exploratory = [e for a in ANALYSES if hasattr(a, "exploratory") for e in a.exploratory(ctx)]
        assert exploratory, (sid, lang)  # subgroups apart from the findings
        summary += " " + " ".join(exploratory)
        for question in questions:
            assert expected[question] in summary, (sid, lang, question)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_demo_reports_have_the_implementation_chapter(demo_run, lang):
    """Both demo studies have a fidelity sheet: the chapter with its table, heat map and
    the exploratory comparison (labelled so), and a summary line, in both languages."""
    import copy

    from evaluation.analyses import fidelity

    words = {"da": ("Implementering", "Undersøgende", "gennemsnitlig fidelitetsscore"),
             "en": ("Implementation", "Exploratory", "mean fidelity score")}[lang]
    for sid in ("parents", "fosterfamilies"):
        study = load_study(demo_run, sid)
        study = Study(study.id, {**copy.deepcopy(study.spec), "language": lang}, study.analysis)
        ctx = context(demo_run, study)
        (section,) = fidelity.blocks(ctx)
        assert section.title == words[0]
        text = " ".join(b.text for b in section.blocks if hasattr(b, "text"))
        assert words[1] in text
        assert sum(isinstance(b, Table) for b in section.blocks) == 2
        summary = " ".join(fidelity.findings(ctx))
        assert words[2] in summary and len(fidelity.findings(ctx)) == 1, (sid, lang, summary)
        assert all(words[1] in e for e in fidelity.exploratory(ctx))  # the association, apart and labelled


@pytest.mark.parametrize("lang", ["da", "en"])
def test_demo_reports_have_the_cost_chapter(demo_run, lang):
    """Both demo studies have a cost sheet: the chapter, with the price year in its
    headings, and the total cost per unit in the summary, in Danish and English."""
    import copy

    words = {"da": ("Omkostninger ({year}-priser)", "Omkostninger i alt", "pr. indskrevet"),
             "en": ("Costs ({year} prices)", "Costs in all", "per enrolled")}[lang]
    for sid, year in (("parents", 2022), ("fosterfamilies", 2021)):
        study = load_study(demo_run, sid)
        study = Study(study.id, {**copy.deepcopy(study.spec), "language": lang}, study.analysis)
        ctx = context(demo_run, study)
        sections = costs.blocks(ctx)
        assert [s.title for s in sections] == [words[0].format(year=year)]
        tables = [b for b in sections[0].blocks if isinstance(b, Table)]
        assert len(tables) == 2 and all(str(year) in tb.header[0] for tb in tables)
        summary = " ".join(costs.findings(ctx))
        assert words[1] in summary and words[2] in summary, (sid, lang, summary)
        total = ctx.tables["costs"]
        total = total[(total["municipality"] == "all") & (total["category"] == "total")].iloc[0]
        assert total["cost"] > 0 and total["n_enrolled"] > 0


@pytest.mark.parametrize("lang", ["da", "en"])
@pytest.mark.parametrize("headline", ["g_av", "d_av"])
def test_each_outcome_sentence_says_its_direction_and_names_its_effect_sizes(demo_run, lang, headline):
    """Per outcome one sentence: the direction in words (also when not significant), the
    change in points, the headline effect size named, and d_z with its CI; every number
    in the direction the sentence names (a worsening is never quoted with d_z < 0)."""
    import copy

    from evaluation.analyses import paired_change
    from evaluation.i18n import TEXTS, contrast_label, format_number

    words = {"da": ("forbedring", "forværring", "uændret"), "en": ("improved", "worsened", "improvement",
                                                                     "worsening", "unchanged")}[lang]
    for sid in ("parents", "fosterfamilies"):
        study = load_study(demo_run, sid)
        study = Study(study.id, {**copy.deepcopy(study.spec), "language": lang},
                      {**study.analysis, "headline_effect": headline})
        ctx = context(demo_run, study)
        sentences = paired_change.findings(ctx)
        results = ctx.tables["results"]
        overall = results[results["grouping"] == "all"]
        assert len(sentences) == len(overall) == len(study.outcomes) * len(study.contrasts)
        for sentence, (_, r) in zip(sentences, overall.iterrows()):
            label = study.outcome_label(r["outcome"])
            if len(study.contrasts) > 1:
                label += f" ({contrast_label(study, (r['from_wave'], r['to_wave']))})"
            assert sentence.startswith(label + ":"), sentence
            assert any(w in sentence for w in words), sentence
            assert f"{format_number(abs(r['diff_mean']), lang)} point" in sentence
            sign = 1 if r["diff_mean"] > 0 else -1
            assert f"{TEXTS[f'effect_{headline}'][lang]} = {format_number(sign * r[headline], lang)};" in sentence
            assert f"{TEXTS['effect_d_z'][lang]} = {format_number(sign * r['d_z'], lang)} [95 " in sentence
            assert "d_z = −" not in sentence and f"{headline} = −" not in sentence
            # "no clear change" still says which way it went
            if r["p_t_adj"] >= 0.05:
                assert ("kan skyldes tilfældigheder" if lang == "da" else "may be chance") in sentence
