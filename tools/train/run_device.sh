#!/usr/bin/env bash
# Train, export and package the bundled model on the GPU machine, in one command of < 10 min.
#   bash tools/train/run_device.sh            the full run
#   bash tools/train/run_device.sh --smoke    every step on a small slice (~2-3 minutes)
# Needs .corpus/ (tools/train/gather_corpus.py) beside the repo's files; uses every local GPU.
set -euo pipefail
START=$(date +%s)
cd "$(dirname "$0")/../.."
export PYTHONUNBUFFERED=1
# NVLink multicast stays off on shared machines.
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
DATA=${DATA:-/tmp/endless}
OUT=${OUT:-/tmp/endless-out}
NGPU=$(python3 -c 'import torch; print(torch.cuda.device_count())')
mkdir -p "$DATA" "$OUT"
nvidia-smi -L
if [ "${1:-}" = "--smoke" ]; then
  python3 tools/train/prepare_data.py --corpus .corpus --out "$DATA" --smoke
  torchrun --standalone --nproc_per_node="$NGPU" tools/train/train.py --data "$DATA" \
    --deadline $((START + 170)) --max-steps 30
  python3 tools/train/finish.py --data "$DATA" --repo . --out "$OUT" --smoke
else
  PREP_END=${PREP_END:-$((START + 110))}
  TRAIN_END=${TRAIN_END:-$((START + 465))}
  python3 tools/train/prepare_data.py --corpus .corpus --out "$DATA" --deadline "$PREP_END"
  torchrun --standalone --nproc_per_node="$NGPU" tools/train/train.py --data "$DATA" --deadline "$TRAIN_END"
  python3 tools/train/finish.py --data "$DATA" --repo . --out "$OUT"
fi
echo "total $(( $(date +%s) - START ))s"
