"""The tiny world is a faithful miniature: a real tokenizer with a chat template and a ~1M-parameter Qwen2."""

import json

from transformers import AutoModelForCausalLM, AutoTokenizer

from open_r1.utils.synthetic.tiny_world import REASONING_TAGS


def test_tokenizer_has_single_token_tags_and_digits(tiny_world):
    tokenizer = AutoTokenizer.from_pretrained(tiny_world / "model")
    for tag in REASONING_TAGS + ["<|im_start|>", "<|im_end|>"]:
        assert len(tokenizer(tag, add_special_tokens=False)["input_ids"]) == 1, tag
    ids = tokenizer("1234", add_special_tokens=False)["input_ids"]
    assert [tokenizer.decode([i]) for i in ids] == ["1", "2", "3", "4"]
    assert tokenizer.eos_token == "<|im_end|>"
    # Reasoning tags survive skip_special_tokens, so rewards see them in decoded completions.
    text = "<think>\n1 + 1 = 2\n</think>\n<answer>\n\\boxed{2}\n</answer>"
    encoded = tokenizer(text + "<|im_end|>", add_special_tokens=False)["input_ids"]
    assert tokenizer.decode(encoded, skip_special_tokens=True) == text


def test_chat_template_is_chatml_with_generation_prompt(tiny_world):
    tokenizer = AutoTokenizer.from_pretrained(tiny_world / "model")
    prompt = tokenizer.apply_chat_template(
        [{"role": "system", "content": "S"}, {"role": "user", "content": "Q"}],
        tokenize=False,
        add_generation_prompt=True,
    )
    assert prompt == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n"


def test_model_is_a_tiny_qwen2(tiny_world):
    model = AutoModelForCausalLM.from_pretrained(tiny_world / "model")
    assert model.config.model_type == "qwen2"
    assert 0.5e6 < model.num_parameters() < 2e6


def test_datasets_have_the_hub_shapes(tiny_world):
    sft = [json.loads(line) for line in open(tiny_world / "sft.jsonl")]
    grpo = [json.loads(line) for line in open(tiny_world / "grpo.jsonl")]
    assert len(sft) >= 1000 and len(grpo) >= 100
    user, assistant = sft[0]["messages"]
    assert user["role"] == "user" and assistant["role"] == "assistant"
    assert assistant["content"].startswith("<think>\n") and "\\boxed{" in assistant["content"]
    assert set(grpo[0]) == {"problem", "solution", "answer"}
    # The worked solution's boxed value is the answer, and it is the right arithmetic.
    for row in grpo[:50]:
        a, b, c = (int(x) for x in row["problem"][len("What is ") : -1].replace("+", "").replace("-", "").split())
        assert int(row["answer"]) == a + b - c
        assert f"\\boxed{{{row['answer']}}}" in row["solution"]
