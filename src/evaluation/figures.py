"""Figures of a study, drawn with matplotlib's object API (no pyplot: thread-safe).

Every figure draws published numbers only (the protected results, flow and band
tables): no person is ever drawn, no figure file holds an individual value, and
a hidden cell is not drawn at all (CONTRACT section 7). Colours are the
Okabe-Ito palette (colour-blind safe); axes say which direction is better.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy import special  # the t quantile without importing scipy.stats; before drawing() forks

from .config import Study
from .jobs import frozen_for_fork
from .i18n import contrast_label, format_number, group_text, grouping_label, t, wave_label
from .instruments import band_sort_key

__all__ = ["means_plot", "forest_plot", "comparison_plot", "flow_plot", "band_plot", "save_figure", "drawing"]

# Group names and labels are data: "$" in one is a dollar sign, never mathtext.
matplotlib.rcParams["text.parse_math"] = False
# Titles sit just above their axes: no axis has ticks or labels on top that a title
# would have to clear, and looking for them (every tick label's extent on every
# shared axis) was a quarter of the drawing time.
matplotlib.rcParams["axes.titley"] = 1.0

OKABE_ITO = {"blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
             "grey": "#999999", "sky": "#56B4E9", "purple": "#CC79A7", "black": "#000000"}


def save_figure(fig: Figure, stem: Path, svg: bool = False) -> list[Path]:
    """Write ``stem.png`` (and ``stem.svg``): no date, fixed SVG ids, so the same
    figure gives the same bytes."""
    FigureCanvasAgg(fig)
    stem.parent.mkdir(parents=True, exist_ok=True)
    png = stem.with_suffix(".png")
    fig.savefig(png, dpi=110, metadata={"Software": None})
    written = [png]
    if svg:
        path = stem.with_suffix(".svg")
        # text stays text (searchable, editable); ids from a fixed salt
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "evaluation"}):
            fig.savefig(path, metadata={"Date": None, "Creator": None})
        written.append(path)
    return written


_TASKS: list = []  # what the forked workers of drawing() draw: (stem, drawing, folder, lang), inherited


class _DecimalComma(ticker.ScalarFormatter):
    """Matplotlib's number ticks with a decimal comma and a true minus (Danish)."""

    def __call__(self, x, pos=None):
        return super().__call__(x, pos).replace(".", ",").replace("-", "\u2212")


def decimal_mark(fig: Figure, lang: str) -> Figure:
    """Every numeric axis of ``fig`` with the language's decimal mark (a comma in
    Danish); axes whose ticks are labels are left as they are."""
    if lang == "da":
        for ax in fig.axes:
            for axis in (ax.xaxis, ax.yaxis):
                if type(axis.get_major_formatter()) is ticker.ScalarFormatter:
                    axis.set_major_formatter(_DecimalComma())
    return fig


def _save_one(index: int, svg: bool) -> list[str]:
    stem, draw, directory, lang = _TASKS[index]
    figure = decimal_mark(draw() if callable(draw) else draw, lang)
    return [str(p) for p in save_figure(figure, Path(directory) / stem, svg)]


