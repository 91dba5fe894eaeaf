# Reference fits of the crossed decay cases with lme4 / lmerTest (run once; outputs are committed).
#
#   cd tests/reference_data/decay_crossed && Rscript fit_lme4.R
#
# Inputs: gaussian.csv, gaussian_singular.csv, binomial.csv (make_inputs.py). x = turn - 1; direction is
# a factor with R's default treatment contrasts, levels generation < understanding, so the terms are
# (Intercept), x, directionunderstanding, x:directionunderstanding (gapeval: Intercept, turn,
# direction[understanding], turn:direction[understanding]).
# Outputs per fit <name>: <name>_fixed.csv (term, estimate, se, df, statistic, p_value),
# <name>_varcorr.csv (as.data.frame(VarCorr)), <name>_info.csv (name, value), <name>_ranef_model.csv.
suppressMessages({library(lme4); library(lmerTest)})

CROSSED <- "(1 + x | model) + (1 | session) + (1 | item) + (1 | model:session)"
NESTED <- "(1 + x | model) + (1 | model:session)"

read_case <- function(file) {
  d <- read.csv(file, stringsAsFactors = FALSE)
  d$x <- d$turn - 1
  d$direction <- factor(d$direction, levels = c("generation", "understanding"))
  d
}

write_common <- function(fit, name, extra) {
  vc <- as.data.frame(VarCorr(fit))
  write.csv(vc, paste0(name, "_varcorr.csv"), row.names = FALSE)
  re <- ranef(fit)$model
  write.csv(data.frame(model = rownames(re), intercept = re[, 1], x = re[, 2]), paste0(name, "_ranef_model.csv"),
            row.names = FALSE)
  conv <- fit@optinfo$conv$lme4$messages
  info <- rbind(
    data.frame(name = paste0("theta", seq_along(getME(fit, "theta"))), value = getME(fit, "theta")),
    data.frame(name = paste0("theta_name", seq_along(getME(fit, "theta"))), value = names(getME(fit, "theta"))),
    data.frame(name = c("isSingular", "logLik", "nobs", "convergence_messages"),
               value = c(isSingular(fit), as.numeric(logLik(fit)), nobs(fit),
                         if (length(conv)) paste(conv, collapse = " | ") else "")),
    extra)
  write.csv(info, paste0(name, "_info.csv"), row.names = FALSE)
}

fit_lmm <- function(file, random, name) {
  d <- read_case(file)
  fit <- lmerTest::lmer(as.formula(paste("score ~ x * direction +", random)), data = d, REML = TRUE)
  s <- summary(fit)$coefficients  # Satterthwaite df (lmerTest's default)
  write.csv(data.frame(term = rownames(s), estimate = s[, "Estimate"], se = s[, "Std. Error"], df = s[, "df"],
                       statistic = s[, "t value"], p_value = s[, "Pr(>|t|)"]),
            paste0(name, "_fixed.csv"), row.names = FALSE)
  # the understanding slope x + x:directionunderstanding, by lmerTest's contest
  under <- contest(fit, L = c(0, 1, 0, 1), joint = FALSE)
  write_common(fit, name, data.frame(
    name = c("REMLcrit", "sigma", "understanding_slope", "understanding_slope_se", "understanding_slope_df"),
    value = c(REMLcrit(fit), sigma(fit), under$Estimate, under$`Std. Error`, under$df)))
}

fit_glmm <- function(file, random, name) {
  d <- read_case(file)
  form <- as.formula(paste("score ~ x * direction +", random))
  fit <- glmer(form, data = d, family = binomial)  # Laplace (nAGQ = 1), default optimisers
  s <- summary(fit)$coefficients
  write.csv(data.frame(term = rownames(s), estimate = s[, "Estimate"], se = s[, "Std. Error"], df = NA,
                       statistic = s[, "z value"], p_value = s[, "Pr(>|z|)"]),
            paste0(name, "_fixed.csv"), row.names = FALSE)
  # the same model with a tighter optimiser, to show how far glmer's default optimum is from the best one
  tight <- glmer(form, data = d, family = binomial,
                 control = glmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5, rhoend = 1e-9)))
  write_common(fit, name, data.frame(
    name = c("deviance_laplace", "logLik_bobyqa_tight", "max_abs_fixef_diff_bobyqa_tight"),
    value = c(-2 * as.numeric(logLik(fit)), as.numeric(logLik(tight)), max(abs(fixef(tight) - fixef(fit))))))
}

fit_lmm("gaussian.csv", CROSSED, "lmer_gaussian_crossed")
fit_lmm("gaussian.csv", NESTED, "lmer_gaussian_nested")
fit_lmm("gaussian_singular.csv", CROSSED, "lmer_gaussian_singular")
fit_glmm("binomial.csv", CROSSED, "glmer_binomial_crossed")
fit_glmm("binomial.csv", NESTED, "glmer_binomial_nested")

writeLines(c(R.version.string, paste("lme4", packageVersion("lme4")), paste("lmerTest", packageVersion("lmerTest")),
             paste("Matrix", packageVersion("Matrix")), capture.output(sessionInfo())), "versions.txt")
