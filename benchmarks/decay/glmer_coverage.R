# glmer on the coverage benchmark's own 0/1 replications, for a side-by-side comparison with decay().
#
#   PYTHONPATH=. .venv/bin/python benchmarks/decay/coverage.py ... --data-dir DIR   # writes DIR/binomial_rep<N>.csv
#   Rscript benchmarks/decay/glmer_coverage.R DIR OUT.csv [FIRST LAST [VARCORR.csv]]
#
# The crossed model of decay()'s default (lme4 notation, x = turn - 1, generation the reference level):
#   score ~ x * direction + (1 + x | model) + (1 | session) + (1 | item) + (1 | model:session)
# fitted by glmer (Laplace, nAGQ = 1, default optimisers). Per replication and fixed effect it writes the
# estimate, glmer's default SE (vcov with use.hessian = TRUE: the inverse Hessian of the deviance in
# (theta, beta), as decay() does) and the SE conditional on the variance estimates (use.hessian = FALSE),
# with isSingular, the convergence messages and the seconds of the fit; with VARCORR.csv also the estimated SDs
# and correlation (as.data.frame(VarCorr)) per replication. Rows are appended as fits end.
suppressMessages(library(lme4))

args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
out <- args[2]
reps <- if (length(args) >= 4) seq(as.integer(args[3]), as.integer(args[4])) else 0:19
varcorr_out <- if (length(args) >= 5) args[5] else NA
form <- score ~ x * direction + (1 + x | model) + (1 | session) + (1 | item) + (1 | model:session)
terms <- c("(Intercept)" = "Intercept", "x" = "turn", "directionunderstanding" = "direction[understanding]",
           "x:directionunderstanding" = "turn:direction[understanding]")

for (rep in reps) {
  file <- file.path(dir, sprintf("binomial_rep%d.csv", rep))
  if (!file.exists(file)) next
  d <- read.csv(file, stringsAsFactors = FALSE)
  d$x <- d$turn - 1
  d$direction <- factor(d$direction, levels = c("generation", "understanding"))
  started <- proc.time()[["elapsed"]]
  fit <- glmer(form, data = d, family = binomial)
  seconds <- proc.time()[["elapsed"]] - started
  se_h <- sqrt(diag(as.matrix(vcov(fit, use.hessian = TRUE))))
  se_c <- sqrt(diag(as.matrix(vcov(fit, use.hessian = FALSE))))
  conv <- paste(c(fit@optinfo$conv$lme4$messages, fit@optinfo$warnings), collapse = " | ")
  beta <- fixef(fit)
  rows <- data.frame(rep = rep, term = unname(terms[names(beta)]), estimate = unname(beta),
                     se = unname(se_h[names(beta)]), se_conditional = unname(se_c[names(beta)]),
                     singular = isSingular(fit), seconds = round(seconds, 2), messages = conv)
  write.table(rows, out, sep = ",", append = file.exists(out), col.names = !file.exists(out), row.names = FALSE)
  if (!is.na(varcorr_out)) {
    vc <- cbind(rep = rep, as.data.frame(VarCorr(fit)))
    write.table(vc, varcorr_out, sep = ",", append = file.exists(varcorr_out), col.names = !file.exists(varcorr_out),
                row.names = FALSE)
  }
  cat(sprintf("rep %d: %.1f s\n", rep, seconds))
}
