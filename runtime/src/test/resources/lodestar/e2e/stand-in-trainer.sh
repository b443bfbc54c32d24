#!/bin/sh
# Stand-in for scripts/train/lora_train.py in the learning end-to-end test: POSIX sh only (no
# Python packages, no GPU). It reads the dataset the way the real trainer is handed it, speaks
# the same JSON-line progress protocol that the command backend reads, and writes an adapter
# folder (adapter_config.json + adapter_model.safetensors) whose bytes depend on the data and
# hyper-parameters, so that two trainings give two different blobs.
set -eu
train=""
validation=""
out=""
params=""
while [ $# -gt 0 ]; do
  case "$1" in
    --train) train=$2; shift ;;
    --validation) validation=$2; shift ;;
    --output) out=$2; shift ;;
    --params) params=$2; shift ;;
  esac
  shift
done
if [ ! -s "$train" ]; then
  echo '{"event":"error","message":"empty or missing training file"}'
  exit 2
fi
rows=$(wc -l < "$train" | tr -d ' ')
vrows=0
if [ -f "$validation" ]; then
  vrows=$(wc -l < "$validation" | tr -d ' ')
fi
# every training row must be a chat example whose last message is the assistant's answer
if ! grep -q '"role":"assistant"' "$train"; then
  echo '{"event":"error","message":"no assistant turn in the training rows"}'
  exit 3
fi
echo "stand-in trainer: $rows training rows, $vrows validation rows"
echo "not a JSON line: the backend logs it and reads on"
epochs=$(sed -n 's/.*"epochs" *: *"\{0,1\}\([0-9]*\).*/\1/p' "$params" | head -n 1)
epochs=${epochs:-1}
steps=$((rows * epochs))
step=1
while [ "$step" -le "$steps" ]; do
  # the loss falls as 2/step, printed with two decimals
  loss=$((200 / step))
  printf '{"step":%d,"loss":%d.%02d,"epoch":%d}\n' "$step" $((loss / 100)) $((loss % 100)) \
    $(( (step - 1) / rows + 1 ))
  step=$((step + 1))
done
printf '{"step":%d,"loss":0.50,"eval_loss":0.75}\n' "$steps"
mkdir -p "$out"
printf '{"r":16,"lora_alpha":32,"target_modules":["q_proj","v_proj"],"epochs":%d}\n' \
  "$epochs" > "$out/adapter_config.json"
{ printf 'stand-in weights, epochs %d, trained on:\n' "$epochs"; cat "$train"; } \
  > "$out/adapter_model.safetensors"
printf '{"event":"done","adapter_dir":"%s","metrics":{"train_rows":%d,"final_loss":0.5}}\n' \
  "$out" "$rows"
