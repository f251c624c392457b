"""Formulas, below the analyses: nothing here knows a file, a language or a config.

* :mod:`.paired` -- the paired pre/post engine of the results table (CONTRACT section 4);
* :mod:`.models` -- linear models as R's ``lm`` fits them (aliased columns dropped),
  F tests, CR2 cluster-robust inference with Satterthwaite df (clubSandwich), the
  REML random-intercept model with Satterthwaite df (lme4 + lmerTest), and the
  two-sample comparisons (Welch's t, Cohen's d and its noncentral-t CI, Hedges' g);
* :mod:`.reliable_change` -- Jacobson & Truax's reliable change index and classes.
"""
from .paired import (RESULT_COLUMNS, adjust_pvalues, complete_pairs, dz_confidence_interval, hedges_j,
                     paired_statistics, results_table, signrank_pvalue)

__all__ = ["RESULT_COLUMNS", "complete_pairs", "paired_statistics", "results_table", "adjust_pvalues",
           "hedges_j", "signrank_pvalue", "dz_confidence_interval"]
