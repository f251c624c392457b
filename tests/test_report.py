"""The report a reviewer reads: numbers as in the results table, nothing suppressed
anywhere, the same tables in HTML, Word and Excel, and a clean render in Chromium."""
from __future__ import annotations

import re
import shutil
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO
from evaluation.config import Study, load_config
from evaluation.i18n import TEXTS, grouping_label


class Tables(HTMLParser):
    """Every <table> of a page as a list of rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def html_tables(path: Path) -> list[list[list[str]]]:
    parser = Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tables


def da(value: float, digits: int = 2) -> str:
    """Danish number format, written independently of evaluation.i18n."""
    text = f"{abs(value):.{digits}f}".replace(".", ",")
    return ("\u2212" if value < 0 and text.strip("0,") else "") + text


def outcome_tables(workdir: Path, study_id: str) -> dict[str, list[list[str]]]:
    study = Study.from_config(load_config(workdir / "config.yaml"), study_id)
    tables = [t for t in html_tables(workdir / "reports" / study_id / "report.html")
              if t and t[0] and (t[0][0] == "Gruppe" and len(t[0]) == 10 or t[0][0] == "Målinger" and len(t[0]) == 11)]
    # with several contrasts the first column names the contrast: left out here
    tables = [[row[1:] for row in t] if t[0][0] == "Målinger" else t for t in tables]
    return dict(zip(study.outcomes, tables))


@pytest.mark.parametrize("study_id", ["parents", "fosterfamilies"])
def test_every_number_in_the_html_equals_the_results_table(small_study, study_id):
    published = pd.read_csv(small_study / f"reports/{study_id}/tables/results.csv")
    full = pd.read_csv(small_study / f"data/processed/{study_id}/results.csv")
    for outcome, table in outcome_tables(small_study, study_id).items():
        rows = published[published["outcome"] == outcome]
        assert len(table) - 1 == len(rows)
        for cells, (i, r) in zip(table[1:], rows.iterrows()):
            if r["suppressed"]:  # small itself: "< 5"; hidden to protect another: "–"
                assert cells[1] == ("< 5" if full.at[i, "n"] < 5 else "–") and all(c == "" for c in cells[2:]), cells
                continue
            assert cells[1] == str(int(r["n"]))
            assert cells[2] == f"{da(r['pre_mean'])} ({da(r['pre_sd'])})"
            assert cells[3] == f"{da(r['post_mean'])} ({da(r['post_sd'])})"
            assert cells[4] == f"{da(r['diff_mean'])} [{da(r['diff_ci_low'])}; {da(r['diff_ci_high'])}]"
            assert cells[8] == f"{da(r['d_z'])} [{da(r['d_z_ci_low'])}; {da(r['d_z_ci_high'])}]"
            assert cells[9] == da(r["g_av"])
            for cell, p in ((cells[5], r["p_t"]), (cells[6], r["p_t_adj"]), (cells[7], r["p_wilcoxon"])):
                assert cell == ("< 0,001" if p < 0.001 else da(p, 3)) if pd.notna(p) else cell == "–"


def test_suppressed_cells_show_no_number_anywhere(small_study):
    from evaluation import figures

    published = pd.read_csv(small_study / "reports/fosterfamilies/tables/results.csv")
    full = pd.read_csv(small_study / "data/processed/fosterfamilies/results.csv")
    hidden = full[published["suppressed"] & (full["grouping"] != "all")]
    assert len(hidden) > 0
    html = (small_study / "reports/fosterfamilies/report.html").read_text(encoding="utf-8")
    study = Study.from_config(load_config(small_study / "config.yaml"), "fosterfamilies")
    tables = outcome_tables(small_study, "fosterfamilies")
    from evaluation.i18n import contrast_label

    for _, r in hidden.iterrows():
        label = r["group"].replace("+", " · ")
        contrast = contrast_label(study, (r["from_wave"], r["to_wave"]))
        # the same group's n published for another contrast may be drawn; this cell's may not
        shown_elsewhere = ((published["outcome"] == r["outcome"]) & (published["group"] == r["group"])
                           & (published["n"] == full.at[r.name, "n"])).any()
        # the forest and means plots of the outcome do not show the cell
        for draw in (figures.forest_plot, figures.means_plot):
            fig = draw(study, r["outcome"], published)
            texts = [t.get_text() for ax in fig.axes for t in [*ax.get_yticklabels(), *ax.texts]]
            texts += [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
            n = int(full.at[r.name, "n"])
            assert not any(x.startswith(f"{contrast}: {label} (n=") for x in texts)
            assert shown_elsewhere or not any(x in (f"{label} (n={n})", f"{r['group']} (n={n})") for x in texts)
        # the cell's row in its outcome's table has no number
        position = list(published.index[published["outcome"] == r["outcome"]]).index(r.name)
        row = tables[r["outcome"]][1 + position]
        assert row[0].endswith(f": {label}") and row[1] in ("< 5", "–")
        assert not any(re.search(r"\d", c) for c in row[2:])
    # the summary names only published subgroups (an exploratory bullet per outcome and grouping)
    from evaluation.i18n import group_text, grouping_label

    bullets = re.findall(r"<li>(.*?)</li>", html.split('id="summary"')[1].split("</section>")[0])
    bullets = [unescape(b) for b in bullets]
    for _, r in hidden.iterrows():
        contrast = contrast_label(study, (r["from_wave"], r["to_wave"]))
        outcome = f"{study.outcome_label(r['outcome'])} ({contrast})"
        assert len([b for b in bullets if b.startswith(f"{outcome}:")]) == 1
        where = f"{outcome}, {grouping_label(study, r['grouping']).lower()}:"
        for bullet in (b for b in bullets if b.startswith(where)):
            assert f"({group_text(study, r['grouping'], r['group'])})" not in bullet


def test_docx_and_xlsx_hold_the_same_tables(small_study):
    from docx import Document

    base = small_study / "reports/fosterfamilies"
    html = html_tables(base / "report.html")
    doc = Document(str(base / "report.docx"))
    docx = [[[cell.text for cell in row.cells] for row in table.rows] for table in doc.tables]
    assert docx == html
    assert len(doc.inline_shapes) == len(list((base / "figures").glob("*.png")))
    sheets = pd.read_excel(base / "tables.xlsx", sheet_name=None, engine="calamine")
    from evaluation.analyses import ANALYSES

    from evaluation.analyses import published_path
    from evaluation.i18n import column_heading
    from evaluation.report.xlsx import sheet_name

    study = Study.from_config(load_config(small_study / "config.yaml"), "fosterfamilies")
    # every table a sheet named in the report's language, its columns headed in it
    assert set(sheets) == {sheet_name(a.NAME, "da") for a in ANALYSES} | {"Noter"}
    assert {"Resultater", "Sammenligning af grupper", "Frafald", "Blandet model", "Pålidelig ændring"} <= set(sheets)
    for a in ANALYSES:
        published = pd.read_csv(base / published_path(a))
        expected = published.rename(columns=lambda c: column_heading(c, "da", study))
        pd.testing.assert_frame_equal(sheets[sheet_name(a.NAME, "da")], expected, check_dtype=False)


def test_every_text_exists_in_danish_and_english():
    assert all(set(v) == {"da", "en"} and all(v.values()) for v in TEXTS.values())


def test_english_report(small_study, tmp_path):
    import yaml

    from conftest import run_snakemake

    work = tmp_path / "en"
    shutil.copytree(small_study / "data" / "raw", work / "data" / "raw")
    cfg = yaml.safe_load((small_study / "config.yaml").read_text(encoding="utf-8"))
    cfg["studies"] = {"parents": {**cfg["studies"]["parents"], "language": "en"}}
    (work / "config.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert run_snakemake(work).returncode == 0
    html = (work / "reports/parents/report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html and "Summary of findings" in html and "Sammenfatning" not in html
    assert "Targeted support for parents of children in care" in html


# ------------------------------------------------------------------ browser
def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.parametrize("study_id", ["parents", "fosterfamilies"])
def test_demo_report_renders_in_chromium(demo_run, study_id):
    browser = chromium()
    if browser is None:
        pytest.skip("Debian's chromium is not installed and `make test` could not install it")
    sync_api = pytest.importorskip("playwright.sync_api")
    report = demo_run / "reports" / study_id / "report.html"
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=browser, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = b.new_page(viewport={"width": 1280, "height": 900})
        failed, requests = [], []
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
        shot = report.parent / "first_screen.png"
        page.screenshot(path=str(shot))
        b.close()
    assert failed == []
    assert [r for r in requests if not r.startswith(("file:", "data:"))] == []
    pngs = list((report.parent / "figures").glob("*.png"))
    assert len(images) == len(pngs) and all(c and w > 0 for c, w in images)
    # keep the first screen beside the demo report the user gets from `make run`
    kept = REPO / "reports" / study_id
    kept.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, kept / "first_screen.png")


def test_word_report_is_a4_with_readable_tables_and_contents(small_study):
    """A4 with 2.5 cm margins; every table's columns as wide as their longest word at
    least and no wider than the page together (a wide table on a landscape page); the
    header row repeats on every page; a table of contents field."""
    from docx import Document
    from docx.oxml.ns import qn

    from evaluation.report.docx import CHAR, PAD

    doc = Document(str(small_study / "reports/fosterfamilies/report.docx"))
    for section in doc.sections:
        size = sorted([round(section.page_width.cm, 1), round(section.page_height.cm, 1)])
        assert size == [21.0, 29.7]
        assert {round(getattr(section, m).cm, 2) for m in ("left_margin", "right_margin", "top_margin",
                                                           "bottom_margin")} == {2.5}
    assert any(s.page_width > s.page_height for s in doc.sections)  # some table is wide
    # each table and the section it is in
    body = doc.element.body
    sections = iter(doc.sections)
    current = next(sections)
    seen = 0
    for child in body.iterchildren():
        if child.tag == qn("w:tbl"):
            from docx.table import Table as DocxTable

            table = DocxTable(child, doc)
            widths = [int(g.get(qn("w:w"))) / 567 for g in child.find(qn("w:tblGrid")).findall(qn("w:gridCol"))]
            available = (current.page_width - current.left_margin - current.right_margin) / 360000  # EMU -> cm
            assert sum(widths) <= available + 0.05, (sum(widths), available)
            texts = [[cell.text for cell in row.cells] for row in table.rows]
            size = int(child.tr_lst[-1].find(f".//{qn('w:sz')}").get(qn("w:val"))) / 2  # the body's font size
            assert size >= 7
            for j, width in enumerate(widths):
                longest = max(len(w) for row in texts for w in row[j].split() or [""])
                assert width >= PAD + CHAR * size / 9 * longest - 0.01, (texts[0][j], width)
            assert child.tr_lst[0].trPr.find(qn("w:tblHeader")) is not None
            assert all(tr.trPr is None or tr.trPr.find(qn("w:tblHeader")) is None for tr in child.tr_lst[1:])
            seen += 1
        elif child.tag == qn("w:p") and child.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None:
            current = next(sections)  # the paragraph that ends a section
    assert seen == len(doc.tables) > 5
    instructions = " ".join(t.text for t in body.iter(qn("w:instrText")))
    assert "TOC" in instructions
    assert doc.settings.element.find(qn("w:updateFields")) is not None


def test_tables_and_figures_are_numbered_alike_in_html_and_word_with_contents(small_study):
    """Every table and figure has a numbered caption next to it, in reading order, the
    same in the HTML and the Word report; the HTML's table of contents links every
    section."""
    from docx import Document

    base = small_study / "reports/fosterfamilies"
    page = (base / "report.html").read_text(encoding="utf-8")
    html_captions = re.findall(r"<(?:caption|figcaption)>((?:Tabel|Figur) \d+)\. ", page)
    tables = [c for c in html_captions if c.startswith("Tabel")]
    figures = [c for c in html_captions if c.startswith("Figur")]
    assert tables == [f"Tabel {i}" for i in range(1, len(tables) + 1)] and len(tables) == page.count("<table>")
    assert figures == [f"Figur {i}" for i in range(1, len(figures) + 1)]
    assert len(figures) == page.count("<figure>") == len(list((base / "figures").glob("*.png")))
    doc = Document(str(base / "report.docx"))
    word = [re.match(r"(?:Tabel|Figur) \d+", p.text).group(0) for p in doc.paragraphs
            if p.style.name == "Caption" and re.match(r"(?:Tabel|Figur) \d+\. ", p.text)]
    assert word == html_captions
    links = re.findall(r'<li><a href="#([\w-]+)">', page)
    assert links and all(f'<section id="{target}">' in page for target in links)
    assert len(links) == page.count("<section id=")


def test_two_languages_in_one_run(tmp_path):
    """``language: [da, en]``: the report in Danish as report.html/.docx and in English
    beside it (report.en.html/.docx, figures in figures/en/), all published together."""
    from conftest import run_stages, simulated_demo

    import evaluation as ev

    root = simulated_demo(tmp_path, seeds=(5, 6), scales=(0.4, 0.4))
    study = ev.load_study(root / "config.yaml", "parents", root=root)
    study = Study(study.id, {**study.spec, "language": ["da", "en"]}, study.analysis)
    report = run_stages(study, root)
    da_html = (report / "report.html").read_text(encoding="utf-8")
    en_html = (report / "report.en.html").read_text(encoding="utf-8")
    assert '<html lang="da">' in da_html and '<html lang="en">' in en_html
    assert "Sammenfatning" in da_html and "Summary of findings" in en_html and "Sammenfatning" not in en_html
    assert (report / "report.en.docx").is_file() and not (report / "tables.en.xlsx").exists()
    danish = sorted(p.name for p in (report / "figures").glob("*.png"))
    assert danish and sorted(p.name for p in (report / "figures" / "en").glob("*.png")) == danish
    assert en_html.count("data:image/png;base64,") == da_html.count("data:image/png;base64,") == len(danish)


def test_forest_plots_point_improvement_to_the_right_for_every_outcome(tmp_path):
    """A lower-is-better outcome that improved (d_z < 0) is drawn right of zero, its CI
    turned with it, and the axis says the sign is turned."""
    from conftest import make_study
    from matplotlib.collections import PathCollection

    from evaluation.figures import forest_plot

    spec = {"title": "t", "exports": [{"path": str(tmp_path / "x.csv")}], "columns": {"id": "id", "wave": "w"},
            "waves": {"pre": [1], "post": [2]},
            "instruments": {"own": {"items": ["k1"], "range": [0, 10], "score": "sum"}},
            "outcomes": {"stress": {"instrument": "own", "scale": "total", "better": "lower"},
                         "joy": {"instrument": "own", "scale": "total", "better": "higher"}}}
    study = make_study(spec)
    results = pd.DataFrame({"outcome": ["stress", "joy"], "from_wave": "pre", "to_wave": "post",
                            "grouping": "all", "group": "all", "n": 40, "d_z": [-0.5, 0.3],
                            "d_z_ci_low": [-0.8, 0.1], "d_z_ci_high": [-0.2, 0.5], "suppressed": False})
    for outcome, want, ci, said in (("stress", 0.5, (0.2, 0.8), "lavere er bedre"),
                                    ("joy", 0.3, (0.1, 0.5), "forbedring mod højre")):
        fig = forest_plot(study, outcome, results)
        points = [c for ax in fig.axes for c in ax.collections if isinstance(c, PathCollection)]
        assert points[0].get_offsets()[0][0] == pytest.approx(want)
        assert said in fig._supxlabel.get_text()
        whiskers = [c for ax in fig.axes for c in ax.collections if not isinstance(c, PathCollection)]
        xs = [v for seg in whiskers[0].get_segments() for v in seg[:, 0]]
        assert (min(xs), max(xs)) == pytest.approx(ci)


def test_danish_figures_write_numbers_with_a_decimal_comma(tmp_path):
    """Tick labels in the report's language: 0,2 and −0,4 in Danish, 0.2 and −0.4 in English."""
    from conftest import make_study

    from evaluation.figures import decimal_mark, forest_plot

    spec = {"title": "t", "exports": [{"path": str(tmp_path / "x.csv")}], "columns": {"id": "id", "wave": "w"},
            "waves": {"pre": [1], "post": [2]},
            "instruments": {"own": {"items": ["k1"], "range": [0, 10], "score": "sum"}},
            "outcomes": {"joy": {"instrument": "own", "scale": "total", "better": "higher"}}}
    results = pd.DataFrame({"outcome": ["joy"], "from_wave": "pre", "to_wave": "post", "grouping": "all",
                            "group": "all", "n": 40, "d_z": [0.3], "d_z_ci_low": [-0.6], "d_z_ci_high": [0.9],
                            "suppressed": False})
    for lang, mark, other in (("da", ",", "."), ("en", ".", ",")):
        study = make_study({**spec, "language": lang})
        fig = decimal_mark(forest_plot(study, "joy", results), lang)
        fig.canvas.draw()
        ticks = [label.get_text() for ax in fig.axes for label in ax.get_xticklabels() if label.get_text() != "0"]
        assert ticks and all(mark in t and other not in t for t in ticks), ticks
        assert any(t.startswith("\u2212") for t in ticks), ticks


