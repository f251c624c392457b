"""Every label, heading and sentence of the reports, in Danish and English."""
from __future__ import annotations

import re

__all__ = ["t", "TEXTS", "issue_rule", "column_heading", "interval", "format_number", "grouping_label", "wave_label",
           "contrast_label", "p_text", "p_phrase", "hidden_mark", "group_text"]

TEXTS: dict[str, dict[str, str]] = {
    "pre": {"da": "Før", "en": "Before"},
    "post": {"da": "Efter", "en": "After"},
    "followup": {"da": "Opfølgning", "en": "Follow-up"},
    "baseline": {"da": "Baseline", "en": "Baseline"},
    "midway": {"da": "Midtvejs", "en": "Midway"},
    "col_contrast": {"da": "Målinger", "en": "Waves"},
    "flow_answered": {"da": "Besvarede: {wave}", "en": "Answered: {wave}"},
    "flow_complete": {"da": "Begge: {contrast}", "en": "Both: {contrast}"},
    "flow_not_included": {"da": "Udeladt efter udvælgelse", "en": "Left out by the selection"},
    "mean": {"da": "Gennemsnit", "en": "Mean"},
    "overall": {"da": "Samlet", "en": "Overall"},
    "better_higher": {"da": "højere er bedre", "en": "higher is better"},
    "better_lower": {"da": "lavere er bedre", "en": "lower is better"},
    "improvement_right": {"da": "forbedring mod højre", "en": "improvement to the right"},
    "improvement_right_mirrored": {"da": "forbedring mod højre (fortegn vendt: lavere er bedre)",
                                   "en": "improvement to the right (sign turned: lower is better)"},
    "suppressed_figure": {"da": "For få besvarelser til at vise figuren",
                          "en": "Too few answers to show this figure"},
    "flow_enrolled": {"da": "Deltagere med gyldige besvarelser", "en": "Participants with valid answers"},
    "flow_analysed": {"da": "Analyseret (gyldig score ved begge målinger)",
                      "en": "Analysed (valid score at both waves)"},
    "flow_excluded": {"da": "Udeladte rækker\n(dubletter, ugyldige)",
                      "en": "Rows left out\n(duplicates, invalid)"},
    "report": {"da": "Evalueringsrapport", "en": "Evaluation report"},
    "summary": {"da": "Sammenfatning", "en": "Summary of findings"},
    "contents": {"da": "Indhold", "en": "Contents"},
    "table_n": {"da": "Tabel {n}", "en": "Table {n}"},
    "figure_n": {"da": "Figur {n}", "en": "Figure {n}"},
    "flow": {"da": "Deltagerflow", "en": "Participant flow"},
    "results": {"da": "Resultater", "en": "Results"},
    "reliability": {"da": "Skalaernes reliabilitet", "en": "Reliability of the scales"},
    "data_issues": {"da": "Datafejl", "en": "Data issues"},
    "no_data_issues": {"da": "Ingen ugyldige værdier i eksportfilerne.",
                       "en": "No invalid values in the exports."},
    "missing_codes_note": {"da": "{instrument}: {n} svar var en kode for manglende svar ({codes}) og blev læst som "
                                 "manglende, ikke som ugyldige.",
                           "en": "{instrument}: {n} answers were a missing-answer code ({codes}) and were read as "
                                 "missing, not as invalid."},
    "group_changes_note": {"da": "{n} personer havde en anden værdi for {group} ved en senere måling; værdien ved "
                                 "deres første besvarede måling er brugt.",
                           "en": "{n} people had another value of {group} at a later wave; the value at their "
                                 "first answered wave is used."},
    "data_issues_text": {"da": "{n} ugyldige værdier blev sat til manglende (se data_issues.csv).",
                         "en": "{n} invalid values were set missing (see data_issues.csv)."},
    "methods": {"da": "Metode", "en": "Methods"},
    "limitations": {"da": "Begrænsninger", "en": "Limitations"},
    "provenance": {"da": "Dokumentation af kørslen", "en": "Provenance"},
    "group": {"da": "Gruppe", "en": "Group"},
    "grouping_all": {"da": "Samlet", "en": "Overall"},
    "grouping_municipality": {"da": "Kommune", "en": "Municipality"},
    "grouping_variant": {"da": "Variant", "en": "Variant"},
    "grouping_family": {"da": "Familie", "en": "Family"},
    "col_n": {"da": "n (par)", "en": "n (pairs)"},
    "col_pre": {"da": "Før, gns. (SD)", "en": "Before, mean (SD)"},
    "col_post": {"da": "Efter, gns. (SD)", "en": "After, mean (SD)"},
    "col_diff": {"da": "Forskel [95 %‑KI]", "en": "Difference [95 % CI]"},
    "col_p": {"da": "p (t-test)", "en": "p (t-test)"},
    "col_p_adj": {"da": "p justeret", "en": "adjusted p"},
    "col_p_w": {"da": "p (Wilcoxon)", "en": "p (Wilcoxon)"},
    "sheet_participant_flow": {"da": "Deltagerflow", "en": "Participant flow"},
    "sheet_fidelity": {"da": "Fidelitet", "en": "Fidelity"},
    "sheet_fidelity_change": {"da": "Fidelitet og ændring", "en": "Fidelity and change"},
    "sheet_results": {"da": "Resultater", "en": "Results"},
    "sheet_group_comparison": {"da": "Sammenligning af grupper", "en": "Group comparison"},
    "sheet_clustered_change": {"da": "Familier som klynger", "en": "Families as clusters"},
    "sheet_mixed_model": {"da": "Blandet model", "en": "Mixed model"},
    "sheet_attrition": {"da": "Frafald", "en": "Attrition"},
    "sheet_reliable_change": {"da": "Pålidelig ændring", "en": "Reliable change"},
    "sheet_band_shares": {"da": "Fordeling på bånd", "en": "Band shares"},
    "sheet_costs": {"da": "Omkostninger", "en": "Costs"},
    "sheet_reliability": {"da": "Reliabilitet", "en": "Reliability"},
    "sheet_data_issues": {"da": "Datafejl", "en": "Data issues"},
    "sheet_notes": {"da": "Noter", "en": "Notes"},
    "note": {"da": "Note", "en": "Note"},
    "caption_results": {
        "da": "{label}: gennemsnit (SD) ved første og senere måling, ændringen med {ci} %‑KI, p-værdier og "
              "effektstørrelser, samlet og for hver undergruppe ({better}; n er personer med en gyldig score ved "
              "begge målinger).",
        "en": "{label}: mean (SD) at the earlier and later wave, the change with its {ci} % CI, p-values and effect "
              "sizes, overall and for each subgroup ({better}; n is people with a valid score at both waves)."},
    "caption_means": {
        "da": "{label}: gennemsnit ved hver måling med {ci} %‑KI, samlet og for hver undergruppe ({better}; "
              "en inddeling i mere end {most} grupper står kun i tabellen og forest-plottet).",
        "en": "{label}: mean at each wave with its {ci} % CI, overall and for each subgroup ({better}; a grouping "
              "of more than {most} groups is in the table and the forest plot only)."},
    "caption_forest": {
        "da": "{label}: Cohens d_z med {ci} %‑KI, samlet og for hver undergruppe (krydsede grupper står i "
              "tabellen). Til højre for den stiplede linje er en forbedring; jo større punkt, jo flere personer.",
        "en": "{label}: Cohen's d_z with its {ci} % CI, overall and for each subgroup (crossed groups are in the "
              "table). Right of the dashed line is an improvement; the larger the point, the more people."},
    "caption_comparison": {
        "da": "{group}: ændringen i hvert niveau mod referencen, justeret for udgangspunktet (niveau minus "
              "reference, i point).",
        "en": "{group}: the change in each level against the reference, adjusted for the baseline (level minus "
              "reference, in points)."},
    "caption_comparison_figure": {
        "da": "{group}: Hedges' g (WWC) af den justerede forskel med {ci} %‑KI for hvert udfald. Til højre for den "
              "stiplede linje forbedrede niveauet sig mere end referencen.",
        "en": "{group}: Hedges' g (WWC) of the adjusted difference with its {ci} % CI for each outcome. Right of the "
              "dashed line the level improved more than the reference."},
    "caption_flow": {"da": "Deltagerflow: personer ved hver måling og med komplette par, samlet og for hver gruppe.",
                     "en": "Participant flow: people at each wave and with complete pairs, overall and for each "
                           "group."},
    "caption_flow_figure": {"da": "Deltagerflow fra indskrevne til analyserede (første sammenligning).",
                            "en": "Participant flow from enrolled to analysed (first comparison)."},
    "caption_fidelity": {"da": "Leveret pr. kerneelement og kommune: gennemsnitlig leveret værdi fra 0 (ikke "
                               "leveret) til 1 (fuldt leveret) og antal {units}.",
                         "en": "Delivered per core element and municipality: mean delivered value from 0 (not "
                               "delivered) to 1 (fully delivered) and number of {units}."},
    "caption_fidelity_figure": {"da": "Leveret pr. kerneelement og kommune; jo mørkere felt, jo mere leveret.",
                                "en": "Delivered per core element and municipality; the darker the cell, the more "
                                      "delivered."},
    "caption_fidelity_change": {"da": "Ændringen hos {units} med høj og lav fidelitet (undersøgende, ikke en "
                                      "effekt).",
                                "en": "The change of {units} with high and low fidelity (exploratory, not an "
                                      "effect)."},
    "caption_costs": {"da": "Omkostninger pr. kommune og kategori, i kroner ({year}-priser).",
                      "en": "Costs per municipality and category, in DKK ({year} prices)."},
    "caption_costs_per": {"da": "Omkostninger pr. {unit}, i kroner ({year}-priser); et tomt felt er skjult eller "
                                "ikke defineret.",
                          "en": "Costs per {unit}, in DKK ({year} prices); an empty cell is hidden or not defined."},
    "config_show": {"da": "Vis konfigurationen (YAML)", "en": "Show the configuration (YAML)"},
    "band_hidden": {"da": "Skjult (små antal)", "en": "Hidden (small counts)"},
    "effective_n": {"da": "effektivt n", "en": "effective n"},
    "ci_of": {"da": "{ci} %‑KI", "en": "{ci} % CI"},
    "cohens_dz": {"da": "Cohens d_z", "en": "Cohen's d_z"},
    "col_dz": {"da": "Cohens d_z [95 %‑KI]", "en": "Cohen's d_z [95 % CI]"},
    "col_gav": {"da": "Hedges' g_av", "en": "Hedges' g_av"},
    "col_instrument": {"da": "Instrument", "en": "Instrument"},
    "col_scale": {"da": "Skala", "en": "Scale"},
    "col_wave": {"da": "Måling", "en": "Wave"},
    "col_alpha": {"da": "Cronbachs alfa", "en": "Cronbach's alpha"},
    "col_omega": {"da": "McDonalds omega", "en": "McDonald's omega"},
    "col_source": {"da": "Fil", "en": "File"},
    "col_line": {"da": "Linje", "en": "Line"},
    "col_column": {"da": "Kolonne", "en": "Column"},
    "col_value": {"da": "Værdi", "en": "Value"},
    "col_rule": {"da": "Regel", "en": "Rule"},
    "finding_improved": {"da": "{label}: forbedring på {diff} point ({effects}; justeret p {p}).",
                         "en": "{label}: improved by {diff} points ({effects}; adjusted p {p})."},
    "finding_worsened": {"da": "{label}: forværring på {diff} point ({effects}; justeret p {p}).",
                         "en": "{label}: worsened by {diff} points ({effects}; adjusted p {p})."},
    "finding_unclear_better": {
        "da": "{label}: ingen sikker ændring; en forbedring på {diff} point, som kan skyldes tilfældigheder "
              "({effects}; justeret p {p}).",
        "en": "{label}: no clear change; an improvement of {diff} points that may be chance ({effects}; "
              "adjusted p {p})."},
    "finding_unclear_worse": {
        "da": "{label}: ingen sikker ændring; en forværring på {diff} point, som kan skyldes tilfældigheder "
              "({effects}; justeret p {p}).",
        "en": "{label}: no clear change; a worsening of {diff} points that may be chance ({effects}; "
              "adjusted p {p})."},
    "finding_unchanged": {"da": "{label}: uændret ({effects}; justeret p {p}).",
                          "en": "{label}: unchanged ({effects}; adjusted p {p})."},
    "effect_g_av": {"da": "Hedges' g_av", "en": "Hedges' g_av"},
    "effect_d_av": {"da": "Cohens d_av", "en": "Cohen's d_av"},
    "effect_g_z": {"da": "Hedges' g_z", "en": "Hedges' g_z"},
    "effect_d_z": {"da": "Cohens d_z", "en": "Cohen's d_z"},
    "effect_d_rm": {"da": "Cohens d_rm", "en": "Cohen's d_rm"},
    "exploratory": {"da": "Undersøgende resultater", "en": "Exploratory results"},
    "exploratory_intro": {
        "da": "Ændringen i hver undergruppe for sig ({effect}, i retning af forbedring: et negativt tal er en "
              "forværring). Undergrupperne er ikke sammenlignet med hinanden her: at én er signifikant og en anden "
              "ikke, er ikke en forskel. Om ændringen var forskellig, afgør sammenligningen af grupperne.",
        "en": "The change in each subgroup on its own ({effect}, towards improvement: a negative number is a "
              "worsening). The subgroups are not compared with each other here: one being significant and another "
              "not is no difference. Whether the change differed is decided by the comparison of the groups."},
    "exploratory_item": {"da": "{label}, {grouping}: fra {low} ({low_group}) til {high} ({high_group})",
                         "en": "{label}, {grouping}: from {low} ({low_group}) to {high} ({high_group})"},
    "exploratory_single": {"da": "{label}, {grouping}: {value} ({group})",
                           "en": "{label}, {grouping}: {value} ({group})"},
    "finding_suppressed": {"da": "{label}: for få besvarelser til at rapportere.",
                           "en": "{label}: too few answers to report."},
    "summary_intro": {"da": "Ændringer mellem to målinger blandt deltagere med en gyldig score ved dem begge (før → "
                            "efter, medmindre andet er angivet). Signifikant betyder justeret p < 0,05. Retningen "
                            "står i ord; effektstørrelserne er størrelsen af ændringen i den retning, med Cohens "
                            "d_z og dets konfidensinterval som den, t-testen tester.",
                      "en": "Changes between two waves among participants with a valid score at both (before → "
                            "after unless said otherwise). Significant means adjusted p < 0.05. The direction is "
                            "in words; the effect sizes are the size of the change in that direction, with Cohen's "
                            "d_z and its confidence interval as the one the t-test tests."},
    "suppressed_note": {"da": "Grupper og tal med færre end {min_n} personer vises ikke (\"< {min_n}\"). Tal, der "
                              "kunne bruges til at regne et skjult tal ud, skjules også (\"–\"). Ingen figur viser "
                              "enkeltpersoner.",
                        "en": "Groups and counts of fewer than {min_n} people are not shown (\"< {min_n}\"). Numbers "
                              "from which a hidden number could be worked out are hidden too (\"–\"). No figure "
                              "shows individuals."},
    "baseline_band_note": {"da": "Grupper efter båndet ved første måling ({groups}): de, der startede højt, vil i "
                                 "gennemsnit ligge lavere næste gang, og omvendt, også uden nogen indsats "
                                 "(regression mod middelværdien). Forskellen mellem grupperne er derfor ikke "
                                 "programmets virkning.",
                           "en": "Groups by the band at the first wave ({groups}): those who started high will on "
                                 "average score lower the next time, and vice versa, even without any programme "
                                 "(regression to the mean). The difference between these groups is therefore not "
                                 "the programme's effect."},
    "protected_footnote": {"da": "–: skjult, fordi et skjult tal ellers kunne regnes ud fra det (det er selv ikke "
                                 "nødvendigvis lille).",
                           "en": "–: hidden because a hidden number could otherwise be worked out from it (it is "
                                 "not necessarily small itself)."},
    "figure_means": {"da": "Gennemsnit før og efter med konfidensinterval", "en": "Mean before and after with "
                                                                                   "confidence interval"},
    "methods_text": {
        "da": ("Analysen omfatter deltagere med en gyldig score ved både før- og eftermåling (komplette par); "
               "forskelle er efter minus før. Ændringen testes med parret t-test (tosidet) og Wilcoxons "
               "signed-rank test (R 4.2-konventioner: nuller udelades, eksakt p under 50 forskelle uden "
               "bindinger, ellers normalapproksimation med kontinuitets- og bindingskorrektion). "
               "Effektstørrelsen er Cohens d_z (gennemsnitlig forskel / SD af forskellene) med "
               "{ci} % konfidensinterval fra den ikke-centrale t-fordeling; Hedges' g_av, d_av og d_rm står i "
               "resultattabellen. p-værdier justeres med {correction} på tværs af udfaldene i hver gruppe."),
        "en": ("The analysis includes participants with a valid score at both baseline and follow-up "
               "(complete pairs); differences are follow-up minus baseline. Change is tested with the paired "
               "t-test (two-sided) and the Wilcoxon signed-rank test (R 4.2 conventions: zeros dropped, exact p "
               "below 50 differences without ties, otherwise the normal approximation with continuity and tie "
               "correction). The effect size is Cohen's d_z (mean difference / SD of the differences) with a "
               "{ci} % confidence interval from the noncentral t distribution; Hedges' g_av, d_av and d_rm are "
               "in the results table. p-values are adjusted by {correction} across the outcomes of each group."),
    },
    "scoring": {"da": "Scoring", "en": "Scoring"},
    "prorated": {"da": "{n} af {total} scorer bygger på færre end alle items (prorateret); "
                       "{missing} kunne ikke scores.",
                 "en": "{n} of {total} scores are based on fewer than all items (prorated); "
                       "{missing} could not be scored."},
    "limitations_text": {
        "da": ("Designet er en før-/eftermåling uden kontrolgruppe. Ændringer kan derfor ikke alene tilskrives "
               "indsatsen: regression mod gennemsnittet (deltagere udvælges ofte, når det går dårligst), "
               "naturlig udvikling og ændrede forhold kan bidrage. Frafald mellem målingerne kan skævvride "
               "resultaterne, hvis de, der falder fra, adskiller sig fra dem, der bliver."),
        "en": ("This is an uncontrolled pre/post design. Changes cannot be attributed to the programme alone: "
               "regression to the mean (people often enter when things are at their worst), natural "
               "development and changing circumstances may contribute. Attrition between the waves can bias "
               "the results if those who drop out differ from those who stay."),
    },
    "band": {"da": "Bånd", "en": "Band"},
    "band_intro": {"da": "Antal (andel) i hvert bånd før og efter, blandt deltagere med begge målinger.",
                   "en": "Number (share) in each band before and after, among participants with both waves."},
    "band_normal": {"da": "Normal", "en": "Normal"},
    "band_borderline": {"da": "Grænseområde", "en": "Borderline"},
    "band_abnormal": {"da": "Unormal", "en": "Abnormal"},
    "band_close_to_average": {"da": "Tæt på gennemsnit", "en": "Close to average"},
    "band_slightly_raised": {"da": "Let forhøjet", "en": "Slightly raised"},
    "band_slightly_lowered": {"da": "Let sænket", "en": "Slightly lowered"},
    "band_high": {"da": "Høj", "en": "High"},
    "band_low": {"da": "Lav", "en": "Low"},
    "band_very_high": {"da": "Meget høj", "en": "Very high"},
    "band_very_low": {"da": "Meget lav", "en": "Very low"},
    "band_poor_wellbeing": {"da": "Lav trivsel (≤ 50)", "en": "Poor wellbeing (≤ 50)"},
    "band_not_poor": {"da": "Over 50", "en": "Above 50"},
    "people": {"da": "Antal deltagere", "en": "Participants"},
    "figure_bands": {"da": "Andel i hvert bånd", "en": "Share in each band"},
    "figure_forest": {"da": "Effektstørrelser", "en": "Effect sizes"},
    "input_files": {"da": "Inputfiler (SHA-256)", "en": "Input files (SHA-256)"},
    "packages": {"da": "Programversioner", "en": "Package versions"},
    "generated": {"da": "Dannet", "en": "Generated"},
    "config": {"da": "Konfiguration", "en": "Configuration"},
    # ---- design analyses (group comparison, clusters, all cases, attrition, reliable change)
    "col_outcome": {"da": "Udfald", "en": "Outcome"},
    "group_comparison": {"da": "Sammenligning af varianter", "en": "Comparison of variants"},
    "group_comparison_intro": {
        "da": "Ændringen sammenlignes direkte mellem niveauerne af {groups} og referencen: ANCOVA af den senere "
              "måling justeret for den første (justeret forskel i point, niveau minus reference, med 95 %‑KI), "
              "p for forskellen (klyngerobust CR2 efter familie, når familier kendes), den samme forskel også "
              "justeret for de angivne grupper, og Hedges' g (WWC). At en variant er signifikant og en anden ikke, "
              "er ikke i sig selv en forskel; det er denne test, der afgør det.",
        "en": "Change is compared directly between the levels of {groups} and the reference: ANCOVA of the later "
              "wave adjusted for the first (adjusted difference in points, level minus reference, with 95 % CI), "
              "the p of that difference (cluster-robust CR2 by family when families are known), the same "
              "difference also adjusted for the groups listed, and Hedges' g (WWC). One variant being significant "
              "and another not is no difference in itself; this test decides."},
    "col_level": {"da": "Niveau – reference", "en": "Level – reference"},
    "figure_comparison_axis": {
        "da": "Hedges' g (WWC) af den justerede forskel [{ci} %‑KI] — forbedring mod højre",
        "en": "Hedges' g (WWC) of the adjusted difference [{ci} % CI] — improvement to the right"},
    "col_n_levels": {"da": "n (niveau / ref.)", "en": "n (level / ref.)"},
    "col_change_levels": {"da": "Ændring (niveau / ref.)", "en": "Change (level / ref.)"},
    "col_ancova": {"da": "Justeret forskel [95 %‑KI]", "en": "Adjusted difference [95 % CI]"},
    "col_ancova_adj": {"da": "Også justeret for grupper (p)", "en": "Also adjusted for groups (p)"},
    "col_g_wwc": {"da": "g (WWC)", "en": "g (WWC)"},
    "col_p_cr2": {"da": "p (CR2)", "en": "p (CR2)"},
    "col_p_plain": {"da": "p", "en": "p"},
    "col_p_welch": {"da": "p (Welch)", "en": "p (Welch)"},
    "comparison_item": {"da": "{label}: {diff} point (g = {g}, p {p})",
                        "en": "{label}: {diff} points (g = {g}, p {p})"},
    "finding_comparison": {
        "da": "{group}, {level} mod {reference} (justeret for udgangspunktet): {parts}.",
        "en": "{group}, {level} against {reference} (adjusted for the baseline): {parts}."},
    "comparison_better": {"da": "større forbedring i {items}", "en": "more improvement in {items}"},
    "comparison_worse": {"da": "mindre forbedring i {items}", "en": "less improvement in {items}"},
    "comparison_none": {"da": "ingen påvist forskel i {labels}", "en": "no difference shown in {labels}"},
    "comparison_none_at_all": {"da": "ingen påvist forskel i ændringen for noget udfald",
                               "en": "no difference in change shown for any outcome"},
    "clustered_change": {"da": "Søskende i samme familie", "en": "Siblings in one family"},
    "clustered_intro": {
        "da": "Børn i samme familie er ikke uafhængige. Den gennemsnitlige ændring testes derfor også med "
              "klyngerobuste standardfejl (CR2, familier som klynger, Satterthwaite-frihedsgrader). ICC er andelen "
              "af variationen i ændring, der ligger mellem familier; designeffekten siger, hvor meget søskende "
              "svarer til færre uafhængige børn (effektivt n).",
        "en": "Children of one family are not independent, so the mean change is also tested with cluster-robust "
              "standard errors (CR2, families as clusters, Satterthwaite df). The ICC is the share of the variation "
              "in change that lies between families; the design effect says how many independent children the "
              "siblings amount to (effective n)."},
    "col_families": {"da": "Familier", "en": "Families"},
    "col_mean_change": {"da": "Ændring", "en": "Change"},
    "col_se_iid_cr2": {"da": "SE (uafh. / CR2)", "en": "SE (indep. / CR2)"},
    "col_icc": {"da": "ICC", "en": "ICC"},
    "col_deff": {"da": "Designeffekt", "en": "Design effect"},
    "finding_cluster_same": {
        "da": "Søskende: ICC for ændring inden for familier {icc} (designeffekt højst {deff}); med klyngerobuste "
              "standardfejl er konklusionerne de samme.",
        "en": "Siblings: ICC of change within families {icc} (design effect at most {deff}); with cluster-robust "
              "standard errors the conclusions stay the same."},
    "finding_cluster_changes": {
        "da": "Søskende: ICC for ændring inden for familier {icc} (designeffekt højst {deff}); med klyngerobuste "
              "standardfejl skifter konklusionen for {labels}.",
        "en": "Siblings: ICC of change within families {icc} (design effect at most {deff}); with cluster-robust "
              "standard errors the conclusion changes for {labels}."},
    "mixed_model": {"da": "Alle tilgængelige besvarelser", "en": "All available answers"},
    "mixed_model_intro": {
        "da": "Følsomhedsanalyse: ændringen estimeret med alle gyldige scorer ved de to målinger, også fra "
              "deltagere der kun svarede én gang (lineær mixed model med tilfældigt intercept pr. person, REML, "
              "Satterthwaite-frihedsgrader), ved siden af resultatet for de komplette par.",
        "en": "Sensitivity analysis: the change estimated from every valid score at the two waves, including "
              "people who answered once (linear mixed model with a random intercept per person, REML, "
              "Satterthwaite df), beside the complete-pairs result."},
    "col_persons": {"da": "Personer", "en": "People"},
    "col_pairs_only": {"da": "Kun første + kun sidste", "en": "First only + last only"},
    "col_lmm_estimate": {"da": "Ændring, alle [95 %‑KI]", "en": "Change, all [95 % CI]"},
    "col_paired_diff": {"da": "Ændring, komplette par [95 %‑KI]", "en": "Change, complete pairs [95 % CI]"},
    "finding_lmm_same": {
        "da": "Med alle tilgængelige besvarelser (også dem, der kun svarede én gang) er konklusionerne de samme.",
        "en": "With every available answer (also from those who answered once) the conclusions stay the same."},
    "finding_lmm_differ": {
        "da": "Med alle tilgængelige besvarelser skifter konklusionen for {labels}; tolk disse med forsigtighed.",
        "en": "With every available answer the conclusion changes for {labels}; read these with care."},
    "attrition": {"da": "Frafald", "en": "Attrition"},
    "attrition_intro": {
        "da": "Adskilte de, der faldt fra, sig ved start? Første målings score for dem, der også har en gyldig "
              "score ved den senere måling, mod dem, der ikke har (Welch-test, Cohens d med 95 %‑KI).",
        "en": "Did those who left differ at the start? The first wave's score of those with a valid score at the "
              "later wave too, against those without (Welch test, Cohen's d with 95 % CI)."},
    "col_completers": {"da": "Fuldførte: n: gns.", "en": "Completers: n: mean"},
    "col_dropouts": {"da": "Frafaldne: n: gns.", "en": "Drop-outs: n: mean"},
    "col_attrition_diff": {"da": "Forskel", "en": "Difference"},
    "col_d_ci": {"da": "d [95 %‑KI]", "en": "d [95 % CI]"},
    "finding_attrition_none": {
        "da": "Frafald ({lost}): de frafaldne adskilte sig ikke påviseligt fra de øvrige ved start.",
        "en": "Attrition ({lost}): those who left did not differ detectably from the others at the start."},
    "finding_attrition": {
        "da": "Frafald ({lost}): {parts}; resultaterne for de komplette par kan derfor være skævvredne.",
        "en": "Attrition ({lost}): {parts}; the complete-pairs results may therefore be biased."},
    "attrition_better": {"da": "{label}: de, der blev, havde det bedre ved start (d = {d}, p {p})",
                         "en": "{label}: those who stayed were better off at the start (d = {d}, p {p})"},
    "attrition_worse": {"da": "{label}: de, der blev, havde det dårligere ved start (d = {d}, p {p})",
                        "en": "{label}: those who stayed were worse off at the start (d = {d}, p {p})"},
    "reliable_change": {"da": "Pålidelig ændring", "en": "Reliable change"},
    "reliable_change_intro": {
        "da": "Hvor mange ændrede sig mere end måleusikkerheden (Jacobson & Truax)? En ændring er pålidelig, når "
              "den er større end {z} gange standardfejlen for forskellen (kolonnen 'Pålidelig ved'); 'Kommet sig' "
              "er forbedrede, der startede over og sluttede under den kliniske grænse.",
        "en": "How many changed by more than measurement error (Jacobson & Truax)? A change is reliable when it "
              "exceeds {z} times the standard error of the difference (column 'Reliable at'); 'Recovered' are "
              "those improved who started beyond and ended within the clinical cut-off."},
    "col_rc_points": {"da": "Pålidelig ved (point)", "en": "Reliable at (points)"},
    "rc_improved": {"da": "Forbedret", "en": "Improved"},
    "rc_unchanged": {"da": "Uændret", "en": "Unchanged"},
    "rc_deteriorated": {"da": "Forværret", "en": "Deteriorated"},
    "rc_recovered": {"da": "Kommet sig", "en": "Recovered"},
    "rc_item": {"da": "{label}: {improved} af {n} forbedret, {deteriorated} forværret (pålidelig ved {points} point)",
                "en": "{label}: {improved} of {n} improved, {deteriorated} deteriorated (reliable at {points} points)"},
    "rc_item_hidden": {"da": "{label}: {n} par, fordelingen skjult (små antal)",
                       "en": "{label}: {n} pairs, the classes hidden (small counts)"},
    "finding_reliable_change": {"da": "Ændring ud over måleusikkerheden: {items}.",
                                "en": "Change beyond measurement error: {items}."},
    "finding_exploratory": {"da": "Undersøgende (undergrupper, ikke sammenlignet med hinanden): {groups}.",
                            "en": "Exploratory (subgroups, not compared with each other): {groups}."},
    # implementation (CONTRACT section 6)
    "implementation": {"da": "Implementering", "en": "Implementation"},
    "fidelity_intro": {"da": "Hvor langt kommunerne leverede programmets kerneelementer, efter fidelitetsarket: "
                             "gennemsnitlig leveret værdi ({scale}) og antal {units} pr. kerneelement og kommune. "
                             "Fidelitetsscoren er gennemsnittet over alle kerneelementer (et manglende element tæller "
                             "0); høj fidelitet er en score på mindst {threshold}.",
                       "en": "How far the municipalities delivered the programme's core elements, from the fidelity "
                             "sheet: mean delivered value ({scale}) and number of {units} per core element and "
                             "municipality. The fidelity score is the mean over all core elements (a missing element "
                             "counts as 0); high fidelity is a score of at least {threshold}."},
    "fidelity_score": {"da": "Fidelitetsscore", "en": "Fidelity score"},
    "col_element": {"da": "Kerneelement", "en": "Core element"},
    "fidelity_high_row": {"da": "Høj fidelitet (score ≥ {threshold})", "en": "High fidelity (score ≥ {threshold})"},
    "fidelity_figure": {"da": "Leveret pr. kerneelement og kommune (gennemsnit, n)",
                        "en": "Delivered per core element and municipality (mean, n)"},
    "fidelity_hidden_note": {"da": "Tal for færre end {min_n} enheder, eller som kunne afsløre dem, vises ikke.",
                             "en": "Numbers for fewer than {min_n} units, or that could reveal them, are not shown."},
    "fidelity_change_intro": {
        "da": "Undersøgende: ændringen hos enheder med høj og lav fidelitet, sammenlignet med Welchs t-test. "
              "Enhederne blev ikke fordelt tilfældigt efter fidelitet, så en forskel er en sammenhæng, ikke en "
              "effekt af fideliteten.",
        "en": "Exploratory: the change of units with high and low fidelity, compared with Welch's t-test. Units "
              "were not assigned to high or low fidelity, so a difference is an association, not an effect of "
              "fidelity."},
    "col_n_high_low": {"da": "n høj / lav", "en": "n high / low"},
    "col_change_high_low": {"da": "Ændring høj / lav", "en": "Change high / low"},
    "col_diff_high_low": {"da": "Forskel høj − lav [KI]", "en": "Difference high − low [CI]"},
    "finding_fidelity": {"da": "Implementering: gennemsnitlig fidelitetsscore {score} for {n} {units}; {share} % "
                               "med høj fidelitet (score ≥ {threshold})",
                         "en": "Implementation: mean fidelity score {score} for {n} {units}; {share} % with high "
                               "fidelity (score ≥ {threshold})"},
    "finding_fidelity_lowest": {"da": "mindst leveret: {element} ({score})",
                                "en": "least delivered: {element} ({score})"},
    "fidelity_change_item": {"da": "{label}: forskel {diff} point (p {p})",
                             "en": "{label}: difference {diff} points (p {p})"},
    "finding_fidelity_change": {
        "da": "Undersøgende (ikke en effekt): ændring hos enheder med høj minus lav fidelitet: {items}.",
        "en": "Exploratory (not an effect): change of units with high minus low fidelity: {items}."},
    # costs (CONTRACT section 6)
    "costs_chapter": {"da": "Omkostninger ({year}-priser)", "en": "Costs ({year} prices)"},
    "costs_intro": {"da": "Omkostninger efter Socialstyrelsens fire kategorier, i kroner i {year}-priser "
                          "(timer × timepris + beløb for hver post i omkostningsarket). Pr. {unit}: "
                          "indskrevet = besvarede den første måling; gennemført = et komplet par på mindst ét "
                          "udfaldsmål i den første sammenligning.",
                    "en": "Costs by Socialstyrelsen's four categories, in kroner at {year} prices (hours × hourly "
                          "rate + amount of every item of the cost sheet). Per {unit}: enrolled = answered the "
                          "first wave; completed = a complete pair on at least one outcome of the first "
                          "comparison."},
    "costs_hidden_note": {"da": "Et antal og omkostningen pr. enhed beregnet ud fra det vises ikke, hvor antallet er "
                                "under {min_n} eller kunne afsløre et andet lille antal.",
                          "en": "A count, and the cost per unit computed from it, is not shown where the count is "
                                "below {min_n} or could reveal another small count."},
    "costs_figure": {"da": "Omkostninger pr. kommune og kategori ({year}-priser)",
                     "en": "Costs per municipality and category ({year} prices)"},
    "costs_axis": {"da": "Kroner ({year}-priser)", "en": "Kroner ({year} prices)"},
    "cost_forberedelse": {"da": "Forberedelse", "en": "Preparation"},
    "cost_uddannelse": {"da": "Uddannelse", "en": "Training"},
    "cost_drift": {"da": "Drift", "en": "Operation"},
    "cost_materiel": {"da": "Materiel", "en": "Materials"},
    "cost_total": {"da": "I alt", "en": "Total"},
    "unit_family": {"da": "familie", "en": "family"},
    "unit_person": {"da": "deltager", "en": "participant"},
    "units_family": {"da": "familier", "en": "families"},
    "units_person": {"da": "deltagere", "en": "participants"},
    "col_enrolled_units": {"da": "Indskrevne {units}", "en": "Enrolled {units}"},
    "col_completed_units": {"da": "Gennemførte {units}", "en": "Completed {units}"},
    "col_cost_per_enrolled": {"da": "Kr. pr. indskrevet", "en": "DKK per enrolled"},
    "col_cost_per_completed": {"da": "Kr. pr. gennemført", "en": "DKK per completed"},
    "col_cost_per_improved": {"da": "Kr. pr. pålideligt forbedret: {outcome}",
                              "en": "DKK per reliably improved: {outcome}"},
    "col_municipality_amounts": {"da": "Kommune (kr., {year}-priser)", "en": "Municipality (DKK, {year} prices)"},
    "finding_costs_total": {"da": "Omkostninger i alt {cost} kr. ({year}-priser)",
                            "en": "Costs in all DKK {cost} ({year} prices)"},
    "finding_costs_per": {"da": "{cost} kr. {what}", "en": "DKK {cost} {what}"},
    "per_enrolled": {"da": "pr. indskrevet {unit}", "en": "per enrolled {unit}"},
    "per_completed": {"da": "pr. {unit}, der gennemførte", "en": "per {unit} that completed"},
    "per_improved": {"da": "pr. pålideligt forbedret deltager ({outcome})",
                     "en": "per reliably improved participant ({outcome})"},
}


