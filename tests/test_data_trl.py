"""pedagogy.data.trl: GRPO with a curriculum, on a tiny model built from a config (nothing downloaded)."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("torch", reason="pedagogy.data needs the torch extra")
pytest.importorskip("trl", reason="CurriculumGRPOTrainer needs trl (pip install 'pedagogy[trl]')")
pytest.importorskip("datasets", reason="CurriculumGRPOTrainer needs datasets")

import torch  # noqa: E402
from datasets import Dataset  # noqa: E402

from pedagogy import spaces, teachers  # noqa: E402
from pedagogy.data import CurriculumSampler  # noqa: E402
from pedagogy.data.trl import CurriculumGRPOTrainer, RepeatCurriculumSampler, group_signal  # noqa: E402

WORDS = ["add", "sub", "mul", "one", "two", "three", "yes", "no"]


def _tokenizer() -> Any:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]", "[EOS]", *WORDS])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]", eos_token="[EOS]")


def _model(tokenizer: Any) -> Any:
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=32,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
    )
    return LlamaForCausalLM(config)


def test_repeat_layout_matches_trl() -> None:
    labels = ["a"] * 6 + ["b"] * 6
    cur = CurriculumSampler(labels, "random", 3, num_batches=2, seed=0)
    out = list(RepeatCurriculumSampler(cur, mini_repeat_count=2, repeat_count=2))
    assert len(out) == 2 * 3 * 2 * 2
    for c in range(2):
        block = out[c * 12 : (c + 1) * 12]
        assert block[:6] == block[6:]  # the chunk repeated repeat_count times
        assert all(block[i] == block[i + 1] for i in range(0, 6, 2))  # each index twice in a row
        assert len(set(block[:6])) == 3
    again = list(RepeatCurriculumSampler(CurriculumSampler(labels, "random", 3, num_batches=2, seed=0), 2, 2))
    assert again == out  # the same indices on every process (same seed, same observations)


def test_group_signal() -> None:
    r = torch.tensor([[1.0, 0.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    adv = group_signal(r)
    assert adv[0] == pytest.approx(0.866, abs=1e-3) and adv[1] == 0.0
    assert group_signal(r, "mean_reward") == [0.5, 1.0]
    assert group_signal(r, lambda xs: max(xs)) == [1.0, 1.0]


def test_grpo_trains_and_the_teacher_gets_each_groups_signal(tmp_path: Any) -> None:
    from trl import GRPOConfig

    torch.set_num_threads(1)
    tokenizer = _tokenizer()
    rows = [
        ("add one two", "easy"),
        ("sub two one", "easy"),
        ("mul two three", "hard"),
        ("add three three", "hard"),
        ("sub one one", "mid"),
        ("mul one three", "mid"),
    ] * 4
    data = Dataset.from_dict({"prompt": [p for p, _ in rows], "level": [g for _, g in rows]})
    seen: list[str] = []  # the group of every completion scored, in order

    def reward(completions: list[str], level: list[str], **kwargs: Any) -> list[float]:
        seen.extend(level)
        # "hard" prompts: reward varies with the completion; the others: always 1 (no advantage, nothing to learn)
        return [float(len(c.split()) % 2) if g == "hard" else 1.0 for c, g in zip(completions, level)]

    args = GRPOConfig(
        output_dir=str(tmp_path),
        per_device_train_batch_size=8,
        num_generations=4,
        max_completion_length=4,
        max_steps=6,
        learning_rate=1e-3,
        logging_steps=100,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        bf16=False,
        seed=0,
        temperature=1.0,
        disable_dropout=True,
    )
    teacher = teachers.make("dump", spaces.Discrete(["easy", "hard", "mid"]), seed=0)
    proposed: list[str] = []
    propose = teacher.propose

    def recording_propose(n: int | None = None) -> Any:
        out = propose(n)
        proposed.extend(out if n is not None else [out])
        return out

    teacher.propose = recording_propose  # type: ignore[method-assign]
    trainer = CurriculumGRPOTrainer(
        model=_model(tokenizer),
        reward_funcs=reward,
        args=args,
        train_dataset=data,
        processing_class=tokenizer,
        teacher=teacher,
        group_column="level",
    )
    trainer.train()
    t = trainer.curriculum.teacher
    assert t is teacher
    # 6 steps x 8 completions / 4 generations = 12 prompts, one observation each, labelled with its group
    assert t.n_observed == 12 == len(seen) // 4
    # the prompts trained on are the teacher's proposals, in order, each num_generations times in a row
    assert seen == [g for g in proposed[:12] for _ in range(4)]
    stats = {row["task"]: row for row in t.report()["top"]}
    assert set(stats) <= {"easy", "hard", "mid"}
    if "easy" in stats:
        assert stats["easy"]["mean_abs_advantage"] == 0.0  # constant rewards: no advantage
    with pytest.raises(ValueError, match="no column 'source'"):
        CurriculumGRPOTrainer(
            model=_model(tokenizer),
            reward_funcs=reward,
            args=args,
            train_dataset=data,
            processing_class=tokenizer,
            teacher="dump",
            group_column="source",
        )
