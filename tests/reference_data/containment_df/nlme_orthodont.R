# nlme's denominator df on Orthodont (Pinheiro & Bates 2000), the reference of tests/gapeval/decay/test_decay_containment.py.
# Run once: Rscript nlme_orthodont.R (R 4.x, nlme 3.1.162); writes orthodont.csv and nlme_ttable.csv here.
library(nlme)
data(Orthodont)
d <- as.data.frame(Orthodont)
d$Subject <- as.character(d$Subject)
d$female <- as.integer(d$Sex == "Female")
write.csv(d[, c("distance", "age", "Subject", "female")], "orthodont.csv", row.names = FALSE)
rows <- list()
for (re in c("intercept", "slope")) {
  random <- if (re == "intercept") ~ 1 | Subject else ~ 1 + age | Subject
  fit <- lme(distance ~ age + female, random = random, data = d)
  tt <- summary(fit)$tTable
  rows[[re]] <- data.frame(random = re, term = rownames(tt), estimate = tt[, "Value"], se = tt[, "Std.Error"],
                           df = tt[, "DF"], row.names = NULL)
}
write.csv(do.call(rbind, rows), "nlme_ttable.csv", row.names = FALSE)
writeLines(c(R.version.string, paste("nlme", packageVersion("nlme"))), "versions.txt")
