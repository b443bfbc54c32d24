#!/usr/bin/env python3
"""LoRA / QLoRA trainer for Lodestar's learning loop (the `command` training backend).

Reads a dataset written by `lodestar:dataset build` (train.jsonl / validation.jsonl, one
{"messages": [...]} chat per line, the answer last), trains a LoRA adapter on top of a base
model with transformers + peft (QLoRA through bitsandbytes when it is installed, a GPU is
present and --qlora is not "off"), and writes the adapter (adapter_config.json +
adapter_model.safetensors) to --output.

Protocol (what the Java side reads, one JSON object per stdout line; anything else is log):
  {"step": 12, "loss": 1.234, "epoch": 0.5}            progress after each optimizer step
  {"step": 20, "loss": 1.1, "eval_loss": 1.3}          ... with the validation loss
  {"event": "done", "adapter_dir": "...", "metrics": {...}}   last line on success (exit 0)
  {"event": "error", "message": "..."}                  on failure (exit 1)

Only the answer (the last assistant message) is trained on: prompt tokens are masked.

  python3 lora_train.py --train T.jsonl --validation V.jsonl --output OUT \
      --base-model meta-llama/Llama-3.2-1B-Instruct --params params.json
  python3 lora_train.py --self-test [--train T.jsonl]   # tiny random Llama, no download

Hyper-parameters (--params JSON file, string or number values; defaults in brackets):
  epochs [1], max_steps [0 = from epochs], learning_rate [2e-4], batch_size [1],
  grad_accum [8], max_seq_len [2048], lora_r [16], lora_alpha [32], lora_dropout [0.05],
  target_modules [q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj],
  warmup_steps [0], eval_every [50], seed [42], qlora [auto|on|off; true/false too],
  dtype [auto = bfloat16 on a GPU that has it, else float32 | float32 | bfloat16 | float16]
  (auto never trains in float16: without a loss scaler its gradients overflow)
"""

import argparse
import json
import math
import os
import random
import shutil
import sys
import tempfile
import traceback

DEFAULTS = {
    "epochs": 1, "max_steps": 0, "learning_rate": 2e-4, "batch_size": 1, "grad_accum": 8,
    "max_seq_len": 2048, "lora_r": 16, "lora_alpha": 32, "lora_dropout": 0.05,
    "target_modules": "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj",
    "warmup_steps": 0, "eval_every": 50, "seed": 42, "qlora": "auto", "dtype": "auto",
}
INTS = {"epochs", "max_steps", "batch_size", "grad_accum", "max_seq_len", "lora_r",
        "lora_alpha", "warmup_steps", "eval_every", "seed"}
FLOATS = {"learning_rate", "lora_dropout"}
MINIMA = {"epochs": 1, "max_steps": 0, "batch_size": 1, "grad_accum": 1, "max_seq_len": 8,
          "lora_r": 1, "lora_alpha": 1, "warmup_steps": 0, "eval_every": 0}
QLORA = {"auto": "auto", "on": "on", "true": "on", "yes": "on", "1": "on",
         "off": "off", "false": "off", "no": "off", "0": "off"}
DTYPES = {"auto": "auto", "float32": "float32", "fp32": "float32", "bfloat16": "bfloat16",
          "bf16": "bfloat16", "float16": "float16", "fp16": "float16"}


def emit(obj):
    """One protocol line on stdout, flushed at once."""
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def log(text):
    """A log line (not JSON) on stdout."""
    sys.stdout.write(str(text) + "\n")
    sys.stdout.flush()


