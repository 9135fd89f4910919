"""Deep Knowledge Tracing (needs torch: ``pip install 'pedagogy[torch]'``).

Piech, Bassen, Huang, Ganguli, Sahami, Guibas, Sohl-Dickstein — "Deep
Knowledge Tracing", NeurIPS 2015.  An LSTM reads the student's answers as
one-hot ``(skill, correct)`` vectors (size ``2 * n_skills``); after each
answer a sigmoid layer gives, for every skill, the probability that the next
answer on it is correct.  The loss is the binary cross-entropy of the next
answer's skill only.

One-step-ahead protocol: the input at step 0 is a zero vector (no answer
yet) and the input at step ``t`` encodes answer ``t - 1``, so the output at
step ``t`` predicts answer ``t`` from answers ``< t`` only — the first answer
of a student is predicted from the initial state.  Training splits long
sequences into windows of ``max_len`` answers (as the DKVMN preprocessing
does; each window starts from the initial state); prediction runs each
student's sequence whole, so no history is lost.

A multi-skill answer sets one input unit per skill and is predicted by the
mean of its skills' logits.  A skill unseen in training gives no input and is
predicted by the mean logit over all skills.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from pedagogy.kt.base import KTModel, NotFittedError, Tracker, register_model
from pedagogy.kt.data import Responses
from pedagogy.params import Boolean, Interval, Rule

__all__ = ["DKT"]


class _Net(nn.Module):
    """LSTM over (skill, correct) inputs -> per-skill logits."""

    def __init__(self, n_skills: int, hidden_size: int, dropout: float) -> None:
        super().__init__()
        self.n_skills = n_skills
        self.lstm = nn.LSTM(2 * n_skills, hidden_size, batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden_size, n_skills)

    def inputs(self, skills: torch.Tensor, correct: torch.Tensor) -> torch.Tensor:
        """One-hot inputs for answers ``skills`` (B, T, M; -1 pad, K unknown), ``correct`` (B, T)."""
        k = self.n_skills
        b, t, m = skills.shape
        x = torch.zeros(b, t, 2 * k, dtype=self.out.weight.dtype)
        ok = (skills >= 0) & (skills < k)
        bi, ti, mi = torch.nonzero(ok, as_tuple=True)
        col = skills[bi, ti, mi] + k * correct[bi, ti]
        x[bi, ti, col] = 1.0
        return x

    def logits(self, h: torch.Tensor, skills: torch.Tensor) -> torch.Tensor:
        """Logit of each answer from hidden states ``h`` (B, T, H) and its skills (B, T, M)."""
        y = self.out(self.drop(h))
        y = torch.cat([y, y.mean(dim=-1, keepdim=True)], dim=-1)  # slot K: unseen skill
        valid = (skills >= 0).to(y.dtype)
        g = torch.gather(y, 2, skills.clamp(min=0))
        return (g * valid).sum(-1) / valid.sum(-1).clamp(min=1.0)

    def forward(self, skills: torch.Tensor, correct: torch.Tensor) -> torch.Tensor:
        """Logits of every answer of padded sequences, one step ahead."""
        x = self.inputs(skills, correct)
        # shift: input t encodes answer t-1; input 0 is "no answer yet"
        x = torch.cat([torch.zeros_like(x[:, :1]), x[:, :-1]], dim=1)
        h, _ = self.lstm(x)
        return self.logits(h, skills)


@register_model
class DKT(KTModel):
    """Deep Knowledge Tracing (Piech et al., NeurIPS 2015), an LSTM over answers.

    Parameters
    ----------
    hidden_size : int, default 100
        LSTM units (the paper uses 200; 100 is about twice as fast on CPU).
    epochs : int, default 20
        Maximum passes over the training windows; early stopping on the
        validation students ends training sooner (on the shared ASSISTments
        splits it stops before epoch 12, and ``pedagogy kt bench`` takes about
        a minute on 2 CPU cores).
    batch_size : int, default 32
    lr : float, default 0.005
        Adam learning rate.
    dropout : float, default 0.2
        Dropout on the LSTM output (the paper applies dropout there).
    max_len : int, default 200
        Training window length; longer sequences are split.
    validation : float, default 0.1
        Fraction of the *training students* held out for early stopping;
        0 trains for exactly ``epochs`` epochs.
    patience : int, default 2
        Epochs without a better validation AUC before stopping; the weights
        of the best epoch are kept.
    grad_clip : float, default 10.0
        Gradient norm clipping.
    seed : int, default 0
        Seeds weights, dropout, shuffling and the validation split.
    threads : int, default 2
        ``torch.set_num_threads`` during fit / predict.
    verbose : bool, default False
        Print the validation AUC after every epoch.
    """

    name = "dkt"

    def __init__(
        self,
        hidden_size: int = 100,
        epochs: int = 20,
        batch_size: int = 32,
        lr: float = 0.005,
        dropout: float = 0.2,
        max_len: int = 200,
        validation: float = 0.1,
        patience: int = 2,
        grad_clip: float = 10.0,
        seed: int = 0,
        threads: int = 2,
        verbose: bool = False,
    ) -> None:
        self.hidden_size = hidden_size
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.dropout = dropout
        self.max_len = max_len
        self.validation = validation
        self.patience = patience
        self.grad_clip = grad_clip
        self.seed = seed
        self.threads = threads
        self.verbose = verbose
        self.skill_names_: list[str] | None = None
        self.net_: _Net | None = None
        self._net64: _Net | None = None

    _parameter_constraints: ClassVar[dict[str, Rule]] = {
        "hidden_size": Interval(Integral, 1),
        "epochs": Interval(Integral, 1),
        "batch_size": Interval(Integral, 1),
        "lr": Interval(Real, 0, closed="neither"),
        "dropout": Interval(Real, 0, 1, closed="left"),
        "max_len": Interval(Integral, 2),
        "validation": Interval(Real, 0, 1, closed="left"),
        "patience": Interval(Integral, 1),
        "grad_clip": Interval(Real, 0, closed="neither"),
        "seed": Interval(Integral, 0),
        "threads": Interval(Integral, 1),
        "verbose": Boolean(),
    }

    # -- data ------------------------------------------------------------
    def _answer_skills(self, data: Responses) -> np.ndarray:
        """(n_answers, M) model skill indices per answer: -1 padding, K for unseen skills."""
        k = len(self.skill_names_ or [])
        idx = data.lookup(self.skill_names_ or [])
        mapped = idx[data.skill_idx]
        mapped[mapped < 0] = k
        lens = np.diff(data.skill_ptr)
        m = max(1, int(lens.max(initial=1)))
        out = np.full((data.n_answers, m), -1, dtype=np.int64)
        pos = np.arange(mapped.size) - np.repeat(data.skill_ptr[:-1], lens)
        out[np.repeat(np.arange(data.n_answers), lens), pos] = mapped
        return out

    @staticmethod
    def _batch(segments: list[tuple[int, int]], skills: np.ndarray, correct: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Padded (skills, correct, mask) tensors for answer ranges ``segments``."""
        t = max(e - s for s, e in segments)
        b = len(segments)
        sk = np.full((b, t, skills.shape[1]), -1, dtype=np.int64)
        co = np.zeros((b, t), dtype=np.int64)
        mask = np.zeros((b, t), dtype=bool)
        for j, (s, e) in enumerate(segments):
            sk[j, : e - s] = skills[s:e]
            co[j, : e - s] = correct[s:e]
            mask[j, : e - s] = True
        return torch.from_numpy(sk), torch.from_numpy(co), torch.from_numpy(mask)

    # -- fitting ---------------------------------------------------------
    def fit(self, data: Responses) -> DKT:
        """Train the LSTM on ``data`` (early stopping on held-out training students)."""
        self._start_fit(data)
        train, valid = data, None
        if self.validation > 0:
            if data.n_users < 2:
                raise ValueError("dkt: need at least 2 training students for a validation split (or set validation=0)")
            train, valid = data.split_users(self.validation, seed=self.seed)
            if valid.n_answers == 0 or train.n_answers == 0:
                train, valid = data, None
        self.skill_names_ = list(data.skill_names)
        prev_threads = torch.get_num_threads()
        torch.set_num_threads(int(self.threads))
        try:
            with torch.random.fork_rng(devices=[]):  # seeded without touching the caller's torch RNG
                torch.manual_seed(int(self.seed))
                self._train(train, valid)
        finally:
            torch.set_num_threads(prev_threads)
        return self

    def _train(self, train: Responses, valid: Responses | None) -> None:
        rng = np.random.default_rng(self.seed)
        net = _Net(len(self.skill_names_ or []), int(self.hidden_size), float(self.dropout))
        self.net_ = net
        opt = torch.optim.Adam(net.parameters(), lr=float(self.lr))
        skills, correct = self._answer_skills(train), train.correct.astype(np.int64)
        ptr = train.user_ptr
        windows = [
            (s, min(s + self.max_len, int(e)))
            for b, e in zip(ptr[:-1].tolist(), ptr[1:].tolist(), strict=True)
            for s in range(int(b), int(e), self.max_len)
        ]
        win_len = np.array([e - s for s, e in windows])
        best_auc, best_state, bad = -np.inf, None, 0
        self.history_: list[dict[str, float]] = []
        for epoch in range(self.epochs):
            net.train()
            # Batches of windows of similar length (little padding: most
            # ASSISTments sequences are short), random within equal lengths,
            # batch order shuffled.
            perm = rng.permutation(len(windows))
            perm = perm[np.argsort(win_len[perm], kind="stable")]
            batches = [perm[i : i + self.batch_size] for i in range(0, len(perm), self.batch_size)]
            total, count = 0.0, 0
            for bi in rng.permutation(len(batches)):
                sk, co, mask = self._batch([windows[j] for j in batches[bi]], skills, correct)
                logit = net(sk, co)
                loss = nn.functional.binary_cross_entropy_with_logits(logit[mask], co[mask].to(logit.dtype))
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(net.parameters(), float(self.grad_clip))
                opt.step()
                total += float(loss.detach()) * int(mask.sum())
                count += int(mask.sum())
            record = {"epoch": epoch + 1, "train_loss": total / max(count, 1)}
            if valid is not None:
                from pedagogy.kt.metrics import score_predictions

                record["valid_auc"] = score_predictions(valid.correct, self._predict(valid, net))["auc"]
            self.history_.append(record)
            if self.verbose:
                print("dkt " + " ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in record.items()), flush=True)
            if valid is None:
                continue
            auc = record["valid_auc"]
            if auc > best_auc:
                best_auc, best_state, bad = auc, copy.deepcopy(net.state_dict()), 0
            else:
                bad += 1
                if bad >= self.patience:
                    break
        if best_state is not None:
            net.load_state_dict(best_state)
        self.epochs_run_ = len(self.history_)
        net.eval()
        self._net64 = None

    def _inference_net(self) -> _Net:
        """The fitted network in float64, for ``predict_proba`` and the tracker.

        Trained in float32, a whole sequence and the tracker's single steps
        round apart by ~1e-7; in float64 they agree to ~1e-15, so the tracker
        equals batch prediction to the contract's 1e-9.
        """
        assert self.net_ is not None
        if self._net64 is None:
            self._net64 = copy.deepcopy(self.net_).double().eval()
        return self._net64

    def _check_fitted(self) -> None:
        if self.skill_names_ is None or self.net_ is None:
            raise NotFittedError("dkt: model is not fitted; call fit(data) first")

    # -- prediction ------------------------------------------------------
    @torch.no_grad()
    def _predict(self, data: Responses, net: _Net) -> np.ndarray:
        was_training = net.training
        net.eval()
        skills, correct = self._answer_skills(data), data.correct.astype(np.int64)
        ptr = data.user_ptr
        lens = np.diff(ptr)
        out = np.empty(data.n_answers)
        # whole sequences (no windowing: no history lost), batched by similar length
        order = [int(u) for u in np.argsort(lens, kind="stable") if lens[u] > 0]
        budget = 64 * 200  # answers (padded) per batch
        i = 0
        while i < len(order):
            width = int(lens[order[min(len(order) - 1, i)]])
            j = i + 1
            while j < len(order) and (j - i + 1) * int(lens[order[j]]) <= max(budget, width):
                j += 1
            segs = [(int(ptr[u]), int(ptr[u + 1])) for u in order[i:j]]
            sk, co, mask = self._batch(segs, skills, correct)
            p = torch.sigmoid(net(sk, co)).double().numpy()
            for r, (s, e) in enumerate(segs):
                out[s:e] = p[r, : e - s]
            i = j
        net.train(was_training)
        return out

    def predict_proba(self, data: Responses) -> np.ndarray:
        """One-step-ahead probability of each answer (whole sequences, initial state per student)."""
        self._check_fitted()
        prev = torch.get_num_threads()
        torch.set_num_threads(int(self.threads))
        try:
            return self._predict(data, self._inference_net())
        finally:
            torch.set_num_threads(prev)

    def tracker(self) -> DKTTracker:
        self._check_fitted()
        return DKTTracker(self)

    # -- persistence (generic save/load of pedagogy.kt.base) --------------
    def _get_state(self) -> dict[str, Any]:
        self._check_fitted()
        assert self.net_ is not None
        return {
            "skill_names": self.skill_names_,
            "weights": {k: v.detach().cpu().numpy().copy() for k, v in self.net_.state_dict().items()},
            "history": getattr(self, "history_", []),
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        self.skill_names_ = list(state["skill_names"])
        net = _Net(len(self.skill_names_), int(self.hidden_size), float(self.dropout))
        net.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in state["weights"].items()})
        net.eval()
        self.net_ = net
        self._net64 = None
        self.history_ = list(state.get("history", []))


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Single answers are tiny ops: one thread avoids costly thread hand-offs on busy machines."""
    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(prev)


class DKTTracker(Tracker):
    """Live DKT: each student's LSTM state, advanced one answer at a time.

    ``skill_or_item`` is a skill name, or a list of skill names for a
    multi-skill answer.
    """

    def __init__(self, model: DKT) -> None:
        self.model = model
        assert model.net_ is not None
        self.net = model._inference_net()
        self.k = len(model.skill_names_ or [])
        self.index = {s: i for i, s in enumerate(model.skill_names_ or [])}
        # student -> (last LSTM output (1, 1, H), (h, c))
        self.state: dict[str, tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]] = {}

    def _skills(self, skill_or_item: str | list[str]) -> torch.Tensor:
        names = [skill_or_item] if isinstance(skill_or_item, str) else list(skill_or_item)
        return torch.tensor([[[self.index.get(s, self.k) for s in names]]], dtype=torch.int64)

    @torch.no_grad()
    def _get(self, student: str) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        if student not in self.state:
            self.net.eval()
            x = torch.zeros(1, 1, 2 * self.k, dtype=self.net.out.weight.dtype)  # "no answer yet"
            out, hc = self.net.lstm(x)
            self.state[student] = (out, hc)
        return self.state[student]

    @torch.no_grad()
    def predict(self, student: str, skill_or_item: str | list[str]) -> float:
        with _one_thread():
            self.net.eval()
            out, _ = self._get(student)
            return float(torch.sigmoid(self.net.logits(out, self._skills(skill_or_item)))[0, 0])

    @torch.no_grad()
    def update(self, student: str, skill_or_item: str | list[str], correct: int) -> float:
        p = self.predict(student, skill_or_item)
        with _one_thread():
            _, hc = self._get(student)
            x = self.net.inputs(self._skills(skill_or_item), torch.tensor([[int(bool(correct))]]))
            out, hc = self.net.lstm(x, hc)
            self.state[student] = (out, hc)
        return p

    @torch.no_grad()
    def mastery(self, student: str) -> dict[str, float]:
        """Predicted probability of a correct next answer on every training skill."""
        self.net.eval()
        out, _ = self._get(student)
        p = torch.sigmoid(self.net.out(out))[0, 0].tolist()
        return dict(zip(self.model.skill_names_ or [], p, strict=True))
