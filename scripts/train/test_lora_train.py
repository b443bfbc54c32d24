"""Tests of lora_train.py's data handling; they need no ML library (python3 -m unittest)."""

import json
import os
import tempfile
import unittest

import lora_train


class CharTokenizer:
    """One token per character; enough to test masking and padding."""
    chat_template = None
    eos_token = "$"
    bos_token = "^"
    bos_token_id = 1

    def __call__(self, text, add_special_tokens=False):
        return {"input_ids": [ord(c) for c in text]}


class LoraTrainTest(unittest.TestCase):

    def test_params_are_typed_and_overridable(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"epochs": "2", "learning_rate": "0.001", "target_modules": "q_proj, v_proj"},
                      f)
        try:
            p = lora_train.params_from(f.name, {"lora_r": "4"})
        finally:
            os.unlink(f.name)
        self.assertEqual(p["epochs"], 2)
        self.assertEqual(p["learning_rate"], 0.001)
        self.assertEqual(p["lora_r"], 4)
        self.assertEqual(p["target_modules"], ["q_proj", "v_proj"])
        self.assertEqual(p["qlora"], "auto")

    def test_only_the_answer_is_learned(self):
        row = {"messages": [{"role": "user", "content": "hi"},
                            {"role": "assistant", "content": "yo"}]}
        e = lora_train.encode(CharTokenizer(), row, 100)
        prompt = "<|user|>\nhi\n<|assistant|>\n"
        self.assertEqual(e["input_ids"][0], 1)
        self.assertEqual(len(e["input_ids"]), 1 + len(prompt) + len("yo\n$"))
        learned = [chr(t) for t in e["labels"] if t != -100]
        self.assertEqual("".join(learned), "yo\n$")
        self.assertIsNone(lora_train.encode(CharTokenizer(), row, 5))

    def test_tool_calls_render_as_json(self):
        text = lora_train.plain_render([{"role": "assistant", "tool_calls": [{"id": "t"}]}])
        self.assertEqual(text, '<|assistant|>\n[{"id":"t"}]\n')

    def test_batches_are_padded(self):
        ex = [{"input_ids": [5, 6, 7], "labels": [-100, 6, 7]},
              {"input_ids": [8], "labels": [8]}]
        b = list(lora_train.batches(ex, 2, 0, False, None))[0]
        self.assertEqual(b["input_ids"], [[5, 6, 7], [8, 0, 0]])
        self.assertEqual(b["labels"], [[-100, 6, 7], [8, -100, -100]])
        self.assertEqual(b["attention_mask"], [[1, 1, 1], [1, 0, 0]])

    def test_datasets_must_end_with_the_answer(self):
        with tempfile.TemporaryDirectory() as d:
            good = os.path.join(d, "t.jsonl")
            with open(good, "w") as f:
                for row in lora_train.sample_rows():
                    f.write(json.dumps(row) + "\n")
                f.write("\n")
            self.assertEqual(len(lora_train.read_jsonl(good)), 24)
            bad = os.path.join(d, "b.jsonl")
            with open(bad, "w") as f:
                f.write('{"messages":[{"role":"user","content":"x"}]}\n')
            with self.assertRaises(ValueError):
                lora_train.read_jsonl(bad)
            self.assertEqual(lora_train.read_jsonl(os.path.join(d, "none.jsonl")), [])

    def test_errors_follow_the_protocol(self):
        import io
        import contextlib
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = lora_train.main(["--train", "/nonexistent.jsonl", "--output", "/tmp/x",
                                  "--base-model", "b", "--params", "/nonexistent.json"])
        self.assertEqual(rc, 1)
        last = json.loads(out.getvalue().strip().splitlines()[-1])
        self.assertEqual(last["event"], "error")

    def test_params_are_checked(self):
        self.assertEqual(lora_train.params_from(None, {"qlora": False})["qlora"], "off")
        self.assertEqual(lora_train.params_from(None, {"qlora": "TRUE"})["qlora"], "on")
        self.assertEqual(lora_train.params_from(None, {"dtype": "bf16"})["dtype"], "bfloat16")
        for bad in ({"qlora": "maybe"}, {"dtype": "int8"}, {"batch_size": 0},
                    {"grad_accum": 0}, {"max_steps": -1}, {"learning_rate": 0},
                    {"target_modules": " , "}):
            with self.assertRaises(ValueError, msg=str(bad)):
                lora_train.params_from(None, bad)

    def test_auto_dtype_never_trains_in_half_precision_without_bf16(self):
        self.assertEqual(lora_train.dtype_name("auto", False, False), "float32")
        self.assertEqual(lora_train.dtype_name("auto", True, False), "float32")
        self.assertEqual(lora_train.dtype_name("auto", True, True), "bfloat16")
        self.assertEqual(lora_train.dtype_name("float16", True, False), "float16")

    def test_accumulation_never_spans_more_than_an_epoch(self):
        self.assertEqual(lora_train.accumulation(8, 3), 3)
        self.assertEqual(lora_train.accumulation(8, 100), 8)
        self.assertEqual(lora_train.accumulation(1, 0), 1)

    def test_missing_arguments_follow_the_protocol(self):
        import io
        import contextlib
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = lora_train.main(["--train", "t.jsonl"])
        self.assertEqual(rc, 1)
        last = json.loads(out.getvalue().strip().splitlines()[-1])
        self.assertEqual(last, {"event": "error",
                                "message": "ValueError: missing --output, --base-model"})

    def test_messages_must_be_objects(self):
        with tempfile.TemporaryDirectory() as d:
            bad = os.path.join(d, "b.jsonl")
            with open(bad, "w") as f:
                f.write('{"messages":["hi", {"role":"assistant","content":"x"}]}\n')
            with self.assertRaises(ValueError):
                lora_train.read_jsonl(bad)


if __name__ == "__main__":
    unittest.main()