def params_from(path, overrides=None):
    """Hyper-parameters: defaults, then the --params file, then overrides; typed."""
    out = dict(DEFAULTS)
    if path:
        with open(path, encoding="utf-8") as f:
            out.update(json.load(f))
    out.update(overrides or {})
    for key in INTS:
        out[key] = int(float(out[key]))
    for key in FLOATS:
        out[key] = float(out[key])
    if isinstance(out["target_modules"], str):
        out["target_modules"] = [m.strip() for m in out["target_modules"].split(",")
                                 if m.strip()]
    out["qlora"] = QLORA.get(str(out["qlora"]).strip().lower())
    if out["qlora"] is None:
        raise ValueError("qlora must be auto, on or off, not %r" % params_value(path, overrides,
                                                                              "qlora"))
    out["dtype"] = DTYPES.get(str(out["dtype"]).strip().lower())
    if out["dtype"] is None:
        raise ValueError("dtype must be auto, float32, bfloat16 or float16, not %r"
                         % params_value(path, overrides, "dtype"))
    for key, least in MINIMA.items():
        if out[key] < least:
            raise ValueError("%s must be at least %s, not %s" % (key, least, out[key]))
    if not out["learning_rate"] > 0:
        raise ValueError("learning_rate must be positive, not %s" % out["learning_rate"])
    if not out["target_modules"]:
        raise ValueError("target_modules must name at least one module")
    return out


def params_value(path, overrides, key):
    """The raw value of a setting as given (for error messages)."""
    given = dict(DEFAULTS)
    if path:
        with open(path, encoding="utf-8") as f:
            given.update(json.load(f))
    given.update(overrides or {})
    return given.get(key)


def dtype_name(setting, cuda, bf16):
    """The dtype to load the base model in: float32 on a CPU or when asked, else bfloat16
    where the GPU has it; float16 only when asked for."""
    if setting != "auto":
        return setting
    return "bfloat16" if cuda and bf16 else "float32"


def accumulation(grad_accum, batches_per_epoch):
    """Micro-batches per optimizer step: never more than one epoch holds."""
    return max(1, min(grad_accum, batches_per_epoch))


def read_jsonl(path):
    """The conversations of a dataset file (missing or empty file: none)."""
    rows = []
    if not path or not os.path.exists(path):
        return rows
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            row = json.loads(line)
            messages = row.get("messages") if isinstance(row, dict) else None
            if not isinstance(messages, list) or not messages \
                    or not all(isinstance(m, dict) for m in messages) \
                    or messages[-1].get("role") != "assistant":
                raise ValueError("%s:%d: not a chat ending with the assistant's answer"
                                 % (path, number))
            rows.append(row)
    return rows


def plain_render(messages, add_generation_prompt=False):
    """A simple chat layout for tokenizers without a chat template."""
    parts = []
    for m in messages:
        content = m.get("content")
        if content is None and m.get("tool_calls"):
            content = json.dumps(m["tool_calls"], separators=(",", ":"))
        parts.append("<|%s|>\n%s\n" % (m.get("role", "user"), content or ""))
    if add_generation_prompt:
        parts.append("<|assistant|>\n")
    return "".join(parts)


def render(tokenizer, messages, tools=None, add_generation_prompt=False):
    """The text of a chat: the tokenizer's chat template when it has one, else plain."""
    if getattr(tokenizer, "chat_template", None):
        try:
            kwargs = {"tokenize": False, "add_generation_prompt": add_generation_prompt}
            if tools:
                kwargs["tools"] = tools
            return tokenizer.apply_chat_template(messages, **kwargs)
        except Exception:  # template cannot take tool calls etc.: fall back
            pass
    return plain_render(messages, add_generation_prompt)


def encode(tokenizer, row, max_len):
    """input_ids and labels of one chat; only the answer's tokens are learned.

    Returns None when nothing of the answer fits in max_len."""
    messages = row["messages"]
    tools = row.get("tools")
    prompt = render(tokenizer, messages[:-1], tools, add_generation_prompt=True)
    full = render(tokenizer, messages, tools)
    if not full.startswith(prompt):
        prompt = plain_render(messages[:-1], True)
        full = plain_render(messages)
    eos = tokenizer.eos_token or ""
    if eos and not full.endswith(eos):
        full += eos
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    full_ids = tokenizer(full, add_special_tokens=False)["input_ids"]
    if tokenizer.bos_token_id is not None and not full.startswith(tokenizer.bos_token or "\0"):
        prompt_ids = [tokenizer.bos_token_id] + prompt_ids
        full_ids = [tokenizer.bos_token_id] + full_ids
    cut = min(len(prompt_ids), len(full_ids))
    labels = [-100] * cut + full_ids[cut:]
    input_ids = full_ids[:max_len]
    labels = labels[:max_len]
    if all(label == -100 for label in labels):
        return None
    return {"input_ids": input_ids, "labels": labels}