def test_forest_plots_separate_and_name_their_groupings(tmp_path):
    """Each one-way grouping a block under its name in bold, a rule above it; the overall
    row first; crossed groups only in the table."""
    from conftest import make_study

    from evaluation.figures import forest_plot

    spec = {"title": "t", "exports": [{"path": str(tmp_path / "x.csv")}],
            "columns": {"id": "id", "wave": "w", "municipality": "kommune", "variant": "v"},
            "waves": {"pre": [1], "post": [2]},
            "instruments": {"own": {"items": ["k1"], "range": [0, 10], "score": "sum"}},
            "outcomes": {"joy": {"instrument": "own", "scale": "total", "better": "higher"}}}
    study = make_study(spec)
    cells = [("all", "all"), ("municipality", "Aarhus"), ("municipality", "Herning"), ("variant", "gruppe"),
             ("municipality+variant", "Aarhus+gruppe")]
    results = pd.DataFrame({"outcome": "joy", "from_wave": "pre", "to_wave": "post",
                            "grouping": [g for g, _ in cells], "group": [v for _, v in cells], "n": 40,
                            "d_z": 0.3, "d_z_ci_low": 0.1, "d_z_ci_high": 0.5, "suppressed": False})
    fig = forest_plot(study, "joy", results)
    ticks = fig.axes[0].get_yticklabels()
    assert [tick.get_text() for tick in ticks] == ["Samlet (n=40)", "Kommune", "Aarhus (n=40)", "Herning (n=40)",
                                                   "Variant", "gruppe (n=40)"]
    assert [tick.get_text() for tick in ticks if tick.get_fontweight() == "bold"] == ["Kommune", "Variant"]
    rules = [line for line in fig.axes[0].lines if line.get_ydata()[0] == line.get_ydata()[-1]
             and list(line.get_xdata()) == [0, 1]]
    assert len(rules) == 2


