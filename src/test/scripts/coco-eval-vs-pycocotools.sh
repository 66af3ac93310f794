#!/usr/bin/env bash
# Whole-process COCO evaluation, CocoEvalMain (the command src/site/markdown/coco-eval.md documents) against
# pycocotools, on the cases CocoEvalBenchmark writes, runs alternating; then the 12 stats compared. A benchmark,
# never part of the build: it needs a python that imports pycocotools (PYTHON, default python3; set PYTHONPATH as
# needed).
#
#   mvn -B -q test-compile exec:java -Dexec.classpathScope=test \
#       -Dexec.mainClass=io.github.yoloslim.eval.CocoEvalBenchmark -Dexec.args=target/bench
#   src/test/scripts/coco-eval-vs-pycocotools.sh target/bench [runs] [shape ...]
#
# Prints per shape the median wall and CPU seconds of each, their ratio, our peak heap (the most in use
# before a collection or at exit, from the GC log), and whether the stats are identical. PYCOCOTOOLS=skip
# times ours alone; JAVA_FLAGS adds JVM flags (-Xmx2g, say).
set -euo pipefail
bench=$(realpath "$1")
runs=${2:-3}
shift $(( $# < 2 ? $# : 2 ))
cd "$(dirname "$0")/../../.."
python=${PYTHON:-python3}
out=target/coco-eval-vs-pycocotools
mkdir -p "$out"
mvn -B -q dependency:build-classpath -Dmdep.outputFile="$out/cp.txt" -Dmdep.includeScope=runtime
cp=target/classes:$(cat "$out/cp.txt")
# The JVM flags src/site/markdown/coco-eval.md documents; JAVA_FLAGS adds more (-Xmx2g, say).
flags=(-XX:TieredStopAtLevel=1 ${JAVA_FLAGS:-})
read -r -d '' reference <<'PY' || true
import contextlib, io, json, sys
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
with contextlib.redirect_stdout(io.StringIO()):
    gt = COCO(sys.argv[1])
    e = COCOeval(gt, gt.loadRes(sys.argv[2]), "bbox")
    e.evaluate()
    e.accumulate()
    e.summarize()
print(json.dumps({"stats": [float(s) for s in e.stats]}))
PY

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
# timed <label> <command...>: runs it, output to $out/<label>.json; appends "wall cpu" to $out/<label>.times
timed() {
    local label=$1; shift
    /usr/bin/time -f '%e %U %S' -o "$out/$label.time" "$@" > "$out/$label.json"
    awk '{printf "%s %.2f\n", $1, $2 + $3}' "$out/$label.time" >> "$out/$label.times"
}

shapes=("$@")
if [ ${#shapes[@]} -eq 0 ]; then
    mapfile -t shapes < <(find "$bench" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort)
fi
printf '%-16s %14s %14s %7s %10s  %s\n' shape "pycocotools s" "ours s" ratio "peak heap" "stats (12)"
for shape in "${shapes[@]}"; do
    gt=$bench/$shape/instances.json
    dt=$bench/$shape/detections.json
    rm -f "$out/$shape".*
    for ((r = 0; r < runs; r++)); do
        if [ "${PYCOCOTOOLS:-}" != skip ]; then
            timed "$shape.pycocotools" "$python" -c "$reference" "$gt" "$dt"
        fi
        timed "$shape.ours" java "${flags[@]}" -Xlog:gc,gc+heap+exit:file="$out/$shape.gc.$r" -cp "$cp" \
            io.github.yoloslim.eval.CocoEvalMain "$gt" "$dt"
    done
    mapfile -t w < <(cut -d' ' -f1 "$out/$shape.ours.times")
    mapfile -t c < <(cut -d' ' -f2 "$out/$shape.ours.times")
    ours_s="$(median "${w[@]}") ($(median "${c[@]}"))"
    # The heap in use before each collection and at exit, in MiB; the largest.
    peak=$( (cat "$out/$shape".gc.* | grep -o '[0-9]*M->\|heap .*used [0-9]*K' || true) \
        | sed 's/M->//; s/.*used \([0-9]*\)K/\1 1024/' | awk '{print $2 ? int($1 / $2) : $1}' | sort -n | tail -1)
    if [ "${PYCOCOTOOLS:-}" = skip ]; then
        printf '%-16s %14s %14s %7s %9sM\n' "$shape" - "$ours_s" - "${peak:-?}"
        continue
    fi
    mapfile -t pw < <(cut -d' ' -f1 "$out/$shape.pycocotools.times")
    mapfile -t pc < <(cut -d' ' -f2 "$out/$shape.pycocotools.times")
    ratio=$(awk -v p="$(median "${pw[@]}")" -v o="$(median "${w[@]}")" 'BEGIN {printf "%.1f", p / o}')
    same=$("$python" -c '
import json, sys
a, b = (json.load(open(f))["stats"] for f in sys.argv[1:])
d = max(abs(x - y) for x, y in zip(a, b))
print("identical" if a == b else ("max diff %.2g" % d) + (" (within 1e-9)" if d <= 1e-9 else " DIFFERENT"))
' "$out/$shape.pycocotools.json" "$out/$shape.ours.json")
    printf '%-16s %14s %14s %7s %9sM  %s\n' "$shape" "$(median "${pw[@]}") ($(median "${pc[@]}"))" "$ours_s" \
        "$ratio" "${peak:-?}" "$same"
done
echo "seconds: median wall over $runs runs (median CPU, user + system); ratio of the wall medians"
