#!/bin/bash
# irt.fit's SVI with the θ correction before (main 71a6f78) and after (its draws on threads, inverse-CDF
# sampling, the float32 sums in blocks of 64 draws), alternated, the machine otherwise idle (twelfth session).
export GAPEVAL_JAX_CACHE=off
PY=/work/main/.venv/bin/python
OUT=/work/wt-gridspeed/benchmarks/irt/results
run() { # tree name size seed
  uptime
  (cd $1/benchmarks/irt && PYTHONPATH=$1 $PY svi_scaling.py --sizes $3 --batch-size 100000000 --num-steps 3000 \
      --learning-rate-decay 0.01 --seed $4 --full-batch-steps 0 --json $OUT/grid_draws_$3_$2_seed$4_twelfth_idle.json)
}
for seed in 1 2; do
  for size in 1e5 1e6 1e7; do
    run /work/main before $size $seed
    run /work/wt-gridspeed after $size $seed
  done
done
uptime