# The rules a value can break without stopping a run (analysis.on_invalid: quarantine),
# as ingest and the sheet readers word them (English, in data_issues.csv and the log),
# and in Danish for the report: (pattern, Danish template of its groups).
ISSUE_RULES_DA: list[tuple[str, str]] = [
    (r"not a valid answer for (.+) \(codes (.+) or their labels\)",
     "ikke et gyldigt svar for {0} (koderne {1} eller deres tekster)"),
    (r"unknown wave; allowed: (.*)", "ukendt måling; tilladt: {0}"),
    (r"looks like a CPR number; remove personal numbers from the export",
     "ligner et CPR-nummer; fjern personnumre fra eksporten"),
    (r"not a number in the bins of (.+) \((.+)\)", "ikke et tal i intervallerne for {0} ({1})"),
    (r"not an expected (.+); expected: (.*)", "ikke en forventet værdi af {0}; forventet: {1}"),
    (r"not a family id of the exports", "ikke et familie-id fra eksportfilerne"),
    (r"not a respondent id of the exports", "ikke et besvarelses-id fra eksportfilerne"),
    (r"unknown municipality: one of (.*) \(groups: municipality: expected\)",
     "ukendt kommune: en af {0} (groups: municipality: expected)"),
    (r"the same person answered this wave more than once with different answers \(lines (.*)\)",
     "samme person har svaret mere end én gang ved denne måling med forskellige svar (linje {0})"),
    (r"a cost row needs the municipality it was spent in", "en omkostning skal have den kommune, den er brugt i"),
    (r"unknown category: one of (.*)", "ukendt kategori: en af {0}"),
    (r"not a number", "ikke et tal"),
    (r"negative (\w+): a cost is 0 or more \(a refund is a lower amount\)",
     "negativ værdi ({0}): en omkostning er 0 eller mere (en tilbagebetaling er et lavere beløb)"),
    (r"hours need an hourly rate \((.*)\)", "timer kræver en timesats ({0})"),
    (r"an hourly rate needs hours \((.*)\)", "en timesats kræver timer ({0})"),
    (r"a row with neither hours × rate nor an amount", "en række uden hverken timer × sats eller et beløb"),
    (r"a fidelity row needs the unit's id", "en fidelitetsrække skal have enhedens id"),
    (r"unknown core element: one of (.*) \(config fidelity: elements\)",
     "ukendt kerneelement: et af {0} (config fidelity: elements)"),
    (r"not an answer of config fidelity: delivered \((.*)\)",
     "ikke et svar fra config fidelity: delivered ({0})"),
    (r"the same unit and core element as line (\d+)", "samme enhed og kerneelement som linje {0}"),
]