@contextmanager
def drawing(batches: Sequence[tuple[dict, Path, str]], svg: bool = False, workers: int = 1):
    """Draw and save every figure of ``batches`` (``(drawings, folder, lang)``, where
    ``drawings`` maps a file stem to a Figure or a function that draws it) while the
    caller goes on; gives a function that waits for them and returns the files.

        with figures.drawing([(drawings, folder, "da")], workers=2) as done:
            ...                 # e.g. the report's text and workbook
            files = done()

    With ``workers > 1`` on a system that forks, that many processes forked from this
    one draw (drawing is pure Python, bound by one core each), unless this process
    runs threads (Snakemake's own, when a stage runs inside it: a fork would copy a
    lock another thread holds); then, and with one worker, everything is drawn here
    before the block starts. Every figure is drawn the same way either way, so the
    files are the same bytes. Number ticks get the decimal mark of each batch's
    language. The workers stand back (``os.nice(5)``) when another job needs a core:
    a report's figures can wait a moment for another study's disclosure audit.
    Leaving the block stops workers that are still drawing.
    """
    import multiprocessing
    import threading

    global _TASKS
    tasks = [(stem, d, str(folder), lang) for drawings, folder, lang in batches for stem, d in drawings.items()]
    for folder in {str(folder) for _, folder, _ in batches}:
        Path(folder).mkdir(parents=True, exist_ok=True)
    pool = None
    try:
        _TASKS = tasks
        if workers > 1 and len(tasks) > 2 and "fork" in multiprocessing.get_all_start_methods() \
                and threading.active_count() == 1:
            with frozen_for_fork():  # the workers start now, with _TASKS
                pool = multiprocessing.get_context("fork").Pool(workers, initializer=os.nice, initargs=(5,))
            pending = pool.starmap_async(_save_one, [(i, svg) for i in range(len(tasks))], chunksize=1)

            def done() -> list[Path]:
                return [Path(p) for part in pending.get() for p in part]
        else:
            written = [Path(p) for i in range(len(tasks)) for p in _save_one(i, svg)]

            def done() -> list[Path]:
                return written
        _TASKS = []
        yield done
    finally:
        _TASKS = []
        if pool is not None:
            pool.terminate()
            pool.join()


