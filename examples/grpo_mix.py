"""GRPO on a mix of prompt groups with a curriculum (TRL + a tiny model built from a config).

Nothing is downloaded: the tokenizer is a word-level one built here and the
model a one-layer Llama initialised at random.  The prompts come in four
groups: ``say`` (always answer "yes": learned at once), ``echo`` (repeat the
word), ``next`` (answer the word that follows it in a fixed cycle) and
``secret`` (the right answer is not in the vocabulary: no reward, ever).  The
reward is 1 when the first word of the completion is right.  The teacher
(DUMP by default) sees each prompt's mean |advantage|; the metric is the
greedy accuracy on every prompt of the three learnable groups.

    python examples/grpo_mix.py --teacher dump --steps 150 --seed 0
    python examples/grpo_mix.py --teacher random                     # uniform over the groups
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from typing import Any

import torch

WORDS = ["red", "green", "blue", "cyan", "pink", "gold"]
GROUPS = ["echo", "next", "say", "secret"]


def answer(group: str, word: str) -> str | None:
    if group == "say":
        return "yes"
    if group == "echo":
        return word
    if group == "next":
        return WORDS[(WORDS.index(word) + 1) % len(WORDS)]
    return None  # secret: unreachable


def make_tokenizer() -> Any:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]", "[EOS]", "yes", "no", *GROUPS, *WORDS])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]", eos_token="[EOS]")


def make_model(tokenizer: Any, seed: int) -> Any:
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=16,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
    )
    return LlamaForCausalLM(config)


def reward(completions: list[str], group: list[str], word: list[str], **_: Any) -> list[float]:
    out = []
    for c, g, w in zip(completions, group, word):
        first = c.split()[0] if c.split() else ""
        out.append(1.0 if first == answer(g, w) else 0.0)
    return out


def accuracy(model: Any, tokenizer: Any) -> dict[str, float]:
    """Greedy first-word accuracy per learnable group over all its prompts."""
    model.eval()
    acc = {}
    with torch.no_grad():
        for g in GROUPS[:3]:
            ok = 0
            for w in WORDS:
                ids = tokenizer(f"{g} {w}", return_tensors="pt").input_ids
                nxt = model(ids).logits[0, -1].argmax().item()
                ok += int(tokenizer.decode([nxt]).strip() == answer(g, w))
            acc[g] = ok / len(WORDS)
    model.train()
    acc["mean"] = sum(acc[g] for g in GROUPS[:3]) / 3
    return acc


def run(teacher: str, seed: int = 0, steps: int = 150, evals: int = 5) -> dict[str, Any]:
    """Train with ``teacher`` picking the groups; return the accuracy curve and the group mix."""
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import GRPOConfig

    from pedagogy.data.trl import CurriculumGRPOTrainer

    tokenizer = make_tokenizer()
    model = make_model(tokenizer, seed)
    rows = [(f"{g} {w}", g, w) for g in GROUPS for w in WORDS] * 8
    data = Dataset.from_dict({"prompt": [r[0] for r in rows], "group": [r[1] for r in rows], "word": [r[2] for r in rows]})
    curve: list[dict[str, Any]] = []

    class Eval(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            if state.global_step % max(1, steps // evals) == 0:
                curve.append({"step": state.global_step, **accuracy(model, tokenizer)})

    with tempfile.TemporaryDirectory() as tmp:
        args = GRPOConfig(
            output_dir=tmp,
            per_device_train_batch_size=16,
            num_generations=4,
            max_completion_length=2,
            max_steps=steps,
            learning_rate=1e-2,
            logging_steps=10_000,
            report_to=[],
            save_strategy="no",
            use_cpu=True,
            bf16=False,
            seed=seed,
            beta=0.0,
            disable_dropout=True,
        )
        trainer = CurriculumGRPOTrainer(
            model=model,
            reward_funcs=reward,
            args=args,
            train_dataset=data,
            processing_class=tokenizer,
            teacher=teacher,
            group_column="group",
            callbacks=[Eval()],
        )
        t0 = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - t0
    report = trainer.curriculum.teacher.report()
    return {
        "teacher": teacher,
        "seed": seed,
        "steps": steps,
        "final_accuracy": curve[-1]["mean"],
        "curve": curve,
        "observed": report["observed"],
        "seconds": seconds,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--teacher", default="dump")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=150)
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(json.dumps(run(args.teacher, args.seed, args.steps), indent=1))


if __name__ == "__main__":
    main()