def issue_rule(rule: str, lang: str) -> str:
    """The rule of a data issue in ``lang`` (data_issues.csv words it in English)."""
    if lang == "da":
        for pattern, template in ISSUE_RULES_DA:
            match = re.fullmatch(pattern, rule)
            if match:
                return template.format(*match.groups())
    return rule


# Words of the published tables' column names (CONTRACT section 4), for the workbook's
# headings: a column's heading is its words in the language ("ancova_adj_ci_low" ->
# "ANCOVA justeret nedre KI-grænse"). Effect-size symbols stay symbols.
COLUMN_WORDS: dict[str, tuple[str, str]] = {
    "adj": ("justeret", "adjusted"), "alpha": ("Cronbachs alfa", "Cronbach's alpha"), "ancova": ("ANCOVA", "ANCOVA"),
    "answered": ("besvaret", "answered"), "band": ("bånd", "band"), "better": ("bedre retning", "better direction"),
    "category": ("kategori", "category"), "change": ("ændring", "change"), "clusters": ("klynger", "clusters"),
    "column": ("kolonne", "column"), "compared": ("sammenlignet", "compared"), "complete": ("komplette", "complete"),
    "completed": ("gennemført", "completed"), "completers": ("fuldførte", "completers"),
    "cost": ("omkostning", "cost"), "cr2": ("CR2", "CR2"), "cutoff": ("grænse", "cutoff"),
    "deff": ("designeffekt", "design effect"), "delivered": ("leveret", "delivered"),
    "deteriorated": ("forværret", "deteriorated"), "diff": ("forskel", "difference"),
    "dropouts": ("frafaldne", "drop-outs"), "dysfunctional": ("uden for normalområdet", "outside the normal range"),
    "element": ("kerneelement", "core element"), "enrolled": ("indskrevne", "enrolled"),
    "estimate": ("estimat", "estimate"), "excluded": ("udeladte", "left out"), "f": ("F-test", "F test"),
    "families": ("familier", "families"), "family": ("familie", "family"), "from": ("fra", "from"),
    "full": ("fuld", "full"), "group": ("gruppe", "group"), "grouping": ("gruppering", "grouping"),
    "high": ("høj", "high"), "icc": ("ICC", "ICC"), "iid": ("uafhængige", "independent"),
    "improved": ("forbedret", "improved"), "included": ("medtaget", "included"),
    "instrument": ("instrument", "instrument"),
    "level": ("niveau", "level"), "line": ("linje", "line"), "low": ("lav", "low"), "mean": ("gennemsnit", "mean"),
    "municipality": ("kommune", "municipality"), "not": ("ikke", "not"), "obs": ("observationer", "observations"),
    "omega": ("McDonalds omega", "McDonald's omega"), "only": ("kun", "only"), "outcome": ("udfald", "outcome"),
    "pairs": ("par", "pairs"), "per": ("pr.", "per"), "persons": ("personer", "people"), "points": ("point", "points"),
    "pooled": ("samlet", "pooled"), "post": ("efter", "after"), "pre": ("før", "before"),
    "rc": ("pålidelig ændring", "reliable change"), "recovered": ("i normalområdet efter", "recovered"),
    "ref": ("reference", "reference"), "reference": ("reference", "reference"),
    "reliability": ("reliabilitet", "reliability"), "reliably": ("pålideligt", "reliably"),
    "resid": ("residual", "residual"), "rows": ("rækker", "rows"), "rule": ("regel", "rule"),
    "scale": ("skala", "scale"), "sd": ("SD", "SD"), "se": ("SE", "SE"), "share": ("andel", "share"),
    "singular": ("singulær", "singular"), "source": ("kilde", "source"), "suppressed": ("skjult", "hidden"),
    "to": ("til", "to"), "total": ("i alt", "total"), "unchanged": ("uændret", "unchanged"),
    "units": ("enheder", "units"), "var": ("varians", "variance"), "variant": ("niveau", "level"),
    "wave": ("måling", "wave"), "welch": ("Welch", "Welch"), "wilcoxon": ("Wilcoxon", "Wilcoxon"),
    "person": ("person", "person"), "n": ("n", "n"), "p": ("p", "p"), "t": ("t", "t"), "df": ("df", "df"),
    "df1": ("df1", "df1"), "df2": ("df2", "df2"), "F": ("F", "F"), "d": ("d", "d"), "g": ("g", "g"),
    "v": ("V", "V"), "s": ("s", "s"), "m": ("m", "m"),
}
# symbols written as one word ("d_z"), and the two ends of an interval
COLUMN_SYMBOLS = ("d_z", "g_z", "d_av", "g_av", "d_rm", "g_dd", "g_wwc", "r_rb", "n_eff", "m_bar", "m_tilde")
COLUMN_PAIRS: dict[tuple[str, str], tuple[str, str]] = {
    ("ci", "low"): ("nedre KI-grænse", "lower CI limit"), ("ci", "high"): ("øvre KI-grænse", "upper CI limit"),
}


