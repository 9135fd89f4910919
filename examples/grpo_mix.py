"""GRPO on a mixture of sources, with a curriculum
===============================================

GRPO post-training of a tiny transformer on a mixture of reasoning sources.

Nothing is downloaded: the tokenizer is a word-level one built here over the
digits and the source names, and the model a small Llama initialised at
random.  A prompt is a source name followed by ``n`` digits; the answer is
one token, so random guessing already earns some reward and GRPO has a
signal from the first step.  Sources, each at several lengths ``n`` (a group
is a ``(source, n)`` pair, e.g. ``"max-4"``):

* ``first`` — the first digit (a copy: learned fast);
* ``max`` — the largest digit;
* ``parity`` — the parity (0/1) of the digits' sum;
* ``noisy`` — a coin flip, seeded and independent of the answer: a high
  advantage and nothing to learn, as a mislabelled source in a real mix.

The teacher sees one signal per prompt (``SIGNAL``: the mean absolute advantage
for DUMP and SEC, the success rate for ``lp`` and ``sec-lp``).  The metric
is the greedy accuracy on held-out prompts (disjoint from the training
prompts) of every learnable group, and its mean.

    python examples/grpo_mix.py --teacher sec-lp --steps 600 --seed 0
    python examples/grpo_mix.py --teacher random                   # uniform over the groups: the baseline

Run time: 1.3 to 2.2 min per run of 600 steps on 2 shared CPU cores (``benchmarks/real_learners.py``'s
timings; needs the ``[trl]`` extra). The figure: held-out accuracy against GRPO steps, 3 seeds per teacher.

.. image:: /img/grpo.png
   :alt: GRPO on a mixture of sources, with a curriculum
"""

# sphinx_gallery_thumbnail_path = "img/grpo.png"

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from typing import Any

import numpy as np
import torch

SOURCES = {"first": (3, 6), "max": (3, 6), "parity": (2, 4)}
NOISY_LENGTH = 4
LEARNABLE = [f"{s}-{n}" for s, lengths in SOURCES.items() for n in lengths]
GROUPS = [*LEARNABLE, f"noisy-{NOISY_LENGTH}"]
DIGITS = [str(d) for d in range(10)]
SIGNAL = {"lp": "mean_reward", "sec-lp": "mean_reward", "tscl": "mean_reward"}  # others: "abs_advantage"
TRAIN_PER_GROUP, TEST_PER_GROUP = 400, 100


def answer(source: str, digits: list[int]) -> str:
    """The right one-token answer of a prompt (``""`` for ``noisy``: there is none)."""
    if source == "first":
        return str(digits[0])
    if source == "max":
        return str(max(digits))
    if source == "parity":
        return str(sum(digits) % 2)
    return ""


def make_prompts(seed: int) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Training and held-out rows per group, the held-out prompts never among the training ones."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for group in GROUPS:
        source, n = group.rsplit("-", 1)
        space = 10 ** int(n)
        # distinct prompts per group, so the split is disjoint (a length-2 group has only 100)
        k = min(space, TRAIN_PER_GROUP + TEST_PER_GROUP)
        codes = rng.choice(space, size=k, replace=False)
        rows = []
        for c in codes:
            digits = [int(ch) for ch in str(int(c)).zfill(int(n))]
            rows.append({"prompt": " ".join([source, *map(str, digits)]), "group": group, "answer": answer(source, digits)})
        n_test = min(TEST_PER_GROUP, k // 5)
        test += rows[:n_test]
        train += rows[n_test:]
    return train, test


def make_tokenizer() -> Any:
    """A word-level tokenizer over the digits and the source names (no BOS, no post-processing)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = ["[PAD]", "[UNK]", "[EOS]", *DIGITS, *SOURCES, "noisy"]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]", eos_token="[EOS]")


def make_model(tokenizer: Any, seed: int, hidden: int = 64, layers: int = 2) -> Any:
    """A small Llama from a config, initialised at random with ``seed``."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=16,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
    )
    return LlamaForCausalLM(config)


