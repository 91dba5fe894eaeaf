#!/bin/bash
# Eighth session (svifloor): the runs of benchmarks/irt/RESULTS.md's eighth-session section, alternated, one process
# a run, persistent compilation cache off. Trees exported read-only by `git archive`: /tmp/svi8_before (main
# 8211860), /tmp/svi8_after (7263239), /tmp/svi8_after2 (0193275), /tmp/svi8_final (2f3653f).
# Usage: svifloor_run_bench.sh 1|2|4 (the batches as run 04:11-04:45 UTC; batch 2's coverage and a third batch of
# the default fit were stopped or folded into batch 4 when 2f3653f superseded 0193275: see svifloor_runs.log).
PY=/work/main/.venv/bin/python
OUT=/work/wt-svi/benchmarks/irt/results
LOG=$OUT/svifloor_runs.log
export GAPEVAL_JAX_CACHE=off
run() { # tree tag args...
  local tree=$1 tag=$2; shift 2
  echo "== $tag $(date -u +%H:%M:%S) $(uptime)" >> $LOG
  (cd $tree/benchmarks/irt && PYTHONPATH=$tree $PY svi_scaling.py "$@" --json $OUT/svi_scaling_${tag}_svifloor.json > $OUT/svi_scaling_${tag}_svifloor.log 2>&1)
  echo "   done $(date -u +%H:%M:%S) rc=$? $(uptime)" >> $LOG
}
coverage() { # tree tag jsonl
  echo "== coverage $2 $(date -u +%H:%M:%S) $(uptime)" >> $LOG
  (cd $1/benchmarks/irt && PYTHONPATH=$1 $PY svi_coverage.py --case 2pl-20x600 --reps 10 --skip-items-only --jsonl $OUT/$3.jsonl > $OUT/$3.log 2>&1)
  echo "   done $(date -u +%H:%M:%S) rc=$? $(uptime)" >> $LOG
}
B=/tmp/svi8_before
case "$1" in
1) A=/tmp/svi8_after
   run $B 1e7_seed0_before --sizes 1e7 --seed 0 --full-batch-steps 0
   run $A 1e7_seed0_after --sizes 1e7 --seed 0 --full-batch-steps 10
   run $B 1e6full_seed0_before --sizes 1e6 --seed 0 --batch-size 1000000 --full-batch-steps 0
   run $A 1e6full_seed0_after --sizes 1e6 --seed 0 --batch-size 1000000 --full-batch-steps 10
   run $A 1e6full_seed1_after --sizes 1e6 --seed 1 --batch-size 1000000 --full-batch-steps 0
   run $B 1e6full_seed1_before --sizes 1e6 --seed 1 --batch-size 1000000 --full-batch-steps 0
   run $A 1e7_seed1_after --sizes 1e7 --seed 1 --full-batch-steps 10
   run $B 1e7_seed1_before --sizes 1e7 --seed 1 --full-batch-steps 0
   echo ALLDONE >> $LOG ;;
2) A=/tmp/svi8_after2
   run $A 1e7_seed0_after2 --sizes 1e7 --seed 0 --full-batch-steps 10
   run $B 1e7_seed0_before2 --sizes 1e7 --seed 0 --full-batch-steps 0
   run $A 1e6full_seed0_after2 --sizes 1e6 --seed 0 --batch-size 1000000 --full-batch-steps 10
   run $A 1e6full_seed1_after2 --sizes 1e6 --seed 1 --batch-size 1000000 --full-batch-steps 0
   run $A 1e7_seed1_after2 --sizes 1e7 --seed 1 --full-batch-steps 10
   echo ALLDONE2 >> $LOG ;;
4) A=/tmp/svi8_final
   run $A 1e7_seed0_final --sizes 1e7 --seed 0 --full-batch-steps 10
   run $A 1e6full_seed0_final --sizes 1e6 --seed 0 --batch-size 1000000 --full-batch-steps 10
   run $B 1e7default_seed0_before --sizes 1e7 --seed 0 --batch-size 10000000 --num-steps 5000 --full-batch-steps 0
   run $A 1e7default_seed0_final --sizes 1e7 --seed 0 --batch-size 10000000 --num-steps 5000 --full-batch-steps 0
   coverage $A final svi_coverage_2pl_20x600_svifloor
   run $A 1e6full_seed1_final --sizes 1e6 --seed 1 --batch-size 1000000 --full-batch-steps 0
   run $A 1e7_seed1_final --sizes 1e7 --seed 1 --full-batch-steps 10
   echo ALLDONE4 >> $LOG ;;
*) echo "usage: $0 1|2|4" >&2; exit 2 ;;
esac
