#!/bin/sh
# Stand-in trainer for the tests: speaks the progress protocol of scripts/train/lora_train.py
# (JSON lines with step/loss/eval_loss, a final {"event":"done"}) without any ML library.
mode=ok
out=""
train=""
while [ $# -gt 0 ]; do
  case "$1" in
    --output) out=$2; shift ;;
    --train) train=$2; shift ;;
    --mode) mode=$2; shift ;;
  esac
  shift
done
echo "loading $(wc -l < "$train" | tr -d ' ') training rows"
case $mode in
  fail)
    echo '{"event":"error","message":"CUDA out of memory"}'
    exit 3 ;;
  sleep)
    echo '{"step":1,"loss":2.0}'
    sleep 30
    exit 0 ;;
  noadapter)
    echo '{"step":1,"loss":2.0}'
    exit 0 ;;
esac
echo '{"step":10,"loss":2.5}'
echo 'not json {'
echo '{"step":20,"loss":1.8,"eval_loss":1.9}'
echo '{broken'
mkdir -p "$out"
echo '{"r":8,"lora_alpha":16}' > "$out/adapter_config.json"
printf 'weights' > "$out/adapter_model.safetensors"
echo "{\"event\":\"done\",\"adapter_dir\":\"$out\",\"metrics\":{\"final_loss\":1.8,\"note\":\"ok\"}}"
