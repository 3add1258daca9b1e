#!/usr/bin/env bash
# Train, export and package the bundled model on the GPU machine, in one command of < 10 min.
#   bash tools/train/run_device.sh            the full run
#   bash tools/train/run_device.sh --smoke    every step on a small slice (~2-3 minutes)
# Needs .corpus/ (gather_corpus.py, gather_debian.py) beside the repo's files and the shipped
# tokenizer (models/default/tokenizer.json, reused so that token ids stay the same); uses
# every local GPU. The deadlines fit one H200 (16 CPU cores) in a 10-minute call.
set -euo pipefail
START=$(date +%s)
cd "$(dirname "$0")/../.."
export PYTHONUNBUFFERED=1
# NVLink multicast stays off on shared machines.
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
DATA=${DATA:-/tmp/endless}
OUT=${OUT:-/tmp/endless-out}
NGPU=$(python3 -c 'import torch; print(torch.cuda.device_count())')
TOKENIZER=${TOKENIZER:-models/default/tokenizer.json}
# 131,072 tokens per step whatever the number of GPUs (the step the learning rate was tuned for)
BATCH=$((128 / NGPU))
mkdir -p "$DATA" "$OUT"
nvidia-smi -L
if [ "${1:-}" = "--smoke" ]; then
  python3 tools/train/prepare_data.py --corpus .corpus --out "$DATA" --tokenizer "$TOKENIZER" --smoke
  torchrun --standalone --nproc_per_node="$NGPU" tools/train/train.py --data "$DATA" \
    --deadline $((START + 170)) --max-steps 30 --batch "$BATCH"
  python3 tools/train/finish.py --data "$DATA" --repo . --out "$OUT" --smoke
else
  PREP_END=${PREP_END:-$((START + 140))}
  TRAIN_END=${TRAIN_END:-$((START + 455))}
  python3 tools/train/prepare_data.py --corpus .corpus --out "$DATA" --tokenizer "$TOKENIZER" --deadline "$PREP_END"
  # INIT_ONNX=models/default/onnx/model.onnx continues from the shipped weights (LR=1e-3 suits that)
  torchrun --standalone --nproc_per_node="$NGPU" tools/train/train.py --data "$DATA" --deadline "$TRAIN_END" \
    --batch "$BATCH" --lr "${LR:-2e-3}" ${INIT_ONNX:+--init-onnx "$INIT_ONNX"}
  python3 tools/train/finish.py --data "$DATA" --repo . --out "$OUT"
fi
echo "total $(( $(date +%s) - START ))s"
