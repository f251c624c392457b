# A reviewer's reproduction kit: recomputes every number of the published results and
# group-comparison tables from the complete pairs in pairs.csv, with R's own functions
# (t.test, wilcox.test, pt and uniroot, p.adjust, lm, anova, clubSandwich for CR2), and
# prints the largest difference from the published numbers.
#
#   Rscript reproduce.R [folder of the published tables]
#
# The default folder is ../publication/tables beside this kit (as the pipeline wrote
# them; reports/<study>/tables holds the same files). pairs.csv holds pseudonymised
# people: it stays with the processed data and is never published. Exit status 1 when
# a published number differs by more than 1e-6 (relative, at least absolute) or R
# cannot compute a number that was published.
#%SETTINGS%

args <- commandArgs(trailingOnly = TRUE)
file_arg <- grep("^--file=", commandArgs(FALSE), value = TRUE)
here <- if (length(file_arg)) dirname(normalizePath(sub("^--file=", "", file_arg[1]))) else getwd()
tables <- if (length(args)) args[1] else file.path(here, "..", "publication", "tables")

read <- function(path) read.csv(path, colClasses = "character", encoding = "UTF-8", na.strings = "",
                                check.names = FALSE)
pairs <- read(file.path(here, "pairs.csv"))
pairs$pre <- as.numeric(pairs$pre); pairs$post <- as.numeric(pairs$post)
pairs <- pairs[!is.na(pairs$pre) & !is.na(pairs$post), ]

cell <- function(d, grouping, group) {  # the complete pairs of one cell ("municipality+variant" = "Vejle+gruppe")
  if (grouping == "all") return(d)
  cols <- strsplit(grouping, "+", fixed = TRUE)[[1]]; vals <- strsplit(group, "+", fixed = TRUE)[[1]]
  keep <- rep(TRUE, nrow(d))
  for (k in seq_along(cols)) keep <- keep & !is.na(d[[cols[k]]]) & d[[cols[k]]] == vals[k]
  d[keep, ]
}
of <- function(d, r) d[d$outcome == r[["outcome"]] & d$from_wave == r[["from_wave"]] & d$to_wave == r[["to_wave"]], ]
J <- function(df) exp(lgamma(df / 2) - log(sqrt(df / 2)) - lgamma((df - 1) / 2))
# The CI of d_z: the noncentral t inverted exactly (pt and uniroot). effectsize::cohens_d
# does the same search with a looser tolerance: at n = 7 its upper limit was 0.013 off.
dz_ci <- function(d, n) {
  t <- d * sqrt(n); df <- n - 1; a <- (1 - CI_LEVEL) / 2
  at <- function(p) function(ncp) suppressWarnings(pt(t, df, ncp)) - p
  w <- 10; while (at(1 - a)(t - w) < 0 || at(a)(t + w) > 0) w <- 2 * w
  c(uniroot(at(1 - a), c(t - w, t + w), tol = 1e-13)$root, uniroot(at(a), c(t - w, t + w), tol = 1e-13)$root) / sqrt(n)
}
safe <- function(expr) tryCatch(expr, error = function(e) NULL)
NAs <- function(names) setNames(as.list(rep(NA_real_, length(names))), names)

# ---- results: paired statistics of every cell -------------------------------------------
paired <- function(a, b) {  # a = earlier wave, b = later wave
  n <- length(a); dd <- b - a
  out <- list(n = n, pre_mean = mean(a), pre_sd = sd(a), post_mean = mean(b), post_sd = sd(b),
              diff_mean = mean(dd), diff_sd = sd(dd))
  tt <- if (n > 1) safe(t.test(b, a, paired = TRUE, conf.level = CI_LEVEL)) else NULL
  out <- c(out, if (is.null(tt)) NAs(c("diff_ci_low", "diff_ci_high", "t", "df", "p_t")) else
    list(diff_ci_low = tt$conf.int[1], diff_ci_high = tt$conf.int[2], t = unname(tt$statistic),
         df = unname(tt$parameter), p_t = tt$p.value))
  wt <- if (n > 0) safe(suppressWarnings(wilcox.test(b, a, paired = TRUE))) else NULL
  out <- c(out, if (is.null(wt)) NAs(c("wilcoxon_v", "p_wilcoxon")) else
    list(wilcoxon_v = unname(wt$statistic), p_wilcoxon = wt$p.value))
  nz <- dd[dd != 0]; rk <- rank(abs(nz))
  out$r_rb <- if (length(nz)) (sum(rk[nz > 0]) - sum(rk[nz < 0])) / sum(rk) else NA
  if (n > 1 && sd(dd) > 0) {
    out$d_z <- mean(dd) / sd(dd); ci <- dz_ci(out$d_z, n)
    out$d_z_ci_low <- ci[1]; out$d_z_ci_high <- ci[2]
  } else out <- c(out, NAs(c("d_z", "d_z_ci_low", "d_z_ci_high")))
  out$g_z <- out$d_z * J(n - 1)
  s_av <- sqrt((sd(a)^2 + sd(b)^2) / 2)
  out$d_av <- mean(dd) / s_av; out$g_av <- out$d_av * J(n - 1)
  r <- suppressWarnings(cor(a, b)); out$d_rm <- out$d_z * sqrt(2 * (1 - r))
  lapply(out, function(v) if (is.numeric(v) && !is.finite(v)) NA_real_ else v)
}
results <- read(file.path(tables, "results.csv"))
computed <- do.call(rbind, lapply(seq_len(nrow(results)), function(i) {
  r <- results[i, ]; d <- cell(of(pairs, r), r$grouping, r$group)
  as.data.frame(c(r[c("outcome", "from_wave", "to_wave", "grouping", "group")], paired(d$pre, d$post)),
                stringsAsFactors = FALSE, check.names = FALSE)
}))
# adjusted across the outcomes of each contrast, grouping and group, over cells of at least min_n pairs
computed$p_t_adj <- NA_real_
key <- paste(computed$from_wave, computed$to_wave, computed$grouping, computed$group, sep = "\r")
for (k in unique(key)) {
  i <- which(key == k & computed$n >= MIN_N)
  if (length(i)) computed$p_t_adj[i] <- p.adjust(computed$p_t[i], CORRECTION)
}

