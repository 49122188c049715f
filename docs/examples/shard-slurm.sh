#!/usr/bin/env bash
# A class judged by a Slurm job array: array task K judges shard K of N, the merge joins them.
#
#   export TORCHREF_SEED=123456          # one seed for every shard (keep it secret from the learners)
#   sbatch shard-slurm.sh                # the array: 4 tasks, each one shard
#   torchref merge shards/shard-*.json --csv grades.csv --html report/   # once all have finished
#
# (or, in one go: sbatch --dependency=afterok:<array job id> --wrap "torchref merge shards/shard-*.json ...")
# sbatch passes the submitting shell's environment to every task (--export=ALL, its default): TORCHREF_SEED too.
#SBATCH --job-name=torchref-class
#SBATCH --array=1-4
#SBATCH --cpus-per-task=2
#SBATCH --time=01:00:00
#SBATCH --output=shard-%a.log
set -uo pipefail
class="${TORCHREF_CLASS:-class}"       # the folder of the class: a folder per student
shards="${TORCHREF_SHARDS:-shards}"    # where each task writes its shard's JSON
: "${TORCHREF_SEED:?set TORCHREF_SEED, the same for every shard, before sbatch}"
k="$SLURM_ARRAY_TASK_ID"
n="${SLURM_ARRAY_TASK_COUNT:-4}"
mkdir -p "$shards"
# exit status 1 (a wrong file) and 2 (a file that could not be judged) are grades, held in the JSON
torchref check "$class" --model shallow --recursive --quiet --jobs "${SLURM_CPUS_PER_TASK:-2}" \
    --shard "$k/$n" --json "$shards/shard-$k.json"
test -s "$shards/shard-$k.json"   # the task failed only if its shard's JSON was not written
