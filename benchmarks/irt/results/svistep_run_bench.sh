#!/bin/bash
# Alternated before (main d4a8fc1, exported read-only to /tmp/svi7_main) / after (this branch's commit, exported to /tmp/svi7_after)
PY=/work/main/.venv/bin/python
OUT=/work/wt-svi/benchmarks/irt/results
run() { # tree tag args...
  local tree=$1 tag=$2; shift 2
  echo "== $tag $(date -u +%H:%M:%S) $(uptime)" >> /tmp/svi7/bench.log
  (cd $tree/benchmarks/irt && PYTHONPATH=$tree $PY svi_scaling.py "$@" --json $OUT/svi_scaling_${tag}_svistep.json > $OUT/svi_scaling_${tag}_svistep.log 2>&1)
  echo "   done $(date -u +%H:%M:%S) rc=$?" >> /tmp/svi7/bench.log
}
run /tmp/svi7_main 1e7_before --sizes 1e7 --seed 0 --full-batch-steps 0
run /tmp/svi7_after 1e7_after --sizes 1e7 --seed 0 --full-batch-steps 10
run /tmp/svi7_main 1e6full_seed0_before --sizes 1e6 --seed 0 --batch-size 1000000 --full-batch-steps 0
run /tmp/svi7_after 1e6full_seed0_after --sizes 1e6 --seed 0 --batch-size 1000000 --full-batch-steps 10
run /tmp/svi7_main 1e6full_seed1_before --sizes 1e6 --seed 1 --batch-size 1000000 --full-batch-steps 0
run /tmp/svi7_after 1e6full_seed1_after --sizes 1e6 --seed 1 --batch-size 1000000 --full-batch-steps 0
run /tmp/svi7_after 1e7_after_seed1 --sizes 1e7 --seed 1 --full-batch-steps 10
echo ALLDONE >> /tmp/svi7/bench.log