def _nothing_published(fig: Figure, lang: str) -> Figure:
    """The figure when every value it would draw is hidden: a sentence saying so."""
    ax = fig.add_subplot()
    ax.text(0.5, 0.5, t("suppressed_figure", lang), ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    return fig


def _published(results: pd.DataFrame) -> pd.Series:
    return ~results["suppressed"].map(_is_true) & results["n"].notna()


MEANS_MAX_GROUPS = 8  # groups of one grouping drawn as lines of their own in the means plot


def means_plot(study: Study, outcome: str, results: pd.DataFrame) -> Figure:
    """Mean score at each wave with its CI, overall and for every published group of
    each one-group grouping of at most :data:`MEANS_MAX_GROUPS` groups (the complete
    pairs of each contrast, drawn from its earlier to its later wave; every value from
    the results table). A grouping of more groups is in the table and the forest plot.

    No person is drawn: each point is a published mean of at least ``min_n`` people.
    """
    lang = study.language
    waves = study.waves
    rows = results[(results["outcome"] == outcome) & _published(results)]
    rows = rows[(rows["grouping"] == "all") | ~rows["grouping"].str.contains("+", regex=False)]
    # a line per group is read up to a few groups; a grouping of more (98 municipalities)
    # is in the table and the forest plot only
    size = rows.groupby("grouping", sort=False)["group"].transform("nunique").to_numpy()
    rows = rows[(rows["grouping"] == "all").to_numpy(bool) | (size <= MEANS_MAX_GROUPS)]
    panels = list(dict.fromkeys(rows["grouping"]))
    width = 3.0 + 0.6 * max(len(waves) - 2, 0)
    fig = Figure(figsize=(width * max(len(panels), 1) + 0.6, 3.8))
    fig.subplots_adjust(left=0.14 / max(len(panels), 1) + 0.04, right=0.98, top=0.86, bottom=0.14, wspace=0.35)
    if rows.empty:
        return _nothing_published(fig, lang)
    level = study.analysis["ci_level"]
    axes = fig.subplots(1, len(panels), sharey=True, squeeze=False)[0]
    colours = list(OKABE_ITO.values())
    styles = ["-", "--", ":", "-."]
    position = {w: i for i, w in enumerate(waves)}
    contrasts = [c for c in study.contrasts]
    for ax, grouping in zip(axes, panels):
        sub = rows[rows["grouping"] == grouping]
        cells = {(r["group"], r["from_wave"], r["to_wave"]): r for r in sub.to_dict("records")}
        groups = list(dict.fromkeys(sub["group"]))
        bars: list[tuple[float, float, float, str]] = []  # x, low, high, colour: one collection per panel
        for i, group in enumerate(groups):
            colour = OKABE_ITO["black"] if grouping == "all" else colours[i % len(colours)]
            shift = (i - (len(groups) - 1) / 2) * 0.06
            for k, (a, b) in enumerate(contrasts):
                r = cells.get((group, a, b))
                if r is None:
                    continue
                n = float(r["n"])
                q = special.stdtrit(n - 1, 0.5 + level / 2) if n > 1 else np.nan
                means = np.array([r["pre_mean"], r["post_mean"]], dtype=float)
                half = q * np.array([r["pre_sd"], r["post_sd"]], dtype=float) / np.sqrt(n)
                x = np.array([position[a], position[b]], dtype=float) + shift + k * 0.02
                name = group_text(study, grouping, group)
                label = f"{name} (n={int(n)})" if k == 0 else None
                ax.plot(x, means, color=colour, marker="o", label=label, linestyle=styles[k % len(styles)])
                bars += [(xi, m - h, m + h, colour) for xi, m, h in zip(x, means, half)]
        if bars:
            bx, low, high, colour = (list(v) for v in zip(*bars))
            ax.vlines(bx, low, high, colors=colour, linewidth=1.2)
            cap = 0.035
            ax.hlines(low + high, [v - cap for v in bx * 2], [v + cap for v in bx * 2], colors=colour * 2,
                      linewidth=1.2)
        ax.set_xticks(range(len(waves)), [wave_label(study, w) for w in waves])
        ax.set_xlim(-0.4, len(waves) - 0.6)
        title = t("overall", lang) if grouping == "all" else grouping_label(study, grouping)
        ax.set_title(title, fontsize=9)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(frameon=False, fontsize=7, loc="best")
    for ax in axes[1:]:  # the shared scale is read off the first panel
        ax.yaxis.set_visible(False)
    better = study.outcomes[outcome]["better"]
    axes[0].set_ylabel(f"{study.outcome_label(outcome)}\n({t('better_' + better, lang)})", fontsize=9)
    title = f"{study.outcome_label(outcome)}: {t('mean', lang)} [{t('ci_of', lang, ci=int(round(level * 100)))}]"
    if len(contrasts) > 1:  # which line is which contrast (n in the legend: the first one's)
        names = {"-": "—", "--": "– –", ":": "···", "-.": "–·"}
        title += "   " + ", ".join(f"{names[styles[k % len(styles)]]} {contrast_label(study, c)}"
                                   for k, c in enumerate(contrasts))
    fig.suptitle(title, fontsize=10)
    return fig


def forest_plot(study: Study, outcome: str, results: pd.DataFrame) -> Figure:
    """d_z with its CI for the overall row and every published group of a one-way
    grouping of the outcome (crossed groups are in the table only); one panel per
    contrast, side by side, groups on a shared axis (a group hidden in a contrast has
    no point there). Improvement points right for every outcome: a
    lower-is-better outcome's d_z is drawn with its sign turned, and the axis says so."""
    lang = study.language
    rows = results[(results["outcome"] == outcome) & _published(results) & results["d_z"].notna()]
    # one-way groupings only: the cells of two groups crossed (196 at 98 municipalities x 2
    # variants) are in the results table, not in a figure
    rows = rows[(rows["grouping"] == "all") | ~rows["grouping"].astype(str).str.contains("+", regex=False)]
    contrasts = [c for c in study.contrasts
                 if ((rows["from_wave"] == c[0]) & (rows["to_wave"] == c[1])).any()] or study.contrasts[:1]
    several = len(study.contrasts) > 1
    groups = list(dict.fromkeys(zip(rows["grouping"], rows["group"])))
    n_of = dict(zip(zip(rows["grouping"], rows["group"]), rows["n"]))
    # one block per grouping, under a heading that names it ("Kommune"), the overall row first
    lines: list[tuple[str, object]] = []
    for grouping in dict.fromkeys(gg for gg, _ in groups):
        if grouping != "all":
            lines.append(("heading", grouping))
        lines += [("row", key) for key in groups if key[0] == grouping]
    labels = [grouping_label(study, key) if kind == "heading" else
              group_text(study, *key) + ("" if several else f" (n={int(n_of[key])})")  # one contrast: n
              for kind, key in lines]
    height = 0.3 * max(len(lines), 2) + 1.3
    width = 3.2 + 2.6 * len(contrasts)
    left = min(0.45, (0.075 * max((len(x) for x in labels), default=10) + 0.25) / width)
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=left, right=0.98, top=1 - 0.6 / height, bottom=0.75 / height, wspace=0.08)
    if rows.empty:
        return _nothing_published(fig, lang)
    axes = fig.subplots(1, len(contrasts), sharey=True, sharex=True, squeeze=False)[0]
    position = {key: len(lines) - 1 - k for k, (kind, key) in enumerate(lines) if kind == "row"}
    headings = [len(lines) - 1 - k for k, (kind, _) in enumerate(lines) if kind == "heading"]
    better = study.outcomes[outcome]["better"]
    sign = study.toward_better(outcome)  # improvement to the right for every outcome
    for ax, (a, b) in zip(axes, contrasts):
        part = rows[(rows["from_wave"] == a) & (rows["to_wave"] == b)]
        y = np.array([position[key] for key in zip(part["grouping"], part["group"])], dtype=float)
        colours = [OKABE_ITO["black"] if g == "all" else OKABE_ITO["blue"] for g in part["grouping"]]
        d = sign * part["d_z"].astype(float)
        low, high = np.sort(np.vstack([sign * part["d_z_ci_low"].astype(float),
                                       sign * part["d_z_ci_high"].astype(float)]), axis=0)
        ax.errorbar(d, y, xerr=[d - low, high - d], fmt="none", ecolor=OKABE_ITO["grey"], capsize=3)
        ax.scatter(d, y, c=colours, zorder=3, s=np.clip(part["n"].astype(float), 10, 120))
        ax.axvline(0, color=OKABE_ITO["grey"], linestyle="--", linewidth=1)
        for y_heading in headings:  # a rule above each grouping's block
            ax.axhline(y_heading + 0.5, color="#cccccc", linewidth=0.8)
        if several:
            ax.set_title(contrast_label(study, (a, b)), fontsize=9)
    for ax in axes[1:]:  # the groups are named on the first panel
        ax.yaxis.set_visible(False)
    axes[0].set_yticks(range(len(lines) - 1, -1, -1), labels)
    for tick, (kind, _) in zip(axes[0].get_yticklabels(), lines):
        if kind == "heading":
            tick.set_fontweight("bold")
    axes[0].set_ylim(-0.7, len(lines) - 0.3)
    direction = t("improvement_right" if better == "higher" else "improvement_right_mirrored", lang)
    fig.supxlabel(f"{t('cohens_dz', lang)} [{t('ci_of', lang, ci=int(round(study.analysis['ci_level'] * 100)))}]"
                  f" — {direction}", fontsize=9)
    fig.suptitle(study.outcome_label(outcome), fontsize=10)
    return fig


