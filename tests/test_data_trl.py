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


def test_prompt_level_sampler_proposes_rows() -> None:
    cur = CurriculumSampler(10, "random", 4, num_batches=3, seed=0)
    assert cur.prompt_level and cur.teacher.space == spaces.Discrete(10)
    batches = list(cur.batches())
    assert len(batches) == 3 and all(len(b) == 4 and set(b) <= set(range(10)) for b in batches)
    cur.observe(batches[0], [0.5] * 4)  # keys are the rows (the tasks): no by= needed
    assert cur.teacher.n_observed == 4 and cur.draw(3) and set(cur.draw(5)) <= set(range(10))
    with pytest.raises(ValueError, match=r"needs the space Discrete\(10\)"):
        CurriculumSampler(10, teachers.make("random", spaces.Discrete(["a", "b"])), 4)
    with pytest.raises(ValueError, match="at least one row"):
        CurriculumSampler(0, "random", 4)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        cur.draw(0)


def _grpo_args(tmp_path: Any, steps: int) -> Any:
    from trl import GRPOConfig

    return GRPOConfig(
        output_dir=str(tmp_path),
        per_device_train_batch_size=8,
        num_generations=4,
        max_completion_length=4,
        max_steps=steps,
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


def test_grpo_prompt_level_with_dynamic_sampling(tmp_path: Any) -> None:
    torch.set_num_threads(1)
    tokenizer = _tokenizer()
    rows = [("add one two", "solved"), ("sub two one", "solved"), ("mul two three", "open"), ("add three three", "open")] * 3
    data = Dataset.from_dict({"prompt": [p for p, _ in rows], "source": [g for _, g in rows]})

    def reward(completions: list[str], source: list[str], **kwargs: Any) -> list[float]:
        # "solved" prompts: always 1 (zero variance, dropped); "open" ones: the reward varies with the completion
        return [float(len(c.split()) % 2) if g == "open" else 1.0 for c, g in zip(completions, source)]

    teacher = teachers.make("random", spaces.Discrete(len(rows)), seed=0)
    observed: list[tuple[int, float]] = []
    observe = teacher.observe

    def recording_observe(tasks: Any, scores: Any) -> None:
        observe(tasks, scores)
        observed.extend(zip(tasks, scores))

    teacher.observe = recording_observe  # type: ignore[method-assign]
    trainer = CurriculumGRPOTrainer(
        model=_model(tokenizer),
        reward_funcs=reward,
        args=_grpo_args(tmp_path, 4),
        train_dataset=data,
        processing_class=tokenizer,
        teacher=teacher,
        group_column="source",
        prompt_level=True,
        dynamic_sampling=True,
        max_rounds=20,
    )
    batches: list[torch.Tensor] = []
    generate = trainer._generate_and_score_completions

    def recording_generate(inputs: Any) -> Any:
        out = generate(inputs)
        batches.append(out["advantages"].detach().view(-1, 4))
        assert out["num_items_in_batch"] == out["completion_mask"].sum()
        return out

    trainer._generate_and_score_completions = recording_generate  # type: ignore[method-assign]
    trainer.train()
    st = trainer.dynamic_sampling_stats
    # 4 steps x 8 completions / 4 generations = 8 kept prompts in 4 batches of 2
    assert len(batches) == 4 and all(b.shape == (2, 4) for b in batches)
    assert st["partial_batches"] == 0 and all((b != 0).any(dim=1).all() for b in batches)  # only groups with signal train
    assert st["dropped_groups"] > 0 and st["groups"] == 8 + st["dropped_groups"] and st["dropped_rollouts"] == 4 * st["dropped_groups"]
    assert len(observed) == st["groups"]  # the teacher was told of every group, dropped ones included
    solved = {i for i, (_, g) in enumerate(rows) if g == "solved"}
    assert all(s == 1.0 for i, s in observed if i in solved) and all(0.0 <= s <= 1.0 for _, s in observed)
    # out of rounds (every prompt solved): the batch keeps its size with zero-advantage groups, counted as partial
    solved_only = data.select(sorted(solved))
    trainer = CurriculumGRPOTrainer(
        model=_model(tokenizer),
        reward_funcs=reward,
        args=_grpo_args(tmp_path, 1),
        train_dataset=solved_only,
        processing_class=tokenizer,
        teacher="random",
        prompt_level=True,
        dynamic_sampling=True,
        max_rounds=2,
    )
    trainer.train()
    assert trainer.dynamic_sampling_stats == {
        "groups": 4,
        "dropped_groups": 4,
        "rollouts": 16,
        "dropped_rollouts": 16,
        "partial_batches": 1,
    }
    from tests._grouped_teacher import registered

    with registered() as name:  # a column reaches a prompt-level teacher that takes groups= as prompt -> source
        trainer = CurriculumGRPOTrainer(
            model=_model(tokenizer),
            reward_funcs=reward,
            args=_grpo_args(tmp_path, 1),
            train_dataset=data,
            processing_class=tokenizer,
            teacher=name,
            group_column="source",
            prompt_level=True,
        )
        assert trainer.curriculum.teacher.options["groups"] == [g for _, g in rows]
    with pytest.raises(ValueError, match="max_rounds must be"):
        CurriculumGRPOTrainer(
            model=_model(tokenizer),
            reward_funcs=reward,
            args=_grpo_args(tmp_path, 1),
            train_dataset=data,
            processing_class=tokenizer,
            teacher="random",
            prompt_level=True,
            dynamic_sampling=True,
            max_rounds=0,
        )