# ---- group comparison: ANCOVA, F, Welch, WWC g, CR2 ---------------------------------------
lm_coef <- function(fit, term, prefix) {
  out <- NAs(paste0(prefix, c("diff", "se", "t", "df", "p", "ci_low", "ci_high")))
  cf <- coef(fit)
  if (!(term %in% names(cf)) || is.na(cf[[term]]) || fit$df.residual < 1) return(out)
  s <- summary(fit)$coefficients
  ci <- confint(fit, term, level = CI_LEVEL)
  setNames(list(s[term, 1], s[term, 2], s[term, 3], fit$df.residual, s[term, 4], ci[1], ci[2]), names(out))
}
f_test <- function(fit0, fit1, prefix) {
  out <- NAs(paste0(prefix, c("F", "df1", "df2", "p")))
  a <- anova(fit0, fit1)
  if (is.na(a$Df[2]) || a$Df[2] < 1 || a$Res.Df[2] < 1) return(out)
  setNames(list(a$F[2], a$Df[2], a$Res.Df[2], a$`Pr(>F)`[2]), names(out))
}
cr2_coef <- function(fit, term, cluster, prefix) {
  out <- NAs(paste0(prefix, c("se", "t", "df", "p", "ci_low", "ci_high")))
  if (is.null(fit) || !(term %in% names(coef(fit))) || is.na(coef(fit)[[term]])) return(out)
  V <- clubSandwich::vcovCR(fit, cluster = cluster, type = "CR2")
  ct <- clubSandwich::coef_test(fit, vcov = V, test = "Satterthwaite", coefs = term)
  ci <- clubSandwich::conf_int(fit, vcov = V, level = CI_LEVEL, test = "Satterthwaite", coefs = term)
  setNames(list(ct$SE, ct$tstat, ct$df_Satt, ct$p_Satt, ci$CI_L, ci$CI_U), names(out))
}
comparison <- function(r) {
  spec <- COMPARE[[r$compared]]; d <- cell(of(pairs, r), r$grouping, r$group)
  d <- d[!is.na(d[[r$compared]]), ]
  d$change <- d$post - d$pre
  present <- c(spec$reference, setdiff(sort(unique(d[[r$compared]])), spec$reference))
  d$level <- factor(d[[r$compared]], levels = present[present %in% d[[r$compared]]])
  a <- d[d$level == spec$reference, ]; b <- d[d$level == r$level, ]
  out <- list(n = nrow(d), n_ref = nrow(a), n_variant = nrow(b),
              change_mean_ref = if (nrow(a)) mean(a$change) else NA, change_mean_variant = if (nrow(b)) mean(b$change) else NA,
              change_sd_ref = if (nrow(a) > 1) sd(a$change) else NA, change_sd_variant = if (nrow(b) > 1) sd(b$change) else NA,
              post_sd_ref = if (nrow(a) > 1) sd(a$post) else NA, post_sd_variant = if (nrow(b) > 1) sd(b$post) else NA)
  term <- paste0("level", r$level)
  fit <- fit0 <- fitm <- fitm0 <- NULL
  if (spec$reference %in% d$level && nlevels(d$level) >= 2) {
    fit <- lm(post ~ pre + level, data = d); fit0 <- lm(post ~ pre, data = d)
    adjust <- Filter(function(g) length(unique(d[[g]])) > 1, spec$adjust)
    if (r$grouping == "all" && length(adjust)) {  # the adjusting groups entered before the level
      fitm <- lm(reformulate(c("pre", adjust, "level"), "post"), data = d)
      fitm0 <- lm(reformulate(c("pre", adjust), "post"), data = d)
    }
  }
  out <- c(out, if (!is.null(fit) && nrow(b)) lm_coef(fit, term, "ancova_") else NAs(paste0("ancova_", c("diff", "se", "t", "df", "p", "ci_low", "ci_high"))))
  out <- c(out, if (!is.null(fit)) f_test(fit0, fit, "ancova_f_") else NAs(paste0("ancova_f_", c("F", "df1", "df2", "p"))))
  out <- c(out, if (!is.null(fitm) && nrow(b)) lm_coef(fitm, term, "ancova_adj_") else NAs(paste0("ancova_adj_", c("diff", "se", "t", "df", "p", "ci_low", "ci_high"))))
  out <- c(out, if (!is.null(fitm)) f_test(fitm0, fitm, "ancova_adj_f_") else NAs(paste0("ancova_adj_f_", c("F", "df1", "df2", "p"))))
  wt <- if (nrow(a) > 1 && nrow(b) > 1) safe(t.test(b$change, a$change, var.equal = FALSE, conf.level = CI_LEVEL)) else NULL
  out <- c(out, if (is.null(wt)) NAs(c("welch_diff", "welch_t", "welch_df", "welch_p", "welch_ci_low", "welch_ci_high")) else
    list(welch_diff = mean(b$change) - mean(a$change), welch_t = unname(wt$statistic), welch_df = unname(wt$parameter),
         welch_p = wt$p.value, welch_ci_low = wt$conf.int[1], welch_ci_high = wt$conf.int[2]))
  N <- nrow(a) + nrow(b)
  ok <- nrow(a) > 0 && nrow(b) > 0 && N > 2
  s_post <- if (ok) sqrt((sum((a$post - mean(a$post))^2) + sum((b$post - mean(b$post))^2)) / (N - 2)) else NA
  omega <- if (ok) 1 - 3 / (4 * N - 9) else NA
  out$post_sd_pooled <- s_post; out$omega <- omega
  out$g_wwc_ancova <- omega * out$ancova_diff / s_post
  out$g_wwc_ancova_adj <- omega * out$ancova_adj_diff / s_post
  out$g_dd <- omega * (out$change_mean_variant - out$change_mean_ref) / s_post
  if (!is.na(CLUSTER)) {  # CR2 when both compared levels span at least two families
    ok2 <- length(unique(a[[CLUSTER]])) >= 2 && length(unique(b[[CLUSTER]])) >= 2
    out <- c(out, cr2_coef(if (ok2) fit else NULL, term, d[[CLUSTER]], "ancova_cr2_"))
    out <- c(out, cr2_coef(if (ok2) fitm else NULL, term, d[[CLUSTER]], "ancova_adj_cr2_"))
  }
  lapply(out, function(v) if (is.numeric(v) && !is.finite(v)) NA_real_ else v)
}