def batches(examples, size, pad_id, shuffle, rng):
    """Padded batches (lists), in a shuffled order when asked."""
    order = list(range(len(examples)))
    if shuffle:
        rng.shuffle(order)
    for start in range(0, len(order), size):
        chunk = [examples[i] for i in order[start:start + size]]
        width = max(len(e["input_ids"]) for e in chunk)
        yield {
            "input_ids": [e["input_ids"] + [pad_id] * (width - len(e["input_ids"]))
                          for e in chunk],
            "labels": [e["labels"] + [-100] * (width - len(e["labels"])) for e in chunk],
            "attention_mask": [[1] * len(e["input_ids"]) + [0] * (width - len(e["input_ids"]))
                               for e in chunk],
        }


def want_qlora(setting, torch):
    """Whether to load the base in 4 bits: needs CUDA and bitsandbytes."""
    if setting == "off":
        return False
    try:
        import bitsandbytes  # noqa: F401
        available = torch.cuda.is_available()
    except Exception:
        available = False
    if setting == "on" and not available:
        raise RuntimeError("qlora=on needs a CUDA GPU and the bitsandbytes package")
    return available


def load(base_model, params, torch):
    """The base model with a fresh LoRA adapter, and its tokenizer."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_model)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    import transformers

    cuda = torch.cuda.is_available()
    bf16 = cuda and torch.cuda.is_bf16_supported()
    # transformers 4.56 renamed torch_dtype to dtype (the old name still works, with a warning)
    version = tuple(int(p) for p in transformers.__version__.split(".")[:2] if p.isdigit())
    dtype_key = "dtype" if version >= (4, 56) else "torch_dtype"
    kwargs = {}
    if want_qlora(params["qlora"], torch):
        from transformers import BitsAndBytesConfig
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.bfloat16 if bf16 else torch.float16)
        kwargs["device_map"] = {"": 0}
        log("QLoRA: base loaded in 4 bits (Ollama recommends non-quantized LoRA adapters)")
    else:
        name = dtype_name(params["dtype"], cuda, bf16)
        kwargs[dtype_key] = getattr(torch, name)
        log("base loaded in %s" % name)
    model = AutoModelForCausalLM.from_pretrained(base_model, **kwargs)
    if "quantization_config" in kwargs:
        from peft import prepare_model_for_kbit_training
        model = prepare_model_for_kbit_training(model)
    elif cuda:
        model = model.to("cuda")
    present = {name.split(".")[-1] for name, _ in model.named_modules()}
    targets = [m for m in params["target_modules"] if m in present]
    if not targets:
        raise RuntimeError("none of target_modules %s is in the model"
                           % params["target_modules"])
    config = LoraConfig(r=params["lora_r"], lora_alpha=params["lora_alpha"],
                        lora_dropout=params["lora_dropout"], target_modules=targets,
                        bias="none", task_type="CAUSAL_LM")
    model = get_peft_model(model, config)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    log("LoRA on %s: %d trainable of %d parameters" % (",".join(targets), trainable, total))
    return model, tokenizer


def to_device(batch, device, torch):
    return {k: torch.tensor(v, dtype=torch.long, device=device) for k, v in batch.items()}


def evaluate(model, examples, params, pad_id, torch):
    """Mean loss over the validation examples, or None without any."""
    if not examples:
        return None
    device = next(model.parameters()).device
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in batches(examples, params["batch_size"], pad_id, False, None):
            out = model(**to_device(batch, device, torch))
            total += float(out.loss)
            count += 1
    model.train()
    return total / max(1, count)


def train(train_path, validation_path, output, base_model, params, on_step=None):
    """Trains and saves the adapter; returns the metrics."""
    import torch

    random.seed(params["seed"])
    torch.manual_seed(params["seed"])
    model, tokenizer = load(base_model, params, torch)
    encoded = [encode(tokenizer, r, params["max_seq_len"]) for r in read_jsonl(train_path)]
    examples = [e for e in encoded if e]
    held = [encode(tokenizer, r, params["max_seq_len"]) for r in read_jsonl(validation_path)]
    validation = [e for e in held if e]
    if not examples:
        raise RuntimeError("no training example fits max_seq_len=%d" % params["max_seq_len"])
    log("%d training and %d validation examples (%d too long, skipped)"
        % (len(examples), len(validation), len(encoded) - len(examples)))
    per_epoch = math.ceil(len(examples) / params["batch_size"])
    accum = accumulation(params["grad_accum"], per_epoch)
    if accum != params["grad_accum"]:
        log("grad_accum %d is more than the %d batches of an epoch: %d"
            % (params["grad_accum"], per_epoch, accum))
    steps = params["max_steps"] or max(1, math.ceil(per_epoch * params["epochs"] / accum))
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=params["learning_rate"])
    warmup = params["warmup_steps"]
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) if warmup else 1.0)
    device = next(model.parameters()).device
    pad_id = tokenizer.pad_token_id
    rng = random.Random(params["seed"])
    model.train()
    step, micro, running, losses = 0, 0, 0.0, []
    metrics = {}
    while step < steps:
        for batch in batches(examples, params["batch_size"], pad_id, True, rng):
            out = model(**to_device(batch, device, torch))
            (out.loss / accum).backward()
            running += float(out.loss)
            micro += 1
            if micro % accum:
                continue
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            loss = running / accum
            running = 0.0
            losses.append(loss)
            line = {"step": step, "loss": round(loss, 6),
                    "epoch": round(micro / per_epoch, 4)}
            if step == steps or (params["eval_every"] and step % params["eval_every"] == 0):
                eval_loss = evaluate(model, validation, params, pad_id, torch)
                if eval_loss is not None:
                    line["eval_loss"] = round(eval_loss, 6)
                    metrics["eval_loss"] = line["eval_loss"]
            emit(line)
            if on_step:
                on_step(step, loss)
            if step >= steps:
                break
    os.makedirs(output, exist_ok=True)
    model.save_pretrained(output, safe_serialization=True)
    metrics.update({"steps": step, "loss": round(losses[-1], 6),
                    "first_loss": round(losses[0], 6), "train_examples": len(examples),
                    "validation_examples": len(validation)})
    return metrics


def sample_rows():
    """A small dataset in the builder's format (used when --self-test has no --train)."""
    topics = ["reverse a list", "parse a date", "read a file", "sort a dict by value",
              "count words", "merge two lists", "check a palindrome", "flatten a list"]
    rows = []
    for i, topic in enumerate(topics * 3):
        rows.append({"messages": [
            {"role": "system", "content": "You are a concise coding assistant."},
            {"role": "user", "content": "In Python, how do I %s? (%d)" % (topic, i)},
            {"role": "assistant", "content": "Use a small function: def f(x): return x  "
                                             "# %s, variant %d" % (topic, i % 3)}]})
    return rows