def make_reward(seed: int) -> Any:
    """The reward: 1 for the right first token; for ``noisy`` a seeded coin flip whatever the answer."""
    coin = random.Random(seed)

    def reward(completions: list[str], group: list[str], answer: list[str], **_: Any) -> list[float]:
        out = []
        for c, g, a in zip(completions, group, answer):
            if g.startswith("noisy"):
                out.append(float(coin.random() < 0.5))
            else:
                words = c.split()
                out.append(1.0 if words and words[0] == a else 0.0)
        return out

    return reward


def accuracy(model: Any, tokenizer: Any, test: list[dict[str, str]]) -> dict[str, float]:
    """Greedy one-token accuracy per learnable group on the held-out prompts, and the mean over groups."""
    model.eval()
    acc: dict[str, float] = {}
    with torch.no_grad():
        for g in LEARNABLE:
            rows = [r for r in test if r["group"] == g]  # one length per group: no padding needed
            ids = tokenizer([r["prompt"] for r in rows], return_tensors="pt").input_ids
            guess = tokenizer.batch_decode(model(ids).logits[:, -1].argmax(-1).unsqueeze(-1))
            acc[g] = float(np.mean([p.strip() == r["answer"] for p, r in zip(guess, rows)]))
    model.train()
    return {"accuracy": float(np.mean([acc[g] for g in LEARNABLE])), **acc}


def run(teacher: str, seed: int = 0, steps: int = 600, evals: int = 12, lr: float = 3e-4) -> dict[str, Any]:
    """Train with ``teacher`` picking the groups; return the held-out accuracy curve and the group mix."""
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import GRPOConfig

    from pedagogy.data.trl import CurriculumGRPOTrainer

    tokenizer = make_tokenizer()
    model = make_model(tokenizer, seed)
    train, test = make_prompts(seed)
    data = Dataset.from_list(train)
    curve: list[dict[str, Any]] = []
    mix = dict.fromkeys(GROUPS, 0)
    every = max(1, steps // evals)

    class Eval(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            if state.global_step % every == 0 or state.global_step == steps:
                curve.append({"step": state.global_step, **accuracy(model, tokenizer, test)})

    with tempfile.TemporaryDirectory() as tmp:
        args = GRPOConfig(
            output_dir=tmp,
            per_device_train_batch_size=64,
            num_generations=8,  # 8 prompts per step, 8 completions each
            max_completion_length=1,  # the answer is one token
            max_steps=steps,
            learning_rate=lr,
            lr_scheduler_type="constant",  # no annealing: a fraction of the budget means the same all along
            logging_steps=10_000,
            report_to=[],
            save_strategy="no",
            use_cpu=True,
            bf16=False,
            seed=seed,
            beta=0.0,
            disable_dropout=True,
            disable_tqdm=True,
        )
        trainer = CurriculumGRPOTrainer(
            model=model,
            reward_funcs=make_reward(seed),
            args=args,
            train_dataset=data,
            processing_class=tokenizer,
            teacher=teacher,
            group_column="group",
            signal=SIGNAL.get(teacher, "abs_advantage"),
            callbacks=[Eval()],
        )
        _count_mix(trainer, mix)
        t0 = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - t0
    total = max(1, sum(mix.values()))
    return {
        "teacher": teacher,
        "seed": seed,
        "steps": steps,
        "final_accuracy": curve[-1]["accuracy"],
        "curve": curve,
        "mix": {g: c / total for g, c in mix.items()},
        "seconds": seconds,
    }


def _count_mix(trainer: Any, mix: dict[str, int]) -> None:
    """Count the prompts drawn per group (wraps the curriculum's ``next_batch``)."""
    curriculum = trainer.curriculum
    draw = curriculum.next_batch

    def counted() -> list[int]:
        batch = draw()
        for i in batch:
            mix[curriculum.group_of(i)] += 1
        return batch

    curriculum.next_batch = counted


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--teacher", default="sec-lp")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--lr", type=float, default=3e-4)
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = run(args.teacher, args.seed, args.steps, lr=args.lr)
    print(json.dumps({k: v for k, v in out.items() if k != "curve"}, indent=1))
    for point in out["curve"]:
        print(" ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in point.items()))


if __name__ == "__main__":
    main()
