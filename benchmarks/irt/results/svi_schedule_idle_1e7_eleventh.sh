#!/bin/bash
# Idle timing of irt.fit's SVI at 10^7 (1000 x 10,000, every response at each step), new default against old.
cd /work/wt-svisched/benchmarks/irt
export GAPEVAL_JAX_CACHE=off PYTHONPATH=/work/wt-svisched
PY=/work/main/.venv/bin/python
OUT=/work/wt-svisched/benchmarks/irt/results
run() { # name steps decay seed [batch]
  uptime
  $PY svi_scaling.py --sizes 1e7 --batch-size ${5:-10000000} --num-steps $2 --learning-rate-decay $3 --seed $4 \
      --full-batch-steps 0 --json $OUT/svi_scaling_1e7_$1_seed$4_eleventh_idle.json
}
run new3000 3000 0.01 1
run old5000rerun 5000 1.0 2
run new3000 3000 0.01 2
run new3000 3000 0.01 3
run minibatch3000 3000 0.01 0 10000
uptime