# ---- the published numbers against R's --------------------------------------------------
check <- function(name, published, computed, keys) {
  m <- merge(published, computed, by = keys, suffixes = c(".published", ".r"))
  columns <- intersect(setdiff(names(published), c(keys, "suppressed", "reference")), names(computed))
  worst <- 0; where <- "-"; compared <- 0; lacking <- 0
  for (column in columns) {
    p <- suppressWarnings(as.numeric(m[[paste0(column, ".published")]])); r <- as.numeric(m[[paste0(column, ".r")]])
    lacking <- lacking + sum(!is.na(p) & is.na(r))
    both <- !is.na(p) & !is.na(r); compared <- compared + sum(both)
    d <- abs(p[both] - r[both]) / pmax(1, abs(r[both]))
    if (length(d) && max(d) > worst) { worst <- max(d); where <- column }
  }
  cat(sprintf("%s: %d rows, %d published numbers recomputed; largest difference %.1e (%s); %d not reproduced\n",
              name, nrow(m), compared, worst, where, lacking))
  worst <= 1e-6 && lacking == 0 && nrow(m) == nrow(published)
}
ok <- check("results", results, computed, c("outcome", "from_wave", "to_wave", "grouping", "group"))
if (file.exists(file.path(tables, "group_comparison.csv"))) {
  gc <- read(file.path(tables, "group_comparison.csv"))
  if (nrow(gc)) {
    keys <- c("outcome", "from_wave", "to_wave", "compared", "grouping", "group", "level")
    computed_gc <- do.call(rbind, lapply(seq_len(nrow(gc)), function(i) {
      r <- gc[i, ]
      as.data.frame(c(r[keys], comparison(r)), stringsAsFactors = FALSE, check.names = FALSE)
    }))
    ok <- check("group_comparison", gc, computed_gc, keys) && ok
  }
}
cat(if (ok) "every published number reproduced\n" else "DIFFERENCES: see above\n")
quit(status = if (ok) 0 else 1)
