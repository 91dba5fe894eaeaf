#!/bin/bash
# θ coverage of irt.fit's default SVI at 1,000 x 100 before (71a6f78, unpacked by git archive) and after (this
# tree) the twelfth session's θ correction, seeds 3-10 alternated, fresh processes (twelfth session).
export GAPEVAL_JAX_CACHE=off
PY=/work/main/.venv/bin/python
OUT=/work/main/benchmarks/irt/results
for seed in 3 4 5 6 7 8 9 10; do
  for tree in /tmp/s12/before /work/main; do
    name=$([ $tree = /work/main ] && echo after || echo before)
    (cd $tree/benchmarks/irt && PYTHONPATH=$tree $PY svi_scaling.py --sizes 1e5 --batch-size 100000000 --num-steps 3000 \
        --learning-rate-decay 0.01 --seed $seed --full-batch-steps 0 --json $OUT/grid_draws_1e5_${name}_seed${seed}_coverage_twelfth_idle.json) > /dev/null 2>&1
    echo "$name $seed $(uptime | sed 's/.*average: //')"
  done
done