def column_heading(column: str, lang: str, study=None) -> str:
    """A published table's column for readers: its words in ``lang``, wave ids as the
    waves' names and outcome ids as the outcomes' labels (``study``); a word the
    catalogue does not know stays as it is."""
    k = 0 if lang == "da" else 1
    if study is not None:
        if column in study.groups:
            label = study.group_label(column)
            return label if label is not None else t(f"grouping_{column}", lang) \
                if f"grouping_{column}" in TEXTS else column
        for prefix, key in (("cost_per_reliably_improved_", "col_cost_per_improved"),):
            if column.startswith(prefix) and column[len(prefix):] in study.outcomes:
                return t(key, lang, outcome=study.outcome_label(column[len(prefix):]))
        if column.startswith("answered_") and column[9:] in study.waves:
            return f"{COLUMN_WORDS['answered'][k].capitalize()}: {wave_label(study, column[9:])}"
        if column.startswith("complete_"):
            for a, b in study.contrasts:
                if column == f"complete_{a}_{b}":
                    return f"{COLUMN_WORDS['complete'][k].capitalize()} {COLUMN_WORDS['pairs'][k]}: " \
                           f"{contrast_label(study, (a, b))}"
    words = []
    rest = column
    while rest:
        symbol = next((s for s in COLUMN_SYMBOLS if rest == s or rest.startswith(s + "_")), None)
        head, _, tail = rest.partition("_")
        if symbol:
            words.append(symbol)
            rest = rest[len(symbol) + 1:]
            continue
        pair = COLUMN_PAIRS.get((head, tail.partition("_")[0]))
        if pair:
            words.append(pair[k])
            rest = tail.partition("_")[2]
            continue
        if study is not None and head in study.waves and head not in COLUMN_WORDS:
            words.append(wave_label(study, head))
        else:
            words.append(COLUMN_WORDS.get(head, (head, head))[k])
        rest = tail
    text = " ".join(words)
    first = words[0] if words else ""
    # a symbol keeps its case ("n forbedret", "d_z nedre KI-grænse", "df")
    return text if len(first) < 3 or first in COLUMN_SYMBOLS else text[:1].upper() + text[1:]


