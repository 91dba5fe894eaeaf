#!/usr/bin/env bash
# Idle-machine measurements of the merged main (eighth session), run by the lead.
set -u
M=/tmp/idle_main; rm -rf $M /tmp/idle_cache; mkdir -p /tmp/idle_cache
git -C /work/main archive HEAD | (mkdir -p $M && tar -x -C $M)
PY=/work/main/.venv/bin/python
OUT=/tmp/idle_out; mkdir -p $OUT
echo "start $(date -u +%T) $(uptime)" > $OUT/runs.log
cd $M/benchmarks/irt
$PY nuts_fresh.py --trees $M --cases 2pl-20x600 --seeds 1 2 3 --cache-root /tmp/idle_cache --out $OUT/nuts_fresh_idle.jsonl > $OUT/nuts_fresh_idle.log 2>&1
echo "nuts_fresh done $(date -u +%T) $(uptime)" >> $OUT/runs.log
cd $M
PYTHONPATH=$M $PY benchmarks/gap/bench_cold.py --inference nuts --repeats 3 --out $OUT/cold_nuts_idle.jsonl > $OUT/cold_nuts_idle.log 2>&1
echo "bench_cold done $(date -u +%T) $(uptime)" >> $OUT/runs.log
cd $M/benchmarks/irt
PYTHONPATH=$M $PY svi_scaling.py --sizes 1e7 --seed 0 --full-batch-steps 10 --json $OUT/svi_scaling_1e7_idle.json > $OUT/svi_scaling_1e7_idle.log 2>&1
echo "svi_scaling done $(date -u +%T) $(uptime)" >> $OUT/runs.log