def comparison_plot(study: Study, compared: str, table: pd.DataFrame) -> Figure:
    """Is one level better? The WWC g of the baseline-adjusted difference (level −
    reference) with its CI, per outcome and contrast, overall; one panel per level.
    Improvement points right for every outcome (lower-is-better outcomes mirrored).

    From the published group comparison only: g and its CI are the ANCOVA difference
    and CI times ω / the pooled SD of the later wave (all published columns).
    """
    lang = study.language
    rows = table[(table["compared"] == compared) & (table["grouping"] == "all") & _published(table)
                 & table["g_wwc_ancova"].notna()]
    levels = list(dict.fromkeys(rows["level"]))
    keys = list(dict.fromkeys(zip(rows["outcome"], rows["from_wave"], rows["to_wave"])))
    several = len(study.contrasts) > 1
    labels = [study.outcome_label(o) + (f" ({contrast_label(study, (a, b))})" if several else "")
              for o, a, b in keys]
    height = 0.32 * max(len(keys), 2) + 1.4
    label_width = 0.072 * max((len(x) for x in labels), default=10) + 0.3  # inches
    width = label_width + 2.8 * max(len(levels), 1) + 0.4
    left = label_width / width
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=left, right=0.97, top=1 - 0.6 / height, bottom=0.8 / height, wspace=0.08)
    if rows.empty:
        return _nothing_published(fig, lang)
    axes = fig.subplots(1, len(levels), sharey=True, sharex=True, squeeze=False)[0]
    position = {key: len(keys) - 1 - k for k, key in enumerate(keys)}
    for ax, level in zip(axes, levels):
        part = rows[rows["level"] == level]
        y = np.array([position[k] for k in zip(part["outcome"], part["from_wave"], part["to_wave"])], dtype=float)
        sign = np.array([study.toward_better(o) for o in part["outcome"]])
        scale = part["omega"].astype(float) / part["post_sd_pooled"].astype(float)
        g = sign * part["g_wwc_ancova"].astype(float)
        ends = np.sort(np.vstack([sign * scale * part["ancova_ci_low"].astype(float),
                                  sign * scale * part["ancova_ci_high"].astype(float)]), axis=0)
        ax.hlines(y, ends[0], ends[1], colors=OKABE_ITO["grey"], linewidth=1.5)
        ax.scatter(g, y, color=OKABE_ITO["blue"], zorder=3, s=40)
        ax.axvline(0, color=OKABE_ITO["grey"], linestyle="--", linewidth=1)
        reference = group_text(study, compared, part["reference"].iloc[0])
        ax.set_title(f"{group_text(study, compared, level)} – {reference}", fontsize=9)
    axes[0].set_yticks(range(len(keys) - 1, -1, -1), labels)
    axes[0].set_ylim(-0.7, len(keys) - 0.3)
    level = int(round(study.analysis["ci_level"] * 100))
    fig.supxlabel(t("figure_comparison_axis", lang, ci=level), fontsize=9)
    fig.suptitle(f"{t('group_comparison', lang)}: {grouping_label(study, compared)}", fontsize=10)
    return fig