def t(key: str, lang: str, **values) -> str:
    """The text ``key`` in ``lang`` with ``values`` filled in."""
    text = TEXTS[key][lang]
    return text.format(**values) if values else text


def grouping_label(study, grouping: str) -> str:
    """A grouping's name for people: the groups' configured labels (else the built-in
    names, else the ids) joined in the report language: "Kommune og køn"."""
    lang = study.language
    if grouping == "all":
        return t("grouping_all", lang)
    parts = []
    for gid in grouping.split("+"):
        label = study.group_label(gid)
        parts.append(label if label is not None else t(f"grouping_{gid}", lang) if f"grouping_{gid}" in TEXTS
                     else gid)
    if len(parts) == 1:
        return parts[0]
    # in running text only the first name keeps its capital: "Kommune og køn"
    parts = [parts[0]] + [p[:1].lower() + p[1:] for p in parts[1:]]
    return ", ".join(parts[:-1]) + (" og " if lang == "da" else " and ") + parts[-1]


def wave_label(study, wave: str) -> str:
    """A wave for people: the built-in name of ``pre``, ``post``, ``followup``,
    ``baseline``, ``midway``; else the wave's first text value in the config
    (``foer: ["før"]`` reads "Før"); else its id."""
    lang = study.language
    if wave in ("pre", "post", "followup", "baseline", "midway"):
        return t(wave, lang)
    texts = [v for v in study.spec["waves"].get(wave, []) if isinstance(v, str) and v.strip()]
    name = texts[0].strip() if texts else wave.replace("_", " ")
    return name[:1].upper() + name[1:]


