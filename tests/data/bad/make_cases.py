"""Writes the broken exports of tests/test_bad_exports.py: each a real way survey exports go wrong.

Run from this folder: python make_cases.py. The outputs are committed; the test
holds the expected message for each.
"""
from pathlib import Path

import pandas as pd
import pyreadstat

HERE = Path(__file__).parent
HEADER = ["id", "kommune", "runde", "k1", "k2", "w1", "w2", "w3", "w4", "w5"]
GOOD = [
    ["A1", "Aarhus", "før", "1", "2", "3", "3", "3", "3", "3"],
    ["A1", "Aarhus", "efter", "2", "3", "4", "4", "4", "4", "4"],
    ["B2", "Herning", "før", "Helt enig", "4", "2", "2", "2", "2", "2"],
    ["B2", "Herning", "efter", "5", "5", "3", "3", "3", "3", "3"],
]


def csv(name, rows=None, header=None, line_edit=None):
    header = header or HEADER
    lines = [";".join(header)] + [";".join(r) for r in (rows if rows is not None else GOOD)]
    if line_edit:
        line_edit(lines)
    (HERE / name).write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")


def edit(row, column, value):
    rows = [list(r) for r in GOOD]
    rows[row][HEADER.index(column)] = value
    return rows


csv("unknown_label.csv", edit(0, "k1", "Helt uenigt"))
csv("out_of_range.csv", edit(1, "k2", "7"))
csv("who5_decimal.csv", edit(2, "w3", "2,5"))
csv("text_in_item.csv", edit(3, "w1", "n/a"))
csv("negative_code.csv", edit(0, "w2", "-1"))
csv("empty_id.csv", edit(1, "id", ""))
csv("blank_id_spaces.csv", edit(2, "id", "   "))
csv("unknown_wave.csv", edit(3, "runde", "midt"))
csv("blank_wave.csv", edit(0, "runde", ""))
csv("missing_column.csv", [r[:1] + r[2:] for r in GOOD], [h for h in HEADER if h != "kommune"])
csv("header_typo.csv", header=["respondent"] + HEADER[1:])
csv("partial_instrument.csv", [r[:-1] for r in GOOD], HEADER[:-1])
csv("duplicate_header.csv", header=HEADER[:4] + ["k1"] + HEADER[5:])
csv("ragged_row.csv", line_edit=lambda lines: lines.__setitem__(2, lines[2].replace("Aarhus", "Aarhus;Midt", 1)))
csv("empty_export.csv", [])
csv("conflicting_duplicate.csv", GOOD + [["A1", "Aarhus", "før", "4", "2", "3", "3", "3", "3", "3"]])
csv("municipality_typo.csv", edit(2, "kommune", "Hering"))
csv("cpr_in_municipality.csv", edit(0, "kommune", "010203-1234"))
csv("cpr_in_item.csv", edit(3, "k1", "0102031234"))

frame = pd.DataFrame(edit(1, "k2", "Helt  enig!"), columns=HEADER)
frame.to_excel(HERE / "excel_label_typo.xlsx", index=False)

sav = pd.DataFrame(GOOD, columns=HEADER)
for c in HEADER[3:]:
    sav[c] = pd.to_numeric(sav[c].replace({"Helt enig": "5"}))
sav.loc[0, "w1"] = 9
pyreadstat.write_sav(sav, str(HERE / "spss_out_of_range.sav"))
print(len(list(HERE.glob("*.csv"))) + 2, "broken exports")
