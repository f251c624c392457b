"""Figures of a study, drawn with matplotlib's object API (no pyplot: thread-safe).

Every figure reads numbers computed elsewhere (the results table, the pairs, the
flow counts); nothing is recomputed here. Suppressed cells are never drawn, and
a paired-data panel is only drawn for a cell that is published. Colours are the
Okabe-Ito palette (colour-blind safe); axes say which direction is better.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from .config import Study
from .i18n import t
from .instruments import band_sort_key

__all__ = ["paired_plot", "forest_plot", "flow_plot", "save_figure"]

OKABE_ITO = {"blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
             "grey": "#999999", "sky": "#56B4E9", "purple": "#CC79A7", "black": "#000000"}


def save_figure(fig: Figure, stem: Path) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg`` (deterministic SVG ids, no date)."""
    FigureCanvasAgg(fig)
    stem.parent.mkdir(parents=True, exist_ok=True)
    png = stem.with_suffix(".png")
    svg = stem.with_suffix(".svg")
    fig.savefig(png, dpi=110, metadata={"Software": None})
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # text stays text: searchable, editable
        fig.savefig(svg, metadata={"Date": None, "Creator": None})
    return [png, svg]


def paired_plot(study: Study, outcome: str, pairs: pd.DataFrame, overall: pd.Series) -> Figure:
    """Each person's line from pre to post over box plots of both waves (overall row)."""
    lang = study.language
    sub = pairs[(pairs["outcome"] == outcome)].dropna(subset=["pre", "post"])
    fig = Figure(figsize=(5.2, 4.2))
    fig.subplots_adjust(left=0.2, right=0.97, top=0.9, bottom=0.1)
    ax = fig.add_subplot()
    if overall["suppressed"] or sub.empty:
        ax.text(0.5, 0.5, t("suppressed_figure", lang), ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    x = np.array([0.0, 1.0])
    segments = np.stack([np.column_stack([np.zeros(len(sub)), sub["pre"]]),
                         np.column_stack([np.ones(len(sub)), sub["post"]])], axis=1)
    ax.add_collection(LineCollection(segments, colors=OKABE_ITO["grey"], alpha=0.25, linewidths=0.8))
    ax.boxplot([sub["pre"], sub["post"]], positions=x, widths=0.25, showfliers=False,
               medianprops={"color": OKABE_ITO["vermillion"]})
    ax.plot(x, [overall["pre_mean"], overall["post_mean"]], color=OKABE_ITO["blue"], marker="o",
            linewidth=2.5, label=t("mean", lang))
    ax.set_xticks(x, [t("pre", lang), t("post", lang)])
    better = study.outcomes[outcome]["better"]
    ax.set_ylabel(f"{study.outcome_label(outcome)}\n({t('better_' + better, lang)})")
    ax.set_title(f"n = {int(overall['n'])}")
    ax.legend(loc="best", frameon=False)
    return fig


def forest_plot(study: Study, outcome: str, results: pd.DataFrame) -> Figure:
    """d_z with its CI for the overall row and every published group of the outcome."""
    lang = study.language
    rows = results[(results["outcome"] == outcome) & ~results["suppressed"] & results["d_z"].notna()]
    labels = [t("overall", lang) if g == "all" else g.replace("+", " · ") for g in rows["group"]]
    labels = [f"{lab} (n={int(n)})" for lab, n in zip(labels, rows["n"])]
    height = 0.32 * max(len(rows), 2) + 1.2
    width = 6.4
    # fixed margins sized to the longest label: no layout engine (a second text pass)
    left = min(0.6, (0.075 * max((len(x) for x in labels), default=10) + 0.2) / width)
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=left, right=0.97, top=1 - 0.45 / height, bottom=0.75 / height)
    ax = fig.add_subplot()
    if rows.empty:
        ax.text(0.5, 0.5, t("suppressed_figure", lang), ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    y = np.arange(len(rows))[::-1]
    colours = [OKABE_ITO["black"] if g == "all" else OKABE_ITO["blue"] for g in rows["grouping"]]
    ax.errorbar(rows["d_z"], y, xerr=[rows["d_z"] - rows["d_z_ci_low"], rows["d_z_ci_high"] - rows["d_z"]],
                fmt="none", ecolor=OKABE_ITO["grey"], capsize=3)
    ax.scatter(rows["d_z"], y, c=colours, zorder=3, s=np.clip(rows["n"].astype(float), 10, 120))
    ax.axvline(0, color=OKABE_ITO["grey"], linestyle="--", linewidth=1)
    ax.set_yticks(y, labels)
    better = study.outcomes[outcome]["better"]
    direction = t("improvement_right" if better == "higher" else "improvement_left", lang)
    ax.set_xlabel(f"Cohen's d_z [{int(round(study.analysis['ci_level'] * 100))} % CI] — {direction}")
    ax.set_title(study.outcome_label(outcome))
    return fig


def flow_plot(study: Study, flow_counts: pd.DataFrame, results: pd.DataFrame) -> Figure:
    """Participant flow: enrolled -> baseline -> follow-up -> both waves -> analysed per outcome.

    The last box is the overall ``n`` of each outcome in the results table (a valid
    score at both waves), so the figure and the tables always agree.
    """
    lang = study.language
    overall = flow_counts[flow_counts["group"] == "all"].iloc[0]
    steps = [("enrolled", overall["enrolled"]), ("baseline", overall["baseline"]),
             ("followup", overall["followup"]), ("both_waves", overall["both_waves"])]
    totals = results[results["grouping"] == "all"].set_index("outcome")
    analysed = [f"{study.outcome_label(o)}: " + (f"n = {int(totals.at[o, 'n'])}"
                if not _is_true(totals.at[o, "suppressed"]) else f"< {study.analysis['min_n']}")
                for o in study.outcomes if o in totals.index]
    fig = Figure(figsize=(7.2, 4.6))
    fig.subplots_adjust(left=0.01, right=0.99, top=0.99, bottom=0.01)
    ax = fig.add_subplot()
    ax.set_axis_off()
    box = {"boxstyle": "round", "facecolor": "#e8f1f8", "edgecolor": OKABE_ITO["blue"]}
    for i, (key, count) in enumerate(steps):
        yy = 1.1 - i * 0.24
        ax.text(0.28, yy, f"{t('flow_' + key, lang)}\nn = {int(count)}", ha="center", va="center", bbox=box)
        ax.annotate("", xy=(0.28, yy - 0.16), xytext=(0.28, yy - 0.07),
                    arrowprops={"arrowstyle": "->", "color": OKABE_ITO["black"]})
    ax.text(0.28, 1.1 - 4 * 0.24 - 0.05, t("flow_analysed", lang) + "\n" + "\n".join(analysed),
            ha="center", va="center", fontsize=8.5, bbox={**box, "facecolor": "#dff0e6",
                                                          "edgecolor": OKABE_ITO["green"]})
    side = [("flow_lost", overall["baseline_only"]), ("flow_followup_only", overall["followup_only"]),
            ("flow_excluded", overall["excluded_rows"])]
    for i, (key, count) in enumerate(side):
        ax.text(0.6, 0.98 - i * 0.24, f"{t(key, lang)}: {int(count)}", ha="left", va="center",
                fontsize=9, bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": OKABE_ITO["grey"]})
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.1, 1.22)
    return fig


def _is_true(value) -> bool:
    return str(value).lower() == "true"


def change_histogram(study: Study, outcome: str, pairs: pd.DataFrame, overall: pd.Series) -> Figure:
    """Distribution of the individual changes (post − pre) of the overall complete pairs."""
    lang = study.language
    sub = pairs[pairs["outcome"] == outcome].dropna(subset=["pre", "post"])
    fig = Figure(figsize=(5.2, 3.4))
    fig.subplots_adjust(left=0.12, right=0.97, top=0.88, bottom=0.17)
    ax = fig.add_subplot()
    if _is_true(overall["suppressed"]) or sub.empty:
        ax.text(0.5, 0.5, t("suppressed_figure", lang), ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    change = (sub["post"] - sub["pre"]).to_numpy()
    ax.hist(change, bins=min(30, max(8, len(np.unique(change)))), color=OKABE_ITO["sky"],
            edgecolor="white")
    ax.axvline(0, color=OKABE_ITO["grey"], linestyle="--", linewidth=1)
    ax.axvline(overall["diff_mean"], color=OKABE_ITO["blue"], linewidth=2, label=t("mean", lang))
    better = study.outcomes[outcome]["better"]
    direction = t("improvement_right" if better == "higher" else "improvement_left", lang)
    ax.set_xlabel(f"{t('change', lang)} — {direction}")
    ax.set_ylabel(t("people", lang))
    ax.set_title(f"{study.outcome_label(outcome)} (n = {int(overall['n'])})", fontsize=10)
    ax.legend(frameon=False)
    return fig


def band_plot(study: Study, outcome: str, bands: pd.DataFrame) -> Figure | None:
    """Share in each band before and after (published counts only), or None without bands."""
    lang = study.language
    rows = bands[bands["outcome"] == outcome]
    if rows.empty:
        return None
    names = sorted(dict.fromkeys(rows["band"]), key=band_sort_key)
    colours = ["#009E73", "#F0E442", "#E69F00", "#D55E00"]
    fig = Figure(figsize=(6.4, 2.4))
    fig.subplots_adjust(left=0.12, right=0.97, top=0.72, bottom=0.2)
    ax = fig.add_subplot()
    for y, wave in enumerate(("post", "pre")):
        left = 0.0
        for i, band in enumerate(names):
            r = rows[(rows["wave"] == wave) & (rows["band"] == band)]
            if r.empty or _is_true(r["suppressed"].iloc[0]):
                continue  # suppressed counts are not drawn: the bar shows only published shares
            share = 100 * float(r["share"].iloc[0])
            ax.barh(y, share, left=left, color=colours[i % len(colours)],
                    label=t(f"band_{band}", lang) if y == 0 else None)
            left += share
    ax.set_yticks([0, 1], [t("post", lang), t("pre", lang)])
    ax.set_xlim(0, 100)
    ax.set_xlabel("%")
    ax.legend(ncol=len(names), loc="lower center", bbox_to_anchor=(0.5, 1.02), frameon=False, fontsize=8)
    return fig
