#!/bin/bash
PY=/work/main/.venv/bin/python
OUT=/work/wt-svi/benchmarks/irt/results
echo "== 1e7_after2 (HEAD $(cd /work/wt-svi && git rev-parse --short HEAD)) $(date -u +%H:%M:%S) $(uptime)" >> /tmp/svi7/bench2.log
(cd /tmp/svi7_after2/benchmarks/irt && PYTHONPATH=/tmp/svi7_after2 $PY svi_scaling.py --sizes 1e7 --seed 0 --full-batch-steps 0 --json $OUT/svi_scaling_1e7_after2_svistep.json > $OUT/svi_scaling_1e7_after2_svistep.log 2>&1)
echo "   done $(date -u +%H:%M:%S) rc=$? $(uptime)" >> /tmp/svi7/bench2.log
echo "== 1e7_before2 (d4a8fc1) $(date -u +%H:%M:%S) $(uptime)" >> /tmp/svi7/bench2.log
(cd /tmp/svi7_main/benchmarks/irt && PYTHONPATH=/tmp/svi7_main $PY svi_scaling.py --sizes 1e7 --seed 0 --full-batch-steps 0 --json $OUT/svi_scaling_1e7_before2_svistep.json > $OUT/svi_scaling_1e7_before2_svistep.log 2>&1)
echo "   done $(date -u +%H:%M:%S) rc=$? $(uptime)" >> /tmp/svi7/bench2.log
echo ALLDONE >> /tmp/svi7/bench2.log
