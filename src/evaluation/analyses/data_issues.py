"""What was wrong in the exports, without the values (CONTRACT sections 7 and 8): every
invalid value set missing under ``on_invalid: quarantine``, answers given as a
missing-answer code, and people whose group value changed between waves."""
from __future__ import annotations

import pandas as pd

from ..disclosure import is_small
from ..i18n import grouping_label, issue_rule, t
from ..report.document import Paragraph, Section, Table

NAME = "data_issues"
PUBLISHED = "data_issues.csv"  # beside the report, not under tables/
STORED = False  # the full table (with values) is ingest's data_issues.csv; this one is made when published
READ_AS_TEXT = True  # a line or column name stays as written when the published table is read back
NEEDS = ("issues",)
KEYS = ["source", "line", "column", "rule"]
COLUMNS = {"source": "the export by its position in the config ('export 1'), never its path",
           "line": "the line as the user sees it in the file", "column": "the export column",
           "rule": "the rule the value broke (never the value)"}


def applies(study) -> bool:
    return True


def compute(data, study) -> pd.DataFrame:
    """Ingest's issues as published: the export by position, never the value."""
    from ..privacy import mask_cpr

    position = {mask_cpr(e["path"]): f"export {i}" for i, e in enumerate(study.spec["exports"], start=1)}
    for sheet, name in ((study.costs, "cost sheet"), (study.fidelity, "fidelity sheet")):
        if sheet:
            position[mask_cpr(sheet["path"])] = name
    out = data.issues[["source", "line", "column", "rule"]].copy()
    out["source"] = out["source"].map(lambda s: position.get(s, "export"))
    return out


def blocks(ctx) -> list[Section]:
    lang, study, min_n = ctx.lang, ctx.study, ctx.min_n
    issues = ctx.tables[NAME]

    def count(v: int) -> str:  # counts in no table: hidden when small (CONTRACT section 7)
        return f"< {min_n}" if is_small(v, min_n) else str(v)

    if len(issues):
        rows = issues[["source", "line", "column", "rule"]].fillna("").astype(str).values.tolist()
        out = [Paragraph(t("data_issues_text", lang, n=len(issues))),
               Table([t(f"col_{c}", lang) for c in ("source", "line", "column", "rule")],
                     [[*row[:3], issue_rule(row[3], lang)] for row in rows])]
    else:
        out = [Paragraph(t("no_data_issues", lang))]
    codes = study.spec.get("missing", [])
    for iid, n in (ctx.ingest.get("missing_codes") or {}).items():
        own = study.spec["instruments"][iid].get("missing", codes)
        out.append(Paragraph(t("missing_codes_note", lang, instrument=iid, n=count(n),
                               codes=", ".join(f"“{c}”" for c in own))))
    for gid, n in (ctx.ingest.get("group_changes") or {}).items():
        out.append(Paragraph(t("group_changes_note", lang, n=count(n), group=grouping_label(study, gid).lower())))
    return [Section("data-issues", t("data_issues", lang), out)]