def test_a_hidden_band_is_marked_in_the_band_figure(tmp_path):
    """A bar whose band counts are partly hidden shows the rest as a hatched "hidden" part."""
    from conftest import make_study

    from evaluation.figures import band_plot

    spec = {"title": "t", "exports": [{"path": str(tmp_path / "x.csv")}], "columns": {"id": "id", "wave": "w"},
            "waves": {"pre": [1], "post": [2]},
            "instruments": {"own": {"items": ["k1"], "range": [0, 10], "score": "sum"}},
            "outcomes": {"joy": {"instrument": "own", "scale": "total", "better": "higher"}}}
    study = make_study(spec)
    bands = ["normal", "borderline", "abnormal"]
    shown = pd.DataFrame({"band": bands, "share": [0.6, 0.3, 0.1], "suppressed": False})
    hidden = pd.DataFrame({"band": bands, "share": [0.7, None, None], "suppressed": [False, True, True]})
    fig = band_plot(study, [("Før", shown), ("Efter", hidden)])
    hatched = [p for p in fig.axes[0].patches if p.get_hatch()]
    assert len(hatched) == 1 and hatched[0].get_x() == pytest.approx(70) and hatched[0].get_width() == pytest.approx(30)
    assert "Skjult (små antal)" in [text.get_text() for text in fig.legends[0].get_texts()]