def tiny_base(folder, rows, torch):
    """A tiny random Llama and a byte-level BPE tokenizer trained on the rows; no download."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    texts = [plain_render(r["messages"]) for r in rows]
    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<unk>", "<s>", "</s>", "<pad>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<s>",
                                        eos_token="</s>", unk_token="<unk>", pad_token="<pad>")
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4,
                         max_position_embeddings=512, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id)
    model = LlamaForCausalLM(config)
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)


def self_test(train_path, keep):
    """Trains a LoRA adapter on a tiny random Llama and checks loss falls and it loads back."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    work = tempfile.mkdtemp(prefix="lodestar-lora-selftest-")
    try:
        if train_path:
            rows = read_jsonl(train_path)
            log("self-test on %s (%d rows)" % (train_path, len(rows)))
        else:
            rows = sample_rows()
            train_path = os.path.join(work, "train.jsonl")
            with open(train_path, "w", encoding="utf-8") as f:
                for row in rows:
                    f.write(json.dumps(row) + "\n")
            log("self-test on %d built-in rows" % len(rows))
        if not rows:
            raise RuntimeError("the self-test dataset is empty")
        base = os.path.join(work, "base")
        tiny_base(base, rows, torch)
        output = os.path.join(work, "adapter")
        params = params_from(None, {"max_steps": 40, "learning_rate": 3e-3, "batch_size": 4,
                                    "grad_accum": 1, "max_seq_len": 256, "lora_r": 8,
                                    "lora_alpha": 16, "lora_dropout": 0.0, "eval_every": 0,
                                    "qlora": "off", "seed": 1,
                                    "dtype": "float32"})
        losses = []
        metrics = train(train_path, train_path, output, base, params,
                        on_step=lambda s, l: losses.append(l))
        first = sum(losses[:5]) / 5
        last = sum(losses[-5:]) / 5
        if not last < first * 0.9:
            raise AssertionError("loss did not fall: first steps %.4f, last steps %.4f"
                                 % (first, last))
        for name in ("adapter_config.json", "adapter_model.safetensors"):
            if not os.path.isfile(os.path.join(output, name)):
                raise AssertionError("the adapter has no " + name)
        tokenizer = AutoTokenizer.from_pretrained(base)
        example = encode(tokenizer, rows[0], params["max_seq_len"])
        batch = {"input_ids": torch.tensor([example["input_ids"]]),
                 "labels": torch.tensor([example["labels"]])}
        plain = AutoModelForCausalLM.from_pretrained(base)
        plain.eval()
        with torch.no_grad():
            base_loss = float(plain(**batch).loss)
        loaded = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), output)
        loaded.eval()
        with torch.no_grad():
            adapted_loss = float(loaded(**batch).loss)
        if not adapted_loss < base_loss:
            raise AssertionError("the reloaded adapter does not help: %.4f vs base %.4f"
                                 % (adapted_loss, base_loss))
        metrics.update({"self_test": "passed", "mean_first5": round(first, 6),
                        "mean_last5": round(last, 6), "reloaded_loss": round(adapted_loss, 6),
                        "base_loss": round(base_loss, 6)})
        adapter_dir = output
        if keep:
            os.makedirs(keep, exist_ok=True)
            for name in os.listdir(output):
                shutil.copy2(os.path.join(output, name), keep)
            adapter_dir = keep
        emit({"event": "done", "adapter_dir": os.path.abspath(adapter_dir), "metrics": metrics})
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", help="train.jsonl of a Lodestar dataset")
    parser.add_argument("--validation", help="validation.jsonl (may be empty)")
    parser.add_argument("--output", help="folder the adapter is written to")
    parser.add_argument("--base-model", help="Hugging Face id or local folder of the base")
    parser.add_argument("--params", help="JSON file of hyper-parameters")
    parser.add_argument("--self-test", action="store_true",
                        help="train a tiny random Llama (no download) and check the result")
    args = parser.parse_args(argv)
    try:
        if args.self_test:
            self_test(args.train, args.output)
            return 0
        missing = [n for n in ("train", "output", "base_model") if not getattr(args, n)]
        if missing:
            raise ValueError("missing --" + ", --".join(m.replace("_", "-") for m in missing))
        params = params_from(args.params)
        log("hyper-parameters: " + json.dumps(params, sort_keys=True))
        metrics = train(args.train, args.validation, args.output, args.base_model, params)
        emit({"event": "done", "adapter_dir": os.path.abspath(args.output),
              "metrics": metrics})
        return 0
    except KeyboardInterrupt:
        emit({"event": "error", "message": "interrupted"})
        return 130
    except Exception as e:  # the Java side reads the message
        traceback.print_exc(file=sys.stdout)
        emit({"event": "error", "message": "%s: %s" % (type(e).__name__, e)})
        return 1


if __name__ == "__main__":
    sys.exit(main())
