"""Figures of a study, drawn with matplotlib's object API (no pyplot: thread-safe).

Every figure draws published numbers only (the protected results, flow and band
tables): no person is ever drawn, no figure file holds an individual value, and
a hidden cell is not drawn at all (CONTRACT section 7). Colours are the
Okabe-Ito palette (colour-blind safe); axes say which direction is better.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .config import Study
from .i18n import grouping_label, t
from .instruments import band_sort_key

__all__ = ["means_plot", "forest_plot", "flow_plot", "band_plot", "save_figure"]

# Group names and labels are data: "$" in one is a dollar sign, never mathtext.
matplotlib.rcParams["text.parse_math"] = False

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


def _published(results: pd.DataFrame) -> pd.Series:
    return ~results["suppressed"].map(_is_true) & results["n"].notna()


def means_plot(study: Study, outcome: str, results: pd.DataFrame) -> Figure:
    """Mean score at each wave with its CI, overall and for every published group of
    each one-group grouping (complete pairs; every value from the results table).

    No person is drawn: each point is a published mean of at least ``min_n`` people.
    """
    from scipy import special  # the t quantile without importing scipy.stats

    lang = study.language
    rows = results[(results["outcome"] == outcome) & _published(results)]
    rows = rows[(rows["grouping"] == "all") | ~rows["grouping"].str.contains("+", regex=False)]
    panels = list(dict.fromkeys(rows["grouping"]))
    fig = Figure(figsize=(3.0 * max(len(panels), 1) + 0.6, 3.8))
    fig.subplots_adjust(left=0.14 / max(len(panels), 1) + 0.04, right=0.98, top=0.86, bottom=0.14, wspace=0.35)
    if rows.empty:
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, t("suppressed_figure", lang), ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    level = study.analysis["ci_level"]
    axes = fig.subplots(1, len(panels), sharey=True, squeeze=False)[0]
    colours = list(OKABE_ITO.values())
    for ax, grouping in zip(axes, panels):
        sub = rows[rows["grouping"] == grouping]
        for i, (_, r) in enumerate(sub.iterrows()):
            n = float(r["n"])
            q = special.stdtrit(n - 1, 0.5 + level / 2) if n > 1 else np.nan
            means = np.array([r["pre_mean"], r["post_mean"]], dtype=float)
            half = q * np.array([r["pre_sd"], r["post_sd"]], dtype=float) / np.sqrt(n)
            x = np.array([0.0, 1.0]) + (i - (len(sub) - 1) / 2) * 0.06
            label = t("overall", lang) if r["group"] == "all" else str(r["group"])
            colour = OKABE_ITO["black"] if grouping == "all" else colours[i % len(colours)]
            ax.errorbar(x, means, yerr=half, color=colour, marker="o", capsize=3, label=f"{label} (n={int(n)})")
        ax.set_xticks([0, 1], [t("pre", lang), t("post", lang)])
        ax.set_xlim(-0.4, 1.4)
        title = t("overall", lang) if grouping == "all" else grouping_label(study, grouping)
        ax.set_title(title, fontsize=9)
        ax.legend(frameon=False, fontsize=7, loc="best")
    better = study.outcomes[outcome]["better"]
    axes[0].set_ylabel(f"{study.outcome_label(outcome)}\n({t('better_' + better, lang)})", fontsize=9)
    fig.suptitle(f"{study.outcome_label(outcome)}: {t('mean', lang)} [{int(round(level * 100))} % CI]",
                 fontsize=10)
    return fig


def forest_plot(study: Study, outcome: str, results: pd.DataFrame) -> Figure:
    """d_z with its CI for the overall row and every published group of the outcome."""
    lang = study.language
    rows = results[(results["outcome"] == outcome) & _published(results) & results["d_z"].notna()]
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

    Every number is a published count (a hidden one reads "–"); the last box is
    the overall ``n`` of each outcome in the results table, so the figure and the
    tables always agree.
    """
    lang = study.language
    overall = flow_counts[flow_counts["group"] == "all"].iloc[0]

    def shown(value) -> str:
        return "–" if pd.isna(value) else str(int(value))

    def difference(a, b) -> str:
        return "–" if pd.isna(a) or pd.isna(b) else str(int(a) - int(b))

    steps = [("enrolled", overall["enrolled"]), ("baseline", overall["answered_pre"]),
             ("followup", overall["answered_post"]), ("both_waves", overall["complete_pre_post"])]
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
        ax.text(0.28, yy, f"{t('flow_' + key, lang)}\nn = {shown(count)}", ha="center", va="center", bbox=box)
        ax.annotate("", xy=(0.28, yy - 0.16), xytext=(0.28, yy - 0.07),
                    arrowprops={"arrowstyle": "->", "color": OKABE_ITO["black"]})
    ax.text(0.28, 1.1 - 4 * 0.24 - 0.05, t("flow_analysed", lang) + "\n" + "\n".join(analysed),
            ha="center", va="center", fontsize=8.5, bbox={**box, "facecolor": "#dff0e6",
                                                          "edgecolor": OKABE_ITO["green"]})
    side = [("flow_lost", difference(overall["answered_pre"], overall["complete_pre_post"])),
            ("flow_followup_only", difference(overall["answered_post"], overall["complete_pre_post"])),
            ("flow_excluded", shown(overall["excluded_rows"]))]
    for i, (key, count) in enumerate(side):
        ax.text(0.6, 0.98 - i * 0.24, f"{t(key, lang)}: {count}", ha="left", va="center",
                fontsize=9, bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": OKABE_ITO["grey"]})
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.1, 1.22)
    return fig


def _is_true(value) -> bool:
    return str(value).lower() == "true"


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
            if r.empty or _is_true(r["suppressed"].iloc[0]) or pd.isna(r["share"].iloc[0]):
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