# ------------------------------------------------------------------ one language at a time
def _catalogue_words(lang: str) -> set[str]:
    """Every word the pipeline can write in ``lang``: the text catalogue, the
    questionnaires' scoring rules, scale names and titles, the rules of data issues
    and the words of column headings."""
    from evaluation.i18n import COLUMN_PAIRS, COLUMN_WORDS, ISSUE_RULES_DA
    from evaluation.instruments import FAMILIES, build_instrument
    from evaluation.instruments import custom

    k = 0 if lang == "da" else 1
    texts = [v[lang] for v in TEXTS.values()]
    texts += [w[k] for w in (*COLUMN_WORDS.values(), *COLUMN_PAIRS.values())]
    for family in {*FAMILIES.values(), custom}:
        texts += [v[lang] for v in getattr(family, "SCALE_LABELS", {}).values()]
        title = getattr(family, "TITLE", "")
        texts += [v[lang] for v in title.values()] if isinstance(title, dict) else [title]
    for builtin in FAMILIES:
        texts.append(build_instrument("x", {"builtin": builtin, "items": []}).rule_text(lang))
    texts.append(build_instrument("x", {"items": ["a"], "range": [0, 1]}).rule_text(lang))
    texts += [template for _, template in ISSUE_RULES_DA] if lang == "da" else [p for p, _ in ISSUE_RULES_DA]
    return {w.lower() for text in texts for w in re.findall(r"[^\W\d_]{3,}", re.sub(r"\{[^}]*\}", " ", text))}