def flow_plot(study: Study, flow_counts: pd.DataFrame, results: pd.DataFrame) -> Figure:
    """Participant flow: enrolled -> answered each wave -> answered both waves of each
    contrast -> analysed per outcome (the first contrast).

    Every number is a published count (a hidden one reads "–"); the last box is
    the overall ``n`` of each outcome in the results table, so the figure and the
    tables always agree.
    """
    lang = study.language
    overall = flow_counts[flow_counts["group"] == "all"].iloc[0]

    def shown(value) -> str:
        return "–" if pd.isna(value) else str(int(value))

    first = study.contrasts[0]
    steps = [t("flow_enrolled", lang) + f"\nn = {shown(overall['enrolled'])}"]
    steps += [t("flow_answered", lang, wave=wave_label(study, w)) + f"\nn = {shown(overall[f'answered_{w}'])}"
              for w in study.waves]
    steps += [t("flow_complete", lang, contrast=contrast_label(study, (a, b)))
              + f"\nn = {shown(overall[f'complete_{a}_{b}'])}" for a, b in study.contrasts]
    totals = results[(results["grouping"] == "all") & (results["from_wave"] == first[0])
                     & (results["to_wave"] == first[1])].set_index("outcome")
    analysed = [f"{study.outcome_label(o)}: " + (f"n = {int(totals.at[o, 'n'])}"
                if not _is_true(totals.at[o, "suppressed"]) else f"< {study.analysis['min_n']}")
                for o in study.outcomes if o in totals.index]
    n_boxes = len(steps) + 1
    step = 1.0 / n_boxes
    fig = Figure(figsize=(7.2, 0.75 * n_boxes + 1.0))
    fig.subplots_adjust(left=0.01, right=0.99, top=0.99, bottom=0.01)
    ax = fig.add_subplot()
    ax.set_axis_off()
    box = {"boxstyle": "round", "facecolor": "#e8f1f8", "edgecolor": OKABE_ITO["blue"]}
    for i, text in enumerate(steps):
        yy = 1 - (i + 0.5) * step
        ax.text(0.3, yy, text, ha="center", va="center", fontsize=8.5, bbox=box)
        ax.annotate("", xy=(0.3, yy - 0.62 * step), xytext=(0.3, yy - 0.38 * step),
                    arrowprops={"arrowstyle": "->", "color": OKABE_ITO["black"]})
    ax.text(0.3, 1 - (len(steps) + 0.5) * step,
            t("flow_analysed", lang) + f" ({contrast_label(study, first)})\n" + "\n".join(analysed),
            ha="center", va="center", fontsize=8, bbox={**box, "facecolor": "#dff0e6",
                                                        "edgecolor": OKABE_ITO["green"]})
    side = [(t("flow_not_included", lang), shown(overall["not_included"])),
            (t("flow_excluded", lang), shown(overall["excluded_rows"]))]
    for i, (label, count) in enumerate(side):
        ax.text(0.64, 1 - (i + 0.5) * step, f"{label}: {count}", ha="left", va="center",
                fontsize=8.5, bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": OKABE_ITO["grey"]})
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    return fig


def _is_true(value) -> bool:
    return str(value).lower() == "true"


def band_plot(study: Study, bars: list[tuple[str, pd.DataFrame]]) -> Figure | None:
    """Share in each band, one bar per (label, published band rows of one wave of one
    contrast), top to bottom; None without bands. Suppressed counts are not drawn."""
    lang = study.language
    if not bars:
        return None
    names = sorted(dict.fromkeys(b for _, rows in bars for b in rows["band"]), key=band_sort_key)
    colours = ["#009E73", "#F0E442", "#E69F00", "#D55E00"]
    fig = Figure(figsize=(6.8, 0.5 * len(bars) + 1.4))
    longest = max((len(label) for label, _ in bars), default=6)
    fig.subplots_adjust(left=min(0.5, 0.02 + 0.013 * longest), right=0.97, top=1 - 0.7 / (0.5 * len(bars) + 1.4),
                        bottom=0.45 / (0.5 * len(bars) + 1.4))
    ax = fig.add_subplot()
    drawn: set[str] = set()
    for y, (_, part) in zip(range(len(bars) - 1, -1, -1), bars):
        left = 0.0
        hidden = False
        for i, band in enumerate(names):
            r = part[part["band"] == band]
            if r.empty:
                continue
            if _is_true(r["suppressed"].iloc[0]) or pd.isna(r["share"].iloc[0]):
                hidden = True  # not drawn: the bar shows only published shares
                continue
            share = 100 * float(r["share"].iloc[0])
            ax.barh(y, share, left=left, color=colours[i % len(colours)],
                    label=t(f"band_{band}", lang) if band not in drawn else None)
            drawn.add(band)
            left += share
        if hidden:  # what is hidden is marked, never left out silently
            ax.barh(y, max(100.0 - left, 0.0), left=left, color="white", edgecolor=OKABE_ITO["grey"],
                    hatch="////", linewidth=0.6, label=t("band_hidden", lang) if "hidden" not in drawn else None)
            drawn.add("hidden")
    ax.set_yticks(range(len(bars) - 1, -1, -1), [label for label, _ in bars], fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("%")
    if ax.get_legend_handles_labels()[0]:
        # centred on the figure, not the axes: the labels on the left shift the axes right
        fig.legend(ncol=len(ax.get_legend_handles_labels()[0]), loc="upper center", bbox_to_anchor=(0.5, 0.995),
                   frameon=False, fontsize=8)
    return fig


def cost_plot(study: Study, costs: pd.DataFrame) -> Figure:
    """Costs per municipality, stacked by Socialstyrelsen's four categories, at the
    price year; from the published cost table (amounts of money, no one's answers)."""
    from .costs import CATEGORIES

    lang = study.language
    year = study.costs["price_year"]
    rows = costs[(costs["municipality"] != "all") & costs["category"].isin(CATEGORIES)]
    municipalities = list(dict.fromkeys(rows["municipality"]))
    height = 0.45 * max(len(municipalities), 2) + 1.5
    fig = Figure(figsize=(6.8, height))
    longest = max((len(str(m)) for m in municipalities), default=6)
    fig.subplots_adjust(left=min(0.45, 0.04 + 0.014 * longest), right=0.97, top=1 - 0.4 / height,
                        bottom=0.6 / height)
    ax = fig.add_subplot()
    colours = [OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["green"], OKABE_ITO["purple"]]
    y = np.arange(len(municipalities))[::-1]
    left = np.zeros(len(municipalities))
    for category, colour in zip(CATEGORIES, colours):
        part = rows[rows["category"] == category].set_index("municipality")["cost"].astype(float)
        values = np.array([part.get(m, 0.0) for m in municipalities]) / 1000
        ax.barh(y, values, left=left, color=colour, label=t(f"cost_{category}", lang))
        left += values
    ax.set_yticks(y, municipalities, fontsize=8)
    ax.set_xlabel(f"{t('costs_axis', lang, year=year)} × 1.000" if lang == "da"
                  else f"{t('costs_axis', lang, year=year)} × 1,000", fontsize=9)
    fig.legend(ncol=len(CATEGORIES), loc="upper center", bbox_to_anchor=(0.5, 0.995), frameon=False, fontsize=8)
    return fig


def fidelity_plot(study: Study, fidelity: pd.DataFrame) -> Figure:
    """Delivered per core element (rows) and municipality (columns): a heat map of the
    published means from 0 to 1, each cell with its mean and n; a hidden cell is grey
    and reads "–"."""
    from .analyses.fidelity import element_label

    lang = study.language
    elements = list(dict.fromkeys(fidelity["element"]))
    municipalities = list(dict.fromkeys(fidelity["municipality"]))
    values = np.full((len(elements), len(municipalities)), np.nan)
    labels = [["–"] * len(municipalities) for _ in elements]
    for r in fidelity.to_dict("records"):
        i, j = elements.index(r["element"]), municipalities.index(r["municipality"])
        if pd.notna(r["mean_delivered"]) and pd.notna(r["n_units"]):
            values[i, j] = float(r["mean_delivered"])
            labels[i][j] = f"{format_number(values[i, j], lang)}\nn={int(float(r['n_units']))}"
        elif pd.notna(r["n_units"]) and not float(r["n_units"]):
            labels[i][j] = ""
    names = [element_label(study, e, lang) for e in elements]
    height = 0.55 * len(elements) + 1.4
    fig = Figure(figsize=(1.3 * len(municipalities) + 0.085 * max(len(n) for n in names) + 1.2, height))
    width = fig.get_figwidth()
    fig.subplots_adjust(left=(0.085 * max(len(n) for n in names) + 0.3) / width, right=1 - 0.9 / width,
                        top=1 - 0.3 / height, bottom=0.75 / height)
    ax = fig.add_subplot()
    cmap = matplotlib.colormaps["YlGn"].copy()
    cmap.set_bad("#dddddd")
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    for i in range(len(elements)):
        for j in range(len(municipalities)):
            dark = np.isfinite(values[i, j]) and values[i, j] > 0.7
            ax.text(j, i, labels[i][j], ha="center", va="center", fontsize=7.5, color="white" if dark else "black")
    ax.set_xticks(range(len(municipalities)), [t("overall", lang) if m == "all" else m for m in municipalities],
                  fontsize=8, rotation=20, ha="right")
    ax.set_yticks(range(len(elements)), names, fontsize=8)
    fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02).ax.tick_params(labelsize=7)
    return fig