def contrast_label(study, contrast) -> str:
    """``Før → Efter``."""
    a, b = contrast
    return f"{wave_label(study, a)} \u2192 {wave_label(study, b)}"


def interval(low: float, high: float, lang: str) -> str:
    """A confidence interval in running text: "0,10; 0,44" (Danish), "0.10, 0.44" (English)."""
    return f"{format_number(low, lang)}{'; ' if lang == 'da' else ', '}{format_number(high, lang)}"


def p_text(value: float, lang: str) -> str:
    """A p-value for a table: three decimals, '< 0,001' below."""
    if value != value or value is None:
        return "–"
    if value < 0.001:
        return "< 0,001" if lang == "da" else "< 0.001"
    return format_number(value, lang, 3)


def p_phrase(value: float, lang: str) -> str:
    """'= 0,021' or '< 0,001', to follow a 'p' in a sentence."""
    text = p_text(value, lang)
    return text if text.startswith("<") else f"= {text}"


def hidden_mark(reason: str | None, min_n: int) -> str:
    """What the report shows for a hidden count: '< min_n' when it is small itself,
    '–' when it was hidden to protect another (with a footnote)."""
    return "–" if reason == "protect" else f"< {min_n}"


def group_text(study, grouping: str, group: str) -> str:
    """A group for people: 'Samlet' for all, values joined by ' · ', a baseline band by
    its name in the report language ('Meget høj')."""
    lang = study.language
    if grouping == "all" or group == "all":
        return t("overall", lang)
    parts = []
    for gid, value in zip(grouping.split("+"), str(group).split("+")):
        key = f"band_{value}"
        parts.append(t(key, lang) if gid in getattr(study, "baseline_bands", {}) and key in TEXTS else value)
    return " · ".join(parts)


def format_number(value: float, lang: str, digits: int = 2) -> str:
    """A number for people: fixed digits, decimal comma in Danish, '−' for minus."""
    if value is None or value != value:
        return "–"
    text = f"{value:,.{digits}f}"
    if text.startswith("-") and not text.strip("-0.,"):  # rounds to zero: no sign ("0,00", not "−0,00")
        text = text[1:]
    if lang == "da":
        text = text.replace(",", "\u00a0").replace(".", ",")
    else:
        text = text.replace(",", "\u00a0")
    return text.replace("-", "\u2212")
