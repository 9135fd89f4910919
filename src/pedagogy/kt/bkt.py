"""Bayesian Knowledge Tracing, fitted by vectorised EM for all skills at once.

Corbett & Anderson — "Knowledge tracing: Modeling the acquisition of procedural
knowledge", User Modeling and User-Adapted Interaction 4, 1994 (the model);
Badrinath, Wang & Pardos — "pyBKT: An Accessible Python Library of Bayesian
Knowledge Tracing Models", EDM 2021 (the features: forgetting, per-item
guess/slip, random restarts).

Each skill is a two-state hidden Markov model per student: *unknown* (0) /
*known* (1); ``P(L_1) = prior``; unknown -> known with probability ``learn``,
known -> unknown with ``forget`` (0 unless ``forgets=True``); a correct answer
has probability ``1 - slip`` when known and ``guess`` when unknown.

How the fit is vectorised: every (student, skill) sequence is sorted by
length (longest first) and stored *time-major* ("packed"): the answers at time
step ``t`` of all sequences that are that long are one contiguous block, and
the sequences still running at ``t + 1`` are a prefix of that block.  The
forward and backward passes are then a loop over time steps (at most the
longest sequence, a few hundred on ASSISTments) of vector operations across
all sequences of all skills and all random restarts; the E-step sums and the
M-step are ``bincount`` reductions per skill.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, ClassVar, cast

import numpy as np

from pedagogy.kt.base import KTModel, Tracker, register_model
from pedagogy.kt.core import (
    BKT_KEYS,
    bkt_bayes,
    bkt_likelihoods,
    bkt_p_correct,
    bkt_transition,
    bkt_update,
)
from pedagogy.kt.data import Responses, name_index
from pedagogy.params import Boolean, Interval, Nullable, OneOf, Rule

__all__ = ["BKT", "BKTTracker"]

#: probabilities are kept inside [_EPS, 1 - _EPS] so that no likelihood is 0
_EPS = 1e-6

#: the two answers, for emission tables built by :func:`bkt_likelihoods`
_ANSWERS = np.array([0, 1])


# ---------------------------------------------------------------------------
# packing (student, skill) sequences time-major
# ---------------------------------------------------------------------------
@dataclass
class _Packed:
    """(student, skill) sequences laid out time-major (see module docstring).

    ``pos[e]`` is the packed position of skill entry ``e`` (an (answer, skill)
    pair of the CSR lists); ``off[t]:off[t+1]`` are the entries at time ``t``;
    sequence ``s`` (sorted longest first) is at ``off[t] + s``.
    """

    pos: np.ndarray | None  # (E,) entry -> packed position
    off: np.ndarray  # (T + 1,)
    seq_skill: np.ndarray  # (S,) skill (model index) of each sequence
    skill: np.ndarray  # (E,) packed: skill of each position
    obs: np.ndarray  # (E,) packed: 0/1 answer
    gs: np.ndarray | None = None  # (E,) packed: guess/slip class of each position

    @property
    def size(self) -> int:
        return int(self.skill.shape[0])

    @property
    def gs_classes(self) -> np.ndarray:
        """``gs``, typed as set: only for packs made with guess/slip classes (the fit's)."""
        assert self.gs is not None, "packed without guess/slip classes"
        return self.gs

    def time_and_rank(self) -> tuple[np.ndarray, np.ndarray]:
        """Time step and sequence rank of each packed position."""
        n_t = np.diff(self.off)
        t_of = np.repeat(np.arange(n_t.size), n_t)
        return t_of, np.arange(self.size) - self.off[t_of]

    def has_next(self) -> np.ndarray:
        """True where the sequence has a later answer."""
        t_of, r = self.time_and_rank()
        n_next = np.append(np.diff(self.off)[1:], 0)
        return r < n_next[t_of]

    def replicate(self, r_n: int, k_n: int, g_n: int) -> _Packed:
        """``r_n`` copies of every sequence, copy ``r`` on skill ``r * k_n + k`` (class ``r * g_n + g``).

        Copies of a sequence are adjacent ranks, so sequences still running
        at ``t + 1`` stay a prefix of block ``t``.
        """
        e, s = self.size, self.seq_skill.size
        return _Packed(
            pos=None,
            off=self.off * r_n,
            seq_skill=np.repeat(self.seq_skill, r_n) + np.tile(np.arange(r_n) * k_n, s),
            skill=np.repeat(self.skill, r_n) + np.tile(np.arange(r_n) * k_n, e),
            obs=np.repeat(self.obs, r_n),
            gs=None if self.gs is None else np.repeat(self.gs, r_n) + np.tile(np.arange(r_n) * g_n, e),
        )

    def compress(self, keep_seq: np.ndarray) -> _Packed:
        """Only the sequences where ``keep_seq`` (by rank) is true; order and layout rules kept."""
        t_of, rank = self.time_and_rank()
        keep = keep_seq[rank]
        n_t = np.bincount(t_of[keep], minlength=self.off.size - 1)
        n_t = n_t[: np.count_nonzero(n_t)]  # lengths are non-increasing, so zeros are at the end
        return _Packed(
            pos=None,
            off=np.concatenate([[0], np.cumsum(n_t)]).astype(np.int64),
            seq_skill=self.seq_skill[keep_seq],
            skill=self.skill[keep],
            obs=self.obs[keep],
            gs=None if self.gs is None else self.gs[keep],
        )


def _pack(user: np.ndarray, skill: np.ndarray, answer: np.ndarray, obs: np.ndarray, gs: np.ndarray | None = None) -> _Packed:
    """Pack skill entries (user, skill, answer index for time order, 0/1, guess/slip class) time-major."""
    e = user.shape[0]
    order = np.lexsort((answer, skill, user))  # group by (user, skill), time order inside
    u, k = user[order], skill[order]
    start = np.ones(e, dtype=bool)
    start[1:] = (u[1:] != u[:-1]) | (k[1:] != k[:-1])
    seq_of = np.cumsum(start) - 1  # sequence id of each sorted entry
    first = np.flatnonzero(start)
    t_of = np.arange(e) - first[seq_of]  # time step within the sequence
    lengths = np.diff(np.append(first, e))
    # rank sequences longest first (stable, so ties keep (user, skill) order)
    rank_order = np.argsort(-lengths, kind="stable")
    rank = np.empty_like(rank_order)
    rank[rank_order] = np.arange(rank_order.size)
    t_max = int(lengths.max()) if e else 0
    n_t = np.bincount(t_of, minlength=t_max)  # sequences alive at each t (non-increasing)
    off = np.concatenate([[0], np.cumsum(n_t)]).astype(np.int64)
    packed_sorted = off[t_of] + rank[seq_of]
    pos = np.empty(e, dtype=np.int64)
    pos[order] = packed_sorted
    p_skill = np.empty(e, dtype=np.int64)
    p_skill[pos] = skill
    p_obs = np.empty(e, dtype=np.int8)
    p_obs[pos] = obs
    p_gs = None
    if gs is not None:
        p_gs = np.empty(e, dtype=np.int64)
        p_gs[pos] = gs
    seq_skill = np.empty(lengths.size, dtype=np.int64)
    seq_skill[rank[seq_of[first]] if e else []] = k[first]
    return _Packed(pos=pos, off=off, seq_skill=seq_skill, skill=p_skill, obs=p_obs, gs=p_gs)


def _forward(
    pk: _Packed, prior: np.ndarray, learn: np.ndarray, forget: np.ndarray, e1: np.ndarray, e0: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Forward filter over packed sequences.

    ``prior/learn/forget`` are per sequence (S,); ``e1``/``e0`` the
    likelihood of each packed answer if known / unknown (E,).  Returns
    ``pred`` = P(known before the answer | earlier answers) and ``filt`` =
    P(known | answers up to and including it), both (E,).
    """
    pred = np.empty_like(e1)
    filt = np.empty_like(e1)
    p = prior
    off = pk.off.tolist()
    for t in range(len(off) - 1):
        a, b = off[t], off[t + 1]
        n = b - a
        pt = p[:n]
        pred[a:b] = pt
        f = bkt_bayes(pt, e1[a:b], e0[a:b])
        filt[a:b] = f
        p = bkt_transition(f, learn[:n], forget[:n])
    return pred, filt


def _backward(
    pk: _Packed, learn: np.ndarray, forget: np.ndarray | None, w1: np.ndarray, w0: np.ndarray, filt: np.ndarray, buf: tuple[np.ndarray, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Scaled backward pass and expected transitions.

    ``w1/w0`` are the emission likelihoods divided by the forward
    normaliser ``c`` (E,); ``forget`` is None when there is no forgetting.
    ``buf`` holds four arrays (ones, ones, zeros, zeros) of the layout's
    size, filled in place: positions at the end of a sequence are never
    written, so they keep beta = 1 and no transition.  Returns ``beta1,
    beta0`` and ``x01, x10``: at each position the expected number of
    unknown->known / known->unknown transitions to the next answer.
    """
    b1, b0, x01, x10 = buf
    off = pk.off.tolist()
    for t in range(len(off) - 3, -1, -1):
        a = off[t]
        a1, c1 = off[t + 1], off[t + 2]
        m = c1 - a1  # sequences continuing to t + 1 (a prefix of those at t)
        u1 = w1[a1:c1] * b1[a1:c1]
        u0 = w0[a1:c1] * b0[a1:c1]
        lm = learn[:m]
        b0[a : a + m] = u0 + lm * (u1 - u0)
        ft = filt[a : a + m]
        x01[a : a + m] = (1.0 - ft) * lm * u1
        if forget is None:
            b1[a : a + m] = u1
        else:
            fm = forget[:m]
            b1[a : a + m] = u1 + fm * (u0 - u1)
            x10[a : a + m] = ft * fm * u0
    return b1, b0, x01, x10


# ---------------------------------------------------------------------------
# the model
# ---------------------------------------------------------------------------
def _entries(data: Responses) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(answer index, skill index, user) of every CSR skill entry."""
    answer = data.answer_of_skill
    return answer, data.skill_idx.astype(np.int64), data.user.astype(np.int64)[answer]


@register_model
class BKT(KTModel):
    """Bayesian Knowledge Tracing (Corbett & Anderson 1994) with pyBKT's extensions.

    Fitted by EM (Baum-Welch) for all skills at once, with vectorised
    forward-backward passes and ``n_restarts`` random initialisations per
    skill (the restart with the highest training likelihood wins, per skill).
    Badrinath, Wang & Pardos, "pyBKT", EDM 2021, describe the ``forgets`` and
    per-item guess/slip (``multigs``) variants implemented here.

    Prediction is one-step-ahead: answer ``t`` of a student on a skill is
    predicted from that student's earlier answers on that skill only (forward
    filtering), ``P(correct) = P(known) (1 - slip) + (1 - P(known)) guess``.
    Skills unseen in training use population defaults (each parameter's mean
    over the training skills, weighted by their number of answers); with
    ``multigs`` an item unseen with its skill uses the skill's mean guess/slip.

    Multi-skill answers: as in pyBKT, such an answer is an observation of each
    of its skills (it enters every skill's sequence in training and updates
    every skill's state); its predicted probability is the mean of the skills'
    predictions (``combine="mean"``) or their product (``combine="product"``,
    a conjunctive reading: all skills are needed).

    Parameters
    ----------
    n_restarts : int, default 5
        Random initialisations per skill (pyBKT's ``num_fits`` default).
    max_iter : int, default 100
        Maximum EM iterations (pyBKT's default).
    tol : float, default 1e-6
        A skill (per restart) has converged when its training log-likelihood
        per answer improves by less than ``tol`` in an iteration.
    forgets : bool, default False
        Fit a per-skill forgetting probability (known -> unknown).
    multigs : bool, default False
        One guess/slip pair per (skill, item) instead of per skill; needs
        ``data.item``.
    max_guess, max_slip : float, default 0.5
        Upper bounds of guess and slip, each in (0, 1) and together at most
        1 (below 0.5 keeps the model from reading "known" as "wrong"); the
        M-step is the bounded maximiser.
    combine : {"mean", "product"}, default "mean"
        How skills' predictions are combined for a multi-skill answer.
    seed : int or None, default 0
        Seed of the random initialisations.

    Attributes
    ----------
    skill_names_ : list of str
        Training skills, in the order of the parameter arrays.
    prior_, learn_, forget_, guess_, slip_ : ndarray (n_skills,)
        Fitted parameters (with ``multigs``, ``guess_``/``slip_`` are the
        answer-weighted means per skill and ``gs_guess_``/``gs_slip_`` hold
        the per-(skill, item) values).
    log_likelihood_ : ndarray (n_skills,)
        Training log-likelihood per skill of the chosen restart.
    n_iter_ : ndarray (n_skills,)
        EM iterations used by the chosen restart.
    """

    name = "bkt"

    def __init__(
        self,
        n_restarts: int = 5,
        max_iter: int = 100,
        tol: float = 1e-6,
        forgets: bool = False,
        multigs: bool = False,
        max_guess: float = 0.5,
        max_slip: float = 0.5,
        combine: str = "mean",
        seed: int | None = 0,
    ) -> None:
        self.n_restarts = n_restarts
        self.max_iter = max_iter
        self.tol = tol
        self.forgets = forgets
        self.multigs = multigs
        self.max_guess = max_guess
        self.max_slip = max_slip
        self.combine = combine
        self.seed = seed
        self.skill_names_: list[str] | None = None

    _parameter_constraints: ClassVar[dict[str, Rule]] = {
        "n_restarts": Interval(Integral, 1),
        "max_iter": Interval(Integral, 1),
        "tol": Interval(Real, 0),
        "forgets": Boolean(),
        "multigs": Boolean(),
        "max_guess": Interval(Real, 0, 1, closed="neither"),
        "max_slip": Interval(Real, 0, 1, closed="neither"),
        "combine": OneOf("mean", "product"),
        "seed": Nullable(Interval(Integral, 0)),
    }

    def _check_param_combination(self) -> None:
        # above 1, EM could fit a skill whose students answer worse once they know it
        if self.max_guess + self.max_slip > 1.0:
            raise ValueError(f"bkt: parameters 'max_guess' + 'max_slip' must be at most 1, got {self.max_guess} + {self.max_slip}")

    # ------------------------------------------------------------------ fit
    def fit(self, data: Responses) -> BKT:
        """Fit the per-skill parameters by EM on ``data`` (the training split; with ``multigs`` it needs items)."""
        self._start_fit(data)
        if self.multigs and data.item is None:
            raise ValueError("bkt: multigs=True needs item ids in the data (read_log(..., item=...))")
        rng = np.random.default_rng(self.seed)
        answer, skill, user = _entries(data)
        obs = data.correct[answer]
        k_n = data.n_skills
        # guess/slip classes: per skill, or per (skill, item) pair seen in training
        if self.multigs:
            assert data.item is not None  # checked above
            n_it = max(data.n_items, 1)
            pair = skill * n_it + data.item.astype(np.int64)[answer]
            uniq, gs_of_entry = np.unique(pair, return_inverse=True)
            gs_skill, gs_item = (uniq // n_it).astype(np.int64), (uniq % n_it).astype(np.int64)
        else:
            gs_of_entry, gs_skill, gs_item = skill, np.arange(k_n, dtype=np.int64), None
        n_gs = gs_skill.size
        r_n = int(self.n_restarts)
        hi_g, hi_s = float(self.max_guess), float(self.max_slip)
        # Restarts are "virtual skills" v = r * K + k: every sequence is
        # replicated once per restart, so the whole fit is one set of 1-D
        # arrays, and (restart, skill) pairs that have converged are dropped
        # from the packed data as the fit goes on.
        v_n, g_n = r_n * k_n, r_n * n_gs
        gs_vskill = (np.arange(r_n)[:, None] * k_n + gs_skill[None, :]).reshape(-1)
        # random initialisations (ranges where EM is well behaved, cf. pyBKT's random starts)
        prior = rng.uniform(0.05, 0.95, v_n)
        learn = rng.uniform(0.01, 0.5, v_n)
        forget = rng.uniform(0.0, 0.1, v_n) if self.forgets else np.zeros(v_n)
        guess = rng.uniform(0.05, min(0.45, hi_g), g_n)
        slip = rng.uniform(0.05, min(0.45, hi_s), g_n)
        pk = _pack(user, skill, answer, obs, gs_of_entry).replicate(r_n, k_n, n_gs)
        n_ans_v = np.bincount(pk.skill, minlength=v_n).astype(np.float64)
        frozen = n_ans_v == 0
        ll_old = np.full(v_n, -np.inf)
        n_iter = np.zeros(v_n, dtype=np.int64)
        fresh = True

        def ratio(num: np.ndarray, den: np.ndarray, old: np.ndarray) -> np.ndarray:
            return np.where(den > 0, num / np.where(den > 0, den, 1.0), old)

        for it in range(int(self.max_iter) + 1):
            if fresh:  # (re)derive the per-layout arrays
                fresh = False
                obs_f = (pk.obs == 1).astype(np.float64)
                hn = pk.has_next()
                has_next = hn.astype(np.float64)
                # emission tables are gathered with one index: 2 * class + answer
                e_idx = 2 * pk.gs_classes + pk.obs
                first = slice(0, int(pk.off[1]))  # time step 0: one entry per sequence, in sequence order
                n_seq_v = np.bincount(pk.seq_skill, minlength=v_n).astype(np.float64)
                n_gs_v = np.bincount(pk.gs_classes, minlength=g_n).astype(np.float64)
                n_ok_gs = np.bincount(pk.gs_classes, weights=obs_f, minlength=g_n)
                n_next_v = np.bincount(pk.skill, weights=has_next, minlength=v_n)
                # backward buffers: positions at the end of a sequence keep beta = 1 and no transition
                buf = (np.ones(pk.size), np.ones(pk.size), np.zeros(pk.size), np.zeros(pk.size))
            # ---- E-step
            # P(answer | known), P(answer | unknown): (class, answer) tables, gathered
            t1, t0 = bkt_likelihoods(guess[:, None], slip[:, None], _ANSWERS)
            e1, e0 = t1.reshape(-1)[e_idx], t0.reshape(-1)[e_idx]
            sl, sf = learn[pk.seq_skill], forget[pk.seq_skill]
            pred, filt = _forward(pk, prior[pk.seq_skill], sl, sf, e1, e0)
            c = pred * (e1 - e0) + e0
            ll = np.bincount(pk.skill, weights=np.log(c), minlength=v_n)
            # convergence per (restart, skill), judged per answer
            newly = ~frozen & ((ll - ll_old) / np.maximum(n_ans_v, 1.0) < self.tol)
            active = ~frozen
            ll_old[active] = ll[active]
            frozen |= newly
            n_iter[active & ~newly] += 1
            if frozen.all() or it == self.max_iter:
                break
            e1 /= c
            e0 /= c
            b1, b0, x01, x10 = _backward(pk, sl, sf if self.forgets else None, e1, e0, filt, buf)
            # posteriors P(known at t | all answers)
            k1 = filt * b1
            gam1 = k1 / (k1 + (1.0 - filt) * b0)
            # ---- M-step (bounded maximisers) for the unconverged (restart, skill) pairs.
            # Sums of P(unknown) are counts minus sums of P(known).
            upd = ~frozen
            upd_g = upd[gs_vskill]
            new_prior = np.bincount(pk.seq_skill, weights=gam1[first], minlength=v_n) / np.maximum(n_seq_v, 1.0)
            prior[upd] = np.clip(new_prior, _EPS, 1 - _EPS)[upd]
            g1_next = np.bincount(pk.skill, weights=gam1 * has_next, minlength=v_n)
            x01_v = np.bincount(pk.skill, weights=x01, minlength=v_n)
            learn[upd] = np.clip(ratio(x01_v, n_next_v - g1_next, learn), _EPS, 1 - _EPS)[upd]
            if self.forgets:
                x10_v = np.bincount(pk.skill, weights=x10, minlength=v_n)
                forget[upd] = np.clip(ratio(x10_v, g1_next, forget), _EPS, 1 - _EPS)[upd]
            g1 = np.bincount(pk.gs_classes, weights=gam1, minlength=g_n)
            g1_ok = np.bincount(pk.gs_classes, weights=gam1 * obs_f, minlength=g_n)
            new_g = ratio(n_ok_gs - g1_ok, n_gs_v - g1, guess)  # correct while unknown / unknown
            new_s = ratio(g1 - g1_ok, g1, slip)  # wrong while known / known
            guess[upd_g] = np.clip(new_g, _EPS, hi_g)[upd_g]
            slip[upd_g] = np.clip(new_s, _EPS, hi_s)[upd_g]
            del pred, filt, c, e1, e0, k1, gam1
            # drop converged (restart, skill) pairs once they are a good part of the work
            if np.count_nonzero(~frozen[pk.skill]) < 0.8 * pk.size:
                pk, fresh = pk.compress(~frozen[pk.seq_skill]), True
        # best restart per skill
        ll_rk = ll_old.reshape(r_n, k_n)
        best = np.argmax(ll_rk, axis=0)
        cols = np.arange(k_n)
        vb = best * k_n + cols
        self.skill_names_ = list(data.skill_names)
        self.prior_ = prior[vb]
        self.learn_ = learn[vb]
        self.forget_ = forget[vb]
        self.log_likelihood_ = ll_old[vb]
        self.n_iter_ = n_iter[vb]
        n_ans_k = np.bincount(skill, minlength=k_n).astype(np.float64)
        gsc = best[gs_skill] * n_gs + np.arange(n_gs)
        if self.multigs:
            n_ans_gs = np.bincount(gs_of_entry, minlength=n_gs).astype(np.float64)
            self.gs_guess_ = guess[gsc]
            self.gs_slip_ = slip[gsc]
            self.gs_skill_ = gs_skill
            assert gs_item is not None  # set with multigs above
            item_names = cast(list[str], data.item_names)  # set with data.item (a Responses invariant)
            self.gs_item_ = [item_names[i] for i in gs_item.tolist()]
            self.gs_count_ = n_ans_gs
            wsum = np.maximum(np.bincount(gs_skill, weights=n_ans_gs, minlength=k_n), 1.0)
            self.guess_ = np.bincount(gs_skill, weights=n_ans_gs * self.gs_guess_, minlength=k_n) / wsum
            self.slip_ = np.bincount(gs_skill, weights=n_ans_gs * self.gs_slip_, minlength=k_n) / wsum
        else:
            self.guess_ = guess[gsc]
            self.slip_ = slip[gsc]
        self.skill_count_ = n_ans_k
        return self

    def _fitted_skill_names(self) -> list[str]:
        """``skill_names_`` of a fitted model (callers have run :meth:`_check_fitted`, or been made by :meth:`tracker`)."""
        names = self.skill_names_
        assert names is not None, "bkt: not fitted"
        return names

    # ------------------------------------------------------------ defaults
    def defaults_(self) -> dict[str, float]:
        """Population parameters used for skills unseen in training (answer-weighted means)."""
        self._check_fitted()
        w = np.asarray(self.skill_count_, dtype=np.float64)
        w = w / w.sum() if w.sum() > 0 else np.full(w.size, 1.0 / max(w.size, 1))
        return {k: float(np.dot(w, getattr(self, f"{k}_"))) for k in BKT_KEYS}

    def _skill_table(self, names: list[str]) -> dict[str, np.ndarray]:
        """Per-skill parameters for ``names``: trained values, defaults for unseen skills."""
        idx = name_index(names, self._fitted_skill_names())
        d = self.defaults_()
        out = {}
        for k in BKT_KEYS:
            v = np.append(np.asarray(getattr(self, f"{k}_"), dtype=np.float64), d[k])
            out[k] = v[idx]  # -1 picks the appended default
        return out

    def _gs_lookup(self) -> dict[tuple[str, str], int]:
        names = self._fitted_skill_names()
        return {(names[s], it): j for j, (s, it) in enumerate(zip(self.gs_skill_.tolist(), self.gs_item_, strict=True))}

    # -------------------------------------------------------------- predict
    def predict_proba(self, data: Responses) -> np.ndarray:
        """One-step-ahead probability that each answer of ``data`` is correct.

        Answer ``t`` of a student is predicted from their earlier answers on
        the same skill(s) only; nothing of answer ``t`` or later is used.
        """
        self._check_fitted()
        if data.n_answers == 0:
            return np.zeros(0)
        answer, skill, user = _entries(data)
        obs = data.correct[answer]
        tab = self._skill_table(data.skill_names)
        guess = tab["guess"][skill]
        slip = tab["slip"][skill]
        if self.multigs and data.item is not None:
            look = self._gs_lookup()
            item_names = cast(list[str], data.item_names)  # set with data.item (a Responses invariant)
            names = [(data.skill_names[s], item_names[i]) for s, i in zip(skill.tolist(), data.item[answer].tolist(), strict=True)]
            j = np.array([look.get(nm, -1) for nm in names], dtype=np.int64)
            found = j >= 0
            guess[found] = self.gs_guess_[j[found]]
            slip[found] = self.gs_slip_[j[found]]
        pk = _pack(user, skill, answer, obs)
        gp = np.empty(pk.size)
        spk = np.empty(pk.size)
        gp[pk.pos], spk[pk.pos] = guess, slip
        e1, e0 = bkt_likelihoods(gp, spk, pk.obs)
        pred, _ = _forward(pk, tab["prior"][pk.seq_skill], tab["learn"][pk.seq_skill], tab["forget"][pk.seq_skill], e1, e0)
        pk_known = pred[pk.pos]  # back to entry order
        p_entry = bkt_p_correct(pk_known, guess, slip)
        counts = np.diff(data.skill_ptr)
        if np.all(counts == 1):
            return p_entry
        if self.combine == "mean":
            return np.bincount(answer, weights=p_entry, minlength=data.n_answers) / counts
        return np.exp(np.bincount(answer, weights=np.log(p_entry), minlength=data.n_answers))

    def tracker(self) -> BKTTracker:
        """A live tracker giving the same probabilities as :meth:`predict_proba`."""
        self._check_fitted()
        return BKTTracker(self)

    def _tracker_items(self, data: Responses) -> list[str] | None:
        if not self.multigs or data.item is None or data.item_names is None:
            return None
        return np.asarray(data.item_names, dtype=object)[data.item].tolist()

    # ---------------------------------------------------------- persistence
    def _get_state(self) -> dict[str, Any]:
        self._check_fitted()
        state: dict[str, Any] = {"skill_names": list(self._fitted_skill_names())}
        for k in ("prior", "learn", "forget", "guess", "slip", "log_likelihood", "n_iter", "skill_count"):
            state[k] = np.asarray(getattr(self, f"{k}_"))
        if self.multigs:
            state["gs"] = {
                "guess": self.gs_guess_,
                "slip": self.gs_slip_,
                "skill": self.gs_skill_,
                "item": list(self.gs_item_),
                "count": self.gs_count_,
            }
        return state

    def _set_state(self, state: dict[str, Any]) -> None:
        self.skill_names_ = [str(s) for s in state["skill_names"]]
        for k in ("prior", "learn", "forget", "guess", "slip", "log_likelihood", "skill_count"):
            setattr(self, f"{k}_", np.asarray(state[k], dtype=np.float64))
        self.n_iter_ = np.asarray(state["n_iter"], dtype=np.int64)
        if self.multigs:
            gs = state["gs"]
            self.gs_guess_ = np.asarray(gs["guess"], dtype=np.float64)
            self.gs_slip_ = np.asarray(gs["slip"], dtype=np.float64)
            self.gs_skill_ = np.asarray(gs["skill"], dtype=np.int64)
            self.gs_item_ = [str(x) for x in gs["item"]]
            self.gs_count_ = np.asarray(gs["count"], dtype=np.float64)

    def params_table(self) -> dict[str, dict[str, float]]:
        """``{skill: {prior, learn, forget, guess, slip}}`` for reports."""
        self._check_fitted()
        return {s: {k: float(getattr(self, f"{k}_")[i]) for k in BKT_KEYS} for i, s in enumerate(self._fitted_skill_names())}


class BKTTracker(Tracker):
    """Live BKT: one answer at a time (same numbers as :meth:`BKT.predict_proba`).

    ``skill_or_item`` is a skill name, or a list of skill names for a
    multi-skill answer.  With ``multigs`` pass ``item=`` to use that item's
    guess/slip.
    """

    def __init__(self, model: BKT) -> None:
        self.model = model
        self._known: dict[str, dict[str, float]] = {}  # student -> skill -> P(known) before next answer
        self._index = {s: i for i, s in enumerate(model._fitted_skill_names())}
        self._defaults = model.defaults_()
        self._gs = model._gs_lookup() if model.multigs else {}

    def _params(self, skill: str, item: str | None) -> tuple[float, float, float, float, float]:
        m = self.model
        i = self._index.get(skill)
        if i is None:
            d = self._defaults
            return d["prior"], d["learn"], d["forget"], d["guess"], d["slip"]
        g, s = float(m.guess_[i]), float(m.slip_[i])
        if item is not None and self._gs:
            j = self._gs.get((skill, str(item)))
            if j is not None:
                g, s = float(m.gs_guess_[j]), float(m.gs_slip_[j])
        return float(m.prior_[i]), float(m.learn_[i]), float(m.forget_[i]), g, s

    @staticmethod
    def _skills(skill_or_item: str | list[str] | tuple[str, ...]) -> list[str]:
        return [str(skill_or_item)] if isinstance(skill_or_item, str) else [str(s) for s in skill_or_item]

    def _combine(self, ps: list[float]) -> float:
        if len(ps) == 1:
            return ps[0]
        if self.model.combine == "mean":
            return float(np.sum(ps) / len(ps))
        return float(np.exp(np.sum(np.log(ps))))

    def predict(self, student: str, skill_or_item: str | list[str], item: str | None = None) -> float:
        """Probability that ``student`` answers the next question on the skill(s) correctly."""
        known = self._known.get(str(student), {})
        ps = []
        for sk in self._skills(skill_or_item):
            prior, _, _, g, s = self._params(sk, item)
            ps.append(float(bkt_p_correct(known.get(sk, prior), g, s)))
        return self._combine(ps)

    def update(self, student: str, skill_or_item: str | list[str], correct: int, item: str | None = None) -> float:
        """Record an answer (0/1); return the probability of correct predicted before it."""
        if isinstance(correct, bool) or correct not in (0, 1):
            raise ValueError(f"bkt tracker: correct must be 0 or 1, got {correct!r}")
        p = self.predict(student, skill_or_item, item)
        known = self._known.setdefault(str(student), {})
        for sk in self._skills(skill_or_item):
            prior, learn, forget, g, s = self._params(sk, item)
            known[sk] = bkt_update(known.get(sk, prior), learn, forget, g, s, correct)
        return p

    def update_score(self, student: str, skill_or_item: str | list[str], score: float, item: str | None = None) -> float:
        """Record an answer with a score in [0, 1]; return the probability of correct predicted before it.

        0 and 1 are :meth:`update`. A fractional score is soft evidence: each skill's P(known)
        becomes ``score * (posterior if right) + (1 - score) * (posterior if wrong)``.
        """
        if isinstance(score, bool) or not 0.0 <= float(score) <= 1.0:
            raise ValueError(f"bkt tracker: score must be a number in [0, 1], got {score!r}")
        if score in (0.0, 1.0):
            return self.update(student, skill_or_item, int(score), item=item)
        key = str(student)
        before = dict(self._known.get(key, {}))
        p = self.update(student, skill_or_item, 1, item=item)
        right = self._known[key]
        self._known[key] = dict(before)
        self.update(student, skill_or_item, 0, item=item)
        wrong = self._known[key]
        for sk in self._skills(skill_or_item):
            wrong[sk] = score * right[sk] + (1.0 - score) * wrong[sk]
        return p

    def state(self, student: str) -> dict[str, Any]:
        """One student's live state as plain JSON data (``{"known": {skill: P(known)}}``); see :meth:`load`."""
        return {"known": dict(self._known.get(str(student), {}))}

    def load(self, student: str, state: Mapping[str, Any]) -> None:
        """Set one student's live state from :meth:`state` output (other students are untouched)."""
        known = state.get("known", {})
        if not isinstance(known, Mapping):
            raise ValueError("bkt tracker: state['known'] must map skill -> P(known)")
        values = {str(k): float(v) for k, v in known.items()}
        bad = [k for k, v in values.items() if not 0.0 <= v <= 1.0]
        if bad:
            raise ValueError(f"bkt tracker: P(known) of skill {bad[0]!r} is not in [0, 1]")
        if values:
            self._known[str(student)] = values
        else:
            self._known.pop(str(student), None)

    def mastery(self, student: str) -> dict[str, float]:
        """P(known) per skill for ``student``: every training skill (the prior if not practised) and any other skill seen live."""
        known = self._known.get(str(student), {})
        out = {s: float(known.get(s, self.model.prior_[i])) for i, s in enumerate(self.model._fitted_skill_names())}
        out.update({s: float(v) for s, v in known.items()})
        return out

    def reset(self, student: str | None = None) -> None:
        """Forget one student's answers (or everyone's)."""
        if student is None:
            self._known.clear()
        else:
            self._known.pop(str(student), None)