class _Visible(HTMLParser):
    """The text a reader sees, without the provenance appendix (config, files, versions)."""

    def __init__(self):
        super().__init__()
        self.text, self.skip, self.lang = [], 0, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if self.skip or tag in ("style", "script") or attrs.get("id") == "provenance":
            self.skip += 1
        if tag == "img" and not self.skip:
            self.text.append(attrs.get("alt") or "")

    def handle_endtag(self, tag):
        if self.skip and tag in ("style", "script", "section"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.text.append(data)


@pytest.fixture(scope="module")
def bilingual(small_study, tmp_path_factory):
    """Both demo studies with ``language: [da, en]``: report.html in Danish, report.en.html in English."""
    import yaml

    from conftest import run_snakemake

    work = tmp_path_factory.mktemp("bilingual")
    shutil.copytree(small_study / "data" / "raw", work / "data" / "raw")
    cfg = yaml.safe_load((small_study / "config.yaml").read_text(encoding="utf-8"))
    for spec in cfg["studies"].values():
        spec["language"] = ["da", "en"]
    (work / "config.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    proc = run_snakemake(work)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work


@pytest.mark.parametrize("study_id", ["parents", "fosterfamilies"])
@pytest.mark.parametrize("lang,file", [("da", "report.html"), ("en", "report.en.html")])
def test_a_report_holds_no_word_of_the_other_language(bilingual, study_id, lang, file):
    """Danish throughout the Danish report, English throughout the English one; data
    values (names of municipalities and groups, the configured titles, labels and
    missing codes) and the provenance appendix aside. Code names appear only there."""
    import yaml

    folder = bilingual / "reports" / study_id
    parser = _Visible()
    parser.feed((folder / file).read_text(encoding="utf-8"))
    assert parser.lang == lang
    visible = " ".join(parser.text)
    other = "en" if lang == "da" else "da"
    foreign = _catalogue_words(other) - _catalogue_words(lang)
    config = yaml.safe_load((bilingual / "config.yaml").read_text(encoding="utf-8"))
    spec = config["studies"][study_id]
    data = set()

    def collect(value):
        if isinstance(value, dict):
            for v in value.values():
                collect(v)
        elif isinstance(value, list):
            for v in value:
                collect(v)
        elif isinstance(value, str):
            data.update(w.lower() for w in re.findall(r"[^\W\d_]{3,}", value))

    collect(spec)
    for table in (folder / "tables").glob("*.csv"):
        frame = pd.read_csv(table, dtype=str)
        for column in ("group", "level", "reference", "municipality", "element", "category"):
            if column in frame:
                collect(frame[column].dropna().tolist())
    words = {w.lower() for w in re.findall(r"[^\W\d_]{3,}", visible)}
    assert sorted(words & foreign - data) == []
    # code names only in the appendix: the study id, outcome ids, scale ids
    codes = {study_id, *spec["outcomes"], *(o["scale"] for o in spec["outcomes"].values() if "_" in o["scale"])}
    codes -= _catalogue_words(lang) | data  # "parents" is also a word of English
    assert [c for c in codes if re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", visible)] == []


# ------------------------------------------------------------------ reproduction kit
def test_the_reproduction_kit_stays_with_the_processed_data(demo_run):
    """pairs.csv (the complete pairs, pseudonymised) and reproduce.R with the study's
    settings, beside the processed data; nothing of it in the publication."""
    for sid in ("parents", "fosterfamilies"):
        kit = demo_run / "data/processed" / sid / "reproduce"
        pairs = pd.read_csv(kit / "pairs.csv", dtype=str)
        assert {"outcome", "from_wave", "to_wave", "pid", "pre", "post"} <= set(pairs.columns)
        assert len(pairs) == len(pd.read_parquet(demo_run / "data/processed" / sid / "pairs.parquet"))
        script = (kit / "reproduce.R").read_text(encoding="utf-8")
        assert f"# study {sid}" in script and "MIN_N <- 5" in script and 'CORRECTION <- "holm"' in script
        published = [p.name for p in (demo_run / "reports" / sid).rglob("*")]
        assert "pairs.csv" not in published and "reproduce.R" not in published


@pytest.mark.parametrize("study_id", ["parents", "fosterfamilies"])
def test_r_reproduces_every_published_number(small_study, study_id):
    """The kit run with R recomputes the published results and group comparison (with
    hidden cells) to 1e-6; skipped where R is not installed (CI installs no R)."""
    import subprocess

    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.skip("R is not installed")
    probe = subprocess.run([rscript, "-e", "library(clubSandwich)"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("R lacks clubSandwich")
    kit = small_study / "data/processed" / study_id / "reproduce" / "reproduce.R"
    proc = subprocess.run([rscript, str(kit), str(small_study / "reports" / study_id / "tables")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "every published number reproduced" in proc.stdout
    assert re.search(r"results: \d+ rows, [1-9]\d* published numbers recomputed", proc.stdout)


def test_means_plot_draws_groupings_of_a_few_groups_only(small_study):
    """A line per group up to figures.MEANS_MAX_GROUPS groups; a grouping of more (98
    municipalities) is left to the table and the forest plot, and a results table
    with nothing to draw still gives a figure."""
    from evaluation import figures

    study = Study.from_config(load_config(small_study / "config.yaml"), "fosterfamilies")
    published = pd.read_csv(small_study / "reports/fosterfamilies/tables/results.csv")
    outcome = published["outcome"].iloc[0]
    rows = published[(published["outcome"] == outcome) & (published["grouping"] == "all")]
    many = pd.concat([rows.assign(grouping="municipality", group=f"Kommune {k:02d}")
                      for k in range(figures.MEANS_MAX_GROUPS + 1)], ignore_index=True)
    few = many[many["group"] < f"Kommune {figures.MEANS_MAX_GROUPS:02d}"].assign(grouping="variant")
    table = pd.concat([rows, many, few], ignore_index=True)
    fig = figures.means_plot(study, outcome, table)
    titles = [ax.get_title() for ax in fig.axes]
    assert len(fig.axes) == 2 and grouping_label(study, "variant") in titles
    legend = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert len(legend) == figures.MEANS_MAX_GROUPS
    assert figures.means_plot(study, outcome, table.iloc[0:0]).axes is not None


def test_the_scoring_counts_say_what_the_scores_table_says():
    """The report's numbers of prorated and unscorable scores come from the score
    stage's counts (scoring_counts.csv): the same sentences as counted from the scores
    table row by row."""
    import numpy as np

    from evaluation.config import Study, load_config
    from evaluation.measures import scoring_counts
    from evaluation.report import _scoring

    study = Study.from_config(load_config(REPO / "config" / "config.yaml"), "fosterfamilies")
    rng = np.random.default_rng(3)
    rows = []
    for iid, instrument in study.instruments.items():
        for scale, idx in instrument.scale_items().items():
            for _ in range(60):
                answered = int(rng.integers(0, len(idx) + 1))
                rows.append({"instrument": iid, "scale": scale, "n_answered": answered,
                             "score": float(answered) if answered >= len(idx) - 1 else np.nan})
    scores = pd.DataFrame(rows).astype({"instrument": "category", "scale": "category"})
    counts = scoring_counts(scores)
    assert counts["n"].sum() == len(scores)
    for iid, instrument in study.instruments.items():
        for scale, idx in instrument.scale_items().items():
            mine = scores[(scores["instrument"] == iid) & (scores["scale"] == scale)]
            got = counts[(counts["instrument"] == iid) & (counts["scale"] == scale)]
            prorated = ((mine["n_answered"] < len(idx)) & mine["score"].notna()).sum()
            assert got.loc[got["valid"] & (got["n_answered"] < len(idx)), "n"].sum() == prorated
    assert _scoring(study, counts, 5) == _scoring(study, scoring_counts(scores.sample(frac=1, random_state=1)), 5)


_TEXTS = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="".join(
    map(chr, [*range(0, 9), 11, 12, *range(14, 32)]))), max_size=12)
_OBJECTS = st.one_of(st.none(), st.just(pd.NA), _TEXTS, st.sampled_from(["=SUM(A1)", "#N/A", "", " x", "æ\r\n"]),
                     st.integers(-10**15, 10**15), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                     st.floats(width=32).map(np.float32), st.integers(-100, 100).map(np.int64))


@settings(max_examples=150, deadline=None)
@given(rows=st.integers(0, 6), data=st.data())
def test_workbook_rows_are_the_xml_openpyxl_writes(rows, data):
    """The sheet rows written as text (``xlsx._sheet_data``) are byte for byte what
    openpyxl's write-only mode writes for the same values (text always as text)."""
    import io
    import zipfile

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from evaluation.report.xlsx import _sheet_data

    kinds = data.draw(st.lists(st.sampled_from(["float", "int", "bool", "object"]), min_size=1, max_size=4))
    frame = pd.DataFrame({f"c{k}": pd.Series(
        data.draw(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=rows, max_size=rows)) if kind == "float"
        else data.draw(st.lists(st.integers(-10**12, 10**12), min_size=rows, max_size=rows)) if kind == "int"
        else data.draw(st.lists(st.booleans(), min_size=rows, max_size=rows)) if kind == "bool"
        else data.draw(st.lists(_OBJECTS, min_size=rows, max_size=rows)),
        dtype={"float": float, "int": "int64", "bool": bool, "object": object}[kind]) for k, kind in enumerate(kinds)})
    headings = data.draw(st.lists(_TEXTS.filter(bool), min_size=len(kinds), max_size=len(kinds)))

    book = Workbook(write_only=True)
    sheet = book.create_sheet("x")

    def cell(value):
        if value is None or value is pd.NA or (isinstance(value, (float, np.floating)) and value != value):
            return None
        value = value.item() if hasattr(value, "item") else value
        if isinstance(value, str):  # text as text, never a formula or an error code
            out = WriteOnlyCell(sheet, value=value)
            out.data_type = "s"
            return out
        return value

    sheet.append([cell(h) for h in headings])
    for row in frame.itertuples(index=False):
        sheet.append([cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    xml = zipfile.ZipFile(buffer).read("xl/worksheets/sheet1.xml")
    expected = xml[xml.index(b"<sheetData>") + len(b"<sheetData>"): xml.index(b"</sheetData>")]
    assert _sheet_data(headings, frame) == expected


def test_workbook_refuses_a_control_character():
    from evaluation.report.xlsx import _sheet_data

    with pytest.raises(ValueError, match="control character"):
        _sheet_data(["a"], pd.DataFrame({"a": ["ok", "bell\x07"]}))


def test_word_package_written_once_as_python_docx_saves_it(tmp_path):
    """The Word report's pictures get the shape ids ``Run.add_picture`` gives (found
    once, then counted), and its files are those ``Document.save`` writes, in the same
    order and bytes (python-docx's package writer handed a list): a python-docx
    upgrade that changes either fails here."""
    import io
    import zipfile

    import matplotlib
    from docx import Document as Word
    from docx.shared import Cm

    from evaluation.report.docx import _add_pictures, _entries

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    pngs = []
    for k in range(3):
        fig = Figure(figsize=(2 + k, 2))
        fig.add_subplot().plot([0, k + 1])
        pngs.append(tmp_path / f"f{k}.png")
        fig.savefig(pngs[-1])

    def document(add):
        word = Word()
        word.add_paragraph("text")
        word.add_table(rows=2, cols=2)
        pictures = [(word.add_paragraph(), png) for png in pngs + pngs[:1]]  # one image twice
        add(word, pictures)
        return word

    ours = document(lambda word, pictures: _add_pictures(word, pictures, Cm(12)))
    theirs = document(lambda word, pictures: [p.add_run().add_picture(str(png), width=Cm(12))
                                              for p, png in pictures])
    saved = io.BytesIO()
    theirs.save(saved)
    with zipfile.ZipFile(saved) as z:
        expected = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    assert _entries(ours) == expected
    ids = re.findall(rb'<wp:docPr id="(\d+)"', dict(expected)["word/document.xml"])
    assert len(ids) == len(pngs) + 1 and len(set(ids)) == len(ids)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(-5, 5), st.one_of(st.floats(allow_nan=True), st.none()),
                          st.one_of(st.text(max_size=3), st.none()), st.booleans()), max_size=8))
def test_report_rows_are_what_to_dict_gives(rows):
    """analyses.rows.records takes plain tables a column at a time: the same rows,
    value for value and type for type, as to_dict("records"), for the dtypes of a
    published table read back (and other frames through to_dict itself)."""
    import math

    from evaluation.analyses.rows import records

    frame = pd.DataFrame(rows, columns=["n", "x", "text", "flag"])
    frame["text"] = frame["text"].astype("str")
    frames = [frame, frame.astype({"n": "Int64"}), frame.assign(o=pd.Series([np.int64(1)] * len(frame), dtype=object))]
    for f in frames:
        got = [r for _, r in records(f)]
        want = f.to_dict("records")
        assert [list(r) for r in got] == [list(r) for r in want]
        for a, b in zip(got, want):
            for k in a:
                assert type(a[k]) is type(b[k]) and (a[k] == b[k] or (isinstance(a[k], float) and math.isnan(a[k])
                                                                      and math.isnan(b[k]))), (k, a[k], b[k])
