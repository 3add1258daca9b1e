#!/usr/bin/env bash
# Train the shipped model on chat conversations only, the loss on the answers alone, in one call:
#   PAIRS=pairs.jsonl.xz OUT=DIR bash tools/train/chat_tune_device.sh
# PAIRS: mined request/answer pairs (mine_pairs.py); MAX_LINES: the longest answer kept (default
# 12). EPOCHS passes over them (default 3) at peak LR (default 2e-4); the result is exported,
# checked and quantised as shipped (finish.py --no-hf); tools/export/fuse_attention.py is applied
# afterwards, on any machine. OUT receives three files (the graph in two parts and logs.tar), so
# two runs fit in the eight files a device call returns.
set -euo pipefail
START=$(date +%s)
cd "$(dirname "$0")/../.."
export PYTHONUNBUFFERED=1
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
PAIRS=${PAIRS:?PAIRS=mined pairs (mine_pairs.py)}
DATA=${DATA:-/tmp/endless-chat}
OUT=${OUT:-/tmp/endless-out}
mkdir -p "$DATA" "$OUT"
nvidia-smi -L
python3 tools/train/chat_windows.py --pairs "$PAIRS" --tokenizer models/default/tokenizer.json --out "$DATA" \
  --max-lines "${MAX_LINES:-12}"
torchrun --standalone --nproc_per_node=1 tools/train/train.py --data "$DATA" --batch "${BATCH:-64}" \
  --lr "${LR:-2e-4}" --init-onnx "${INIT:-models/default/onnx/model.onnx}" --passes "${EPOCHS:-3}" \
  --deadline $((START + ${TRAIN_S:-300}))
python3 tools/train/finish.py --data "$DATA" --repo . --out "$OUT" --no-hf
tar -C "$OUT" -cf "$OUT/logs.tar" run.log sha256.txt results.tar.xz
rm "$OUT/run.log" "$OUT/sha256.txt" "$OUT/results.tar.xz"
echo "total $(( $(date +%s) - START ))s"
