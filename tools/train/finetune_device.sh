#!/usr/bin/env bash
# Continue training the shipped model on one GPU, in one call of about 5 minutes:
#   CORPUS=DIR bash tools/train/finetune_device.sh [--smoke]
# CORPUS holds js-train.jsonl.xz, js-heldout.jsonl.xz and py-train.jsonl.xz
# (subsample_corpus.py makes copies small enough to carry). The starting weights are read back
# from the shipped int4 graph (onnx_weights.py), the shipped tokenizer is reused, and the
# result is exported and quantised as shipped (finish.py); tools/export/fuse_attention.py is
# applied afterwards, on any machine. BASELINE=1 also measures the starting weights' stream
# perplexities (about 45 s more). HF=1 also exports and quantises the Hugging Face "decoder with
# past" graph of the same weights (bench/models/default-hf). INIT names other starting weights;
# SKIP_PREP=1 trains again on the data a previous call prepared in DATA (the machine is kept
# between calls while it is warm); PREP_ONLY=1 makes such a call, for data too large to prepare
# and train on within one call. PASSES=1 ends the schedule after one pass over the data even
# when TRAIN_S leaves time. PAIRS adds short chat pairs mined from earlier corpora. SHAPE
# (HIDDEN,LAYERS,HEADS,KV_HEADS,MLP) trains another shape, grown from the starting weights
# (grow.py: a wider MLP, fewer KV heads). RESUME=1 (with SKIP_PREP=1) trains on from the model a
# previous call left in DATA, over the windows it had not reached, and exports again. SCHEDULE_S
# spreads one learning-rate schedule over that many seconds of training in several such calls
# (each stops at TRAIN_S; RESUME=1 goes on with the schedule and the optimizer state); NO_EXPORT=1
# skips the export of a call that a resumed one will follow.
set -euo pipefail
START=$(date +%s)
cd "$(dirname "$0")/../.."
export PYTHONUNBUFFERED=1
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
CORPUS=${CORPUS:?CORPUS=folder of the corpus files}
DATA=${DATA:-/tmp/endless}
OUT=${OUT:-/tmp/endless-out}
NGPU=$(python3 -c 'import torch; print(torch.cuda.device_count())')
BATCH=$((128 / NGPU))
INIT=${INIT:-models/default/onnx/model.onnx}
TRAIN_ARGS=(--batch "$BATCH" --lr "${LR:-6e-4}" --init-onnx "$INIT" ${SHAPE:+--shape "$SHAPE"} ${RESUME:+--resume}
            ${SCHEDULE_S:+--schedule-s "$SCHEDULE_S"})
mkdir -p "$DATA" "$OUT"
nvidia-smi -L
# Editor-shaped FIM on 80% of code documents; each source seen in fresh cuts per pass; the
# machine's own Python (what the shipped model was trained on) as a thinned replay; no C/C++.
PREP=(--corpus "$CORPUS" --out "$DATA" --tokenizer models/default/tokenizer.json --fim-rate 0.8 --editor-fim
      --js-repeat "${JS_REPEAT:-2}" --py-repeat "${PY_REPEAT:-1}" --disk-py-every "${DISK_PY_EVERY:-6}"
      --py-cap-mb "${PY_CAP_MB:-400}" --c-cap-mb 0)
# PAIRS: short mined pairs from earlier corpora (mine_pairs.py), PAIRS_REPEAT conversations each.
[ -z "${PAIRS:-}" ] || PREP+=(--pairs "$PAIRS" --pairs-repeat "${PAIRS_REPEAT:-1}")
if [ "${1:-}" = "--smoke" ]; then
  python3 tools/train/prepare_data.py "${PREP[@]}" --smoke
  torchrun --standalone --nproc_per_node="$NGPU" tools/train/train.py --data "$DATA" --deadline $((START + 120)) \
    --max-steps 20 "${TRAIN_ARGS[@]}"
  python3 tools/train/finish.py --data "$DATA" --repo . --out "$OUT" --smoke --no-hf
else
  [ -n "${SKIP_PREP:-}" ] || python3 tools/train/prepare_data.py "${PREP[@]}" --deadline $((START + ${PREP_S:-60}))
  [ -z "${PREP_ONLY:-}" ] || { echo "prepared in $DATA ($(( $(date +%s) - START ))s)"; exit 0; }
  torchrun --standalone --nproc_per_node="$NGPU" tools/train/train.py --data "$DATA" \
    --deadline $((START + ${TRAIN_S:-190})) "${TRAIN_ARGS[@]}" --passes "${PASSES:-0}"
  [ -z "${NO_EXPORT:-}" ] || { echo "trained in $DATA, not exported ($(( $(date +%s) - START ))s)"; exit 0; }
  python3 tools/train/finish.py --data "$DATA" --repo . --out "$OUT" $([ -n "${HF:-}" ] || echo --no-hf) ${BASELINE:+--baseline-onnx "$INIT"}
fi
echo "total $(( $(date +%s) - START ))s"
