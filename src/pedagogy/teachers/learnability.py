"""``learnability``: prompt-level sampling by p(1 - p) from discounted Beta pass rates, with group borrowing and a noise guard."""

from __future__ import annotations

import base64
import bisect
import math
import sys
from array import array
from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np

from pedagogy.params import Boolean, Interval, OneOf, Param, Satisfies
from pedagogy.spaces import Discrete
from pedagogy.teachers.base import Teacher, register

__all__ = ["LearnabilityTeacher", "encode_array", "decode_array", "parse_groups", "observe_naming_the_prompt"]

_SD_FLOOR = 1e-3  # keeps a z-score finite where the success rate never varied
_SUCC, _CNT, _FAST, _SLOW, _GUARD, _NSTAT = 0, 1, 2, 3, 4, 5  # columns of the per-prompt statistics
_STAT_NAMES = ("succ", "cnt", "fast", "slow", "guard")
_BIG = sys.byteorder == "big"


def encode_array(a: array[Any]) -> str:
    """A typed array as base64 of its little-endian bytes (compact, plain JSON)."""
    if _BIG:  # pragma: no cover - big-endian hosts
        a = array(a.typecode, a)
        a.byteswap()
    return base64.b64encode(a.tobytes()).decode("ascii")


def decode_array(typecode: str, text: str, n: int) -> array[Any]:
    """Inverse of :func:`encode_array`; checks the length is ``n``."""
    a = array(typecode)
    a.frombytes(base64.b64decode(text.encode("ascii"), validate=True))
    if _BIG:  # pragma: no cover
        a.byteswap()
    if len(a) != n:
        raise ValueError(f"an array of {len(a)} values where {n} were expected")
    return a


def _groups_shape_ok(value: Any) -> bool:
    return value is None or isinstance(value, (list, tuple, Mapping, np.ndarray))


def parse_groups(groups: Any, space: Discrete) -> tuple[list[Any], np.ndarray]:
    """``groups=`` as (labels, int32 code per prompt); a ``ValueError`` naming the first prompt without a group.

    Accepts a sequence of labels in the space's task order, a mapping prompt -> label,
    or the compact form ``{"labels": [...], "codes": base64}`` that the teacher stores.
    """
    n = space.n
    if groups is None:
        return [0], np.zeros(n, dtype=np.int32)
    if isinstance(groups, Mapping) and set(groups) == {"labels", "codes"} and isinstance(groups["codes"], str):
        labels = list(groups["labels"])
        codes = np.frombuffer(base64.b64decode(groups["codes"]), dtype="<i4").astype(np.int32)
        if codes.size != n:
            raise ValueError(f"groups: {codes.size} codes for {n} prompts")
        if n and (codes.min() < 0 or codes.max() >= len(labels)):
            raise ValueError("groups: a code outside the label list")
        return labels, codes
    if isinstance(groups, Mapping):
        seq: list[Any] = []
        for t in space.tasks:
            if t in groups:
                seq.append(groups[t])
            elif not isinstance(t, str) and str(t) in groups:  # JSON turned integer keys into strings
                seq.append(groups[str(t)])
            else:
                raise ValueError(f"groups: prompt {t!r} has no group")
        extra = next(
            (
                k
                for k in groups
                if not space.contains(k) and not (isinstance(k, str) and k.lstrip("-").isdigit() and space.contains(int(k)))
            ),
            None,
        )
        if extra is not None:
            raise ValueError(f"groups: prompt {extra!r} is not in the space")
    else:
        seq = list(groups.tolist() if isinstance(groups, np.ndarray) else groups)
        if len(seq) != n:
            raise ValueError(
                f"groups: {len(seq)} labels for {n} prompts" + (f" (prompt {space.tasks[len(seq)]!r} has no group)" if len(seq) < n else "")
            )
    arr = np.asarray(seq)
    if arr.ndim == 1 and (arr.dtype.kind in "iu" or (arr.dtype.kind == "U" and all(type(x) is str for x in seq))):
        uniq, inverse = np.unique(arr, return_inverse=True)  # vectorised: labels in sorted order
        return [x.item() for x in uniq], inverse.astype(np.int32)
    index: dict[Any, int] = {}
    codes = np.empty(n, dtype=np.int32)
    for i, lab in enumerate(seq):
        if isinstance(lab, (bool, np.bool_)) or not isinstance(lab, (str, int, np.integer)):
            raise ValueError(f"groups: the group of prompt {space.tasks[i]!r} must be a str or int label, got {lab!r}")
        lab = int(lab) if isinstance(lab, np.integer) else lab
        c = index.get(lab)
        if c is None:
            c = index[lab] = len(index)
        codes[i] = c
    return list(index), codes


def observe_naming_the_prompt(teacher: Teacher[Any], observe: Any, task: Any, score: Any) -> None:
    """Call ``observe(task, score)``; a rejected score's error also names the prompt it was given for."""
    try:
        observe(task, score)
    except ValueError as exc:
        if "score must be" not in str(exc):
            raise
        if isinstance(score, (list, tuple, np.ndarray)) and isinstance(task, (list, tuple, np.ndarray)):
            for t, s in zip(task, score):
                try:
                    teacher._check_score(s)
                except ValueError:
                    raise ValueError(f"{exc} (prompt {t!r})") from None
            raise
        raise ValueError(f"{exc} (prompt {task!r})") from None


@register
class LearnabilityTeacher(Teacher[Discrete]):
    """Sample prompts by learnability ``p (1 - p)`` of a discounted Beta pass rate, robust to coin-flip prompts.

    **Pass rate.** Each prompt ``i`` keeps a discounted Beta posterior over its
    pass rate: an observation (the success rate ``q`` of a group of rollouts)
    adds ``rollouts * q`` successes and ``rollouts * (1 - q)`` failures after
    multiplying the old counts by ``gamma`` (the policy changes, so old
    rollouts count less; discounted Beta bandits as in Raj & Kalyani 2017,
    arXiv 1707.09727).  ``p_i`` is the posterior mean under the prior
    ``Beta(prior_a, prior_b)``.

    **Selection** (``rule``):

    * ``"learnability"`` (default): sample ``i`` with probability proportional
      to ``p_i (1 - p_i)``, the variance of a prompt's reward and so the
      expected size of its GRPO advantage (Foster & Foerster 2025, "Learning
      to Reason at the Frontier of Learnability", arXiv 2502.12272; the same
      score as SFL for environment levels, Rutherford et al. 2024, "No
      Regrets", NeurIPS 2024);
    * ``"band"``: uniform over the prompts whose pass rate lies in
      ``[band_low, band_high]`` (Online Difficulty Filtering, Bae et al. 2025,
      arXiv 2504.03380, which keeps prompts of intermediate pass rate);
    * ``"top-k"``: SFL's buffer (Rutherford et al. 2024): the ``top_k`` prompts
      of highest learnability seen so far are kept; with probability
      ``topk_prob`` a proposal is uniform over the buffer, otherwise it is drawn
      as under ``"learnability"`` (SFL draws fresh levels there; here the draw
      still favours learnable prompts and explores unseen ones);
    * ``"proportional"``: proportional to the pass rate's expected
      learnability under its posterior, ``E[p (1 - p)] = a b / ((a + b)(a + b + 1))``,
      which discounts prompts seen rarely (prioritised sampling proportional to
      a score, as in prioritised replay, Schaul et al. 2016).

    A uniform share ``uniform_prob`` revisits prompts whose estimate is stale.

    **Unseen prompts** are explored from a prior.  With ``groups=`` (one label
    per prompt: its source or difficulty bucket) an unseen prompt's value is
    its group's *predicted* value, the mean value of the group's tried prompts
    (with the prior's value counted as one tried prompt), so a prompt is valued
    before any rollout of it: the idea of GRESO (arXiv 2506.02177), which skips
    prompts predicted to give zero reward variance from their history, and of
    PCL (arXiv 2510.01135), which predicts pass rates before rollout.  Without
    groups every prompt is in one group.

    **Noise guard** (``noise_guard=True``).  A prompt whose reward is noise (a
    wrong reference answer, a flaky verifier) has a pass rate near 1/2 and the
    largest ``p (1 - p)`` of all.  Learning progress tells it apart: each prompt
    and each group keeps a fast and a slow moving average of its success rate
    (``ema_fast``, ``ema_slow`` for prompts; ``group_ema_fast``,
    ``group_ema_slow``, ten times slower, for groups, which see many more
    observations and move slowly; rates of at least ``1/n`` at the ``n``-th
    observation), and ``LP = |fast - slow|`` (Kanitscheider et al. 2021, arXiv
    2106.14876; absolute LP, Portelas et al. 2019, arXiv 1910.07224), measured
    in units of its own sampling noise, ``z = LP / sd(fast EMA)`` (as in
    ``sec-lp``; for a prompt the noise is the binomial ``sqrt(p (1 - p) / rollouts)``,
    for a group the measured spread of its success rates).  After
    ``guard_min_obs`` observations, each observation with ``z < guard_z``
    multiplies the prompt's (group's) guard factor by ``guard_decay`` (down to
    ``guard_floor``); one with ``z >= guard_z`` divides it by ``guard_decay**2``
    (up to 1).  A coin-flip prompt has ``z`` below 2 about 95 % of the time
    and sinks to the floor; a prompt being learned moves and keeps its factor.
    The sampling weight is ``value * prompt factor * group factor``.  This
    combination is ours; ``noise_guard=False`` gives the plain rule.

    **Cost.** Each group's prompt weights sit in a sum tree (a flat float64
    heap, 16 bytes per prompt) and groups in a sum tree of groups; unseen
    prompts of a group are a block of a permutation, drawn in O(1).  Propose
    and observe are O(log N); per prompt the teacher holds 52 bytes (float32
    counts, averages and guard factor; int32 group, slot and count; the tree).
    The state stores the arrays as base64 of little-endian bytes.

    Defaults are ours, chosen on the tests' small learners, not a paper's.  The
    group rates: with the prompt rates (0.1 / 0.01) the group guard did nothing
    on 3,000 prompts seen 4 times each (coin-flip share 0.57 with the guard,
    0.59 without); at 0.01 / 0.001 the share fell to 0.44 and the learnable
    source's mean pass rate rose from 0.09 to 0.22 (uniform sampling: 0.15).
    Also:
    ``gamma=0.8`` and ``rollouts=8`` keep about 40 rollouts of memory
    (Foster & Foerster use only the latest batch's pass rate: ``gamma=0``).

    Score: the success rate of a group of rollouts of the prompt (mean reward in
    ``[0, 1]``; set ``rollouts`` to the group size, 1 for a single 0/1 outcome).
    """

    name = "learnability"
    description = "Prompt-level p(1-p) sampling from discounted Beta pass rates; group borrowing for unseen prompts; noise guard."
    paper = (
        "Foster & Foerster 2025, Learning to Reason at the Frontier of Learnability, arXiv 2502.12272; Rutherford et al. 2024, "
        "No Regrets (SFL), NeurIPS 2024; Bae et al. 2025, Online Difficulty Filtering, arXiv 2504.03380"
    )
    score_doc = "success rate of a group of rollouts of the prompt (mean reward) in [0, 1]"
    score_range = (0.0, 1.0)
    large_discrete = True
    space_types = (Discrete,)
    params = {
        "rule": Param("learnability", OneOf("learnability", "band", "top-k", "proportional"), "selection rule (see above)"),
        "gamma": Param(0.8, Interval(Real, 0, 1), "discount of a prompt's Beta counts at each of its observations"),
        "rollouts": Param(8.0, Interval(Real, 0, closed="neither"), "rollouts one observation averages (its weight in the Beta counts)"),
        "prior_a": Param(0.5, Interval(Real, 0, closed="neither"), "Beta prior successes"),
        "prior_b": Param(0.5, Interval(Real, 0, closed="neither"), "Beta prior failures"),
        "groups": Param(
            None,
            Satisfies(_groups_shape_ok, "None, a sequence of group labels (one per prompt) or a mapping prompt -> label"),
            "group (source, difficulty bucket) of each prompt; unseen prompts borrow their group's value",
        ),
        "band_low": Param(0.25, Interval(Real, 0, 1), "lower pass rate of the band rule"),
        "band_high": Param(0.75, Interval(Real, 0, 1), "upper pass rate of the band rule"),
        "top_k": Param(64, Interval(Integral, 1), "buffer size of the top-k rule"),
        "topk_prob": Param(0.5, Interval(Real, 0, 1), "probability of a draw from the top-k buffer"),
        "uniform_prob": Param(0.05, Interval(Real, 0, 1), "uniform mixture weight (revisits stale estimates)"),
        "noise_guard": Param(True, Boolean(), "decay the weight of prompts and groups whose pass rate does not move"),
        "ema_fast": Param(0.1, Interval(Real, 0, 1, closed="right"), "rate of the fast EMA of the success rate"),
        "ema_slow": Param(0.01, Interval(Real, 0, 1, closed="right"), "rate of the slow EMA (tracks the fast one)"),
        "group_ema_fast": Param(
            0.01, Interval(Real, 0, 1, closed="right"), "rate of a group's fast EMA (groups see many more observations)"
        ),
        "group_ema_slow": Param(0.001, Interval(Real, 0, 1, closed="right"), "rate of a group's slow EMA"),
        "guard_z": Param(2.0, Interval(Real, 0, closed="neither"), "learning progress (in noise sd) that counts as moving"),
        "guard_decay": Param(0.9, Interval(Real, 0, 1, closed="neither"), "guard factor multiplier per flat observation"),
        "guard_floor": Param(0.05, Interval(Real, 0, 1), "lowest guard factor"),
        "guard_min_obs": Param(10, Interval(Integral, 1), "observations before the guard acts"),
        "report_top": Param(20, Interval(Integral, 1), "prompts listed by report()"),
    }

    # ------------------------------------------------------------ setup
    def _check_options(self) -> None:
        o = self.options
        if o["band_low"] > o["band_high"]:
            raise self._error(f"band_low ({o['band_low']}) must not exceed band_high ({o['band_high']})")
        try:
            labels, codes = parse_groups(o["groups"], self.space)
        except ValueError as exc:
            raise self._error(str(exc)) from None
        self._labels = labels
        self._codes = codes
        if o["groups"] is not None:  # stored compactly: plain JSON, a few bytes per prompt
            o["groups"] = {"labels": labels, "codes": base64.b64encode(codes.astype("<i4").tobytes()).decode("ascii")}

    def _setup(self) -> None:
        o = self.options
        n = self.space.n
        codes = self._codes
        G = len(self._labels)
        self._n = n
        self._G = G
        self._range = bool(getattr(self.space, "_range", False))
        sizes = np.bincount(codes, minlength=G).astype(np.int64)
        offs = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        self._gsize = sizes.tolist()
        self._goff = offs.tolist()
        order = np.arange(n, dtype=np.int32) if G == 1 else np.argsort(codes, kind="stable").astype(np.int32)
        self._gid = array("i", codes.astype(np.int32).tobytes())
        self._order = array("i", order.tobytes())
        pos = np.empty(n, dtype=np.int32)
        pos[order] = np.arange(n, dtype=np.int32)
        self._pos = array("i", pos.tobytes())
        zf = bytes(4 * n)
        # Per prompt, interleaved (one cache line per prompt): discounted successes, discounted rollouts,
        # fast and slow success averages, guard factor.
        stats = np.zeros((n, _NSTAT), dtype=np.float32)
        stats[:, _GUARD] = 1.0
        self._st = array("f", stats.tobytes())
        self._nobs = array("i", zf)
        self._tree = array("d", bytes(16 * n))  # group g: nodes base+1 .. base+2*size-1, base = 2*offset
        self._unseen = list(self._gsize)  # unseen prompts per group: slots 0 .. unseen-1 of its block
        self._gfast = [0.0] * G
        self._gslow = [0.0] * G
        self._gvar = [0.0] * G
        self._gnobs = [0] * G
        self._gguard = [1.0] * G
        self._gtree = array("d", bytes(16 * G))
        # cached options
        self._rule = o["rule"]
        self._gamma = float(o["gamma"])
        self._w = float(o["rollouts"])
        self._pa = float(o["prior_a"])
        self._pb = float(o["prior_b"])
        self._lo = float(o["band_low"])
        self._hi = float(o["band_high"])
        self._af = float(o["ema_fast"])
        self._as = float(o["ema_slow"])
        self._noise = math.sqrt(self._af / (2.0 - self._af))
        self._gaf = float(o["group_ema_fast"])
        self._gas = float(o["group_ema_slow"])
        self._gnoise = math.sqrt(self._gaf / (2.0 - self._gaf))
        self._guard_on = bool(o["noise_guard"])
        self._gz = float(o["guard_z"])
        self._gd = float(o["guard_decay"])
        self._gfloor = float(o["guard_floor"])
        self._gmin = int(o["guard_min_obs"])
        self._uprob = float(o["uniform_prob"])
        self._topk_prob = float(o["topk_prob"])
        self._topk = int(o["top_k"])
        self._v0 = self._value(self._pa, self._pb)  # value of a prompt at its prior
        self._buf: list[tuple[float, int]] = []  # top-k: sorted (-value, prompt)
        self._inbuf: dict[int, float] = {}
        for g in range(G):
            self._set_group_mass(g)

    # ---------------------------------------------------------- values
    def _value(self, a: float, b: float) -> float:
        """A prompt's value from its Beta(a, b) posterior (before guard factors)."""
        p = a / (a + b)
        rule = self._rule
        if rule == "band":
            return 1.0 if self._lo <= p <= self._hi else 0.0
        if rule == "proportional":
            return a * b / ((a + b) * (a + b + 1.0))
        return p * (1.0 - p)

    def _prompt_value(self, i: int) -> float:
        st, j = self._st, _NSTAT * i
        s, c = st[j], st[j + 1]
        return self._value(self._pa + s, self._pb + (c - s)) * st[j + 4]

    def _set_group_mass(self, g: int) -> None:
        size = self._gsize[g]
        k = self._unseen[g]
        seen_mass = self._tree[2 * self._goff[g] + 1] if size else 0.0
        unseen_value = (self._v0 + seen_mass) / (1.0 + size - k)
        mass = self._gguard[g] * (seen_mass + k * unseen_value)
        t = self._gtree
        node = self._G + g
        t[node] = mass
        while node > 1:
            node >>= 1
            t[node] = t[2 * node] + t[2 * node + 1]

    # -------------------------------------------------------- sampling
    def _draw_group(self) -> int:
        if self._G == 1:
            return 0
        t = self._gtree
        G = self._G
        x = self.rng.random() * t[1]
        node = 1
        while node < G:
            left = t[2 * node]
            if x < left:
                node = 2 * node
            else:
                x -= left
                node = 2 * node + 1
        return node - G

    def _draw_in_group(self, g: int) -> int:
        """One prompt of group ``g`` by its weights (seen prompts by the tree, unseen ones by the group's value)."""
        size = self._gsize[g]
        off = self._goff[g]
        base = 2 * off
        t = self._tree
        k = self._unseen[g]
        seen_mass = t[base + 1]
        unseen_mass = k * (self._v0 + seen_mass) / (1.0 + size - k)
        total = seen_mass + unseen_mass
        if not total > 0.0:
            return self._order[off + int(self.rng.random() * size)]
        x = self.rng.random() * total
        if x < seen_mass:
            node = 1
            while node < size:
                left = t[base + 2 * node]
                if x < left:
                    node = 2 * node
                else:
                    x -= left
                    node = 2 * node + 1
            return self._order[off + node - size]
        j = min(int((x - seen_mass) / unseen_mass * k), k - 1)
        return self._order[off + j]

    def _draw(self) -> int:
        rng = self.rng
        if self._uprob > 0.0 and rng.random() < self._uprob:
            return int(rng.random() * self._n)
        if self._rule == "top-k" and self._buf and rng.random() < self._topk_prob:
            return self._buf[int(rng.random() * len(self._buf))][1]
        if not self._gtree[1] > 0.0:
            return int(rng.random() * self._n)
        return self._draw_in_group(self._draw_group())

    def _propose(self, n: int) -> list[Any]:
        return [self._draw() for _ in range(n)]

    # ------------------------------------------------------ observing
    def _mark_seen(self, i: int) -> None:
        g = self._gid[i]
        off = self._goff[g]
        k = self._unseen[g] - 1
        last = off + k  # the last unseen slot; both leaves are 0, so swapping needs no tree update
        p = self._pos[i]
        other = self._order[last]
        self._order[p], self._order[last] = other, i
        self._pos[other], self._pos[i] = p, last
        self._unseen[g] = k

    def _guard_step(self, h: float, z: float) -> float:
        if z < self._gz:
            return max(self._gfloor, h * self._gd)
        return min(1.0, h / (self._gd * self._gd))

    def observe(self, task: Any, score: Any) -> None:
        """As :meth:`Teacher.observe`; an error about a score names the prompt too."""
        observe_naming_the_prompt(self, super().observe, task, score)

    def _to_internal(self, task: Any) -> Any:
        # Prompts 0 .. n-1 of a range space are their own index: skip the look-up in a dict of n entries.
        if self._range and type(task) is int and 0 <= task < self._n:
            return task
        return super()._to_internal(task)

    def _to_external(self, task: Any) -> Any:
        return task if self._range else self.space.tasks[task]

    def _observe(self, task: Any, score: float) -> None:
        i = int(task)
        q = score
        n = self._nobs[i]
        if n == 0:
            self._mark_seen(i)
        n += 1
        self._nobs[i] = n
        gm, w, inv = self._gamma, self._w, 1.0 / n
        st, j = self._st, _NSTAT * i
        st[j] = gm * st[j] + w * q
        st[j + 1] = gm * st[j + 1] + w
        s, c = st[j], st[j + 1]  # as stored (float32), so a reload computes the same values
        rf = self._af if self._af > inv else inv
        rs = self._as if self._as > inv else inv
        st[j + 2] = st[j + 2] + rf * (q - st[j + 2])
        f = st[j + 2]
        st[j + 3] = st[j + 3] + rs * (f - st[j + 3])
        a, b = self._pa + s, self._pb + (c - s)
        if self._guard_on and n >= self._gmin:
            p = a / (a + b)
            z = abs(f - st[j + 3]) / (math.sqrt(p * (1.0 - p) / w) * self._noise + _SD_FLOOR)
            st[j + 4] = self._guard_step(st[j + 4], z)
        v = self._value(a, b) * st[j + 4]
        # the prompt's leaf and its path to the group's root
        g = self._gid[i]
        off = self._goff[g]
        size = self._gsize[g]
        base = 2 * off
        t = self._tree
        node = size + self._pos[i] - off
        t[base + node] = v
        while node > 1:
            node >>= 1
            t[base + node] = t[base + 2 * node] + t[base + 2 * node + 1]
        # the group's success averages and guard
        gn = self._gnobs[g] + 1
        self._gnobs[g] = gn
        inv = 1.0 / gn
        rf = self._gaf if self._gaf > inv else inv
        rs = self._gas if self._gas > inv else inv
        d = q - self._gfast[g]
        self._gvar[g] = var = self._gvar[g] + rf * (d * d - self._gvar[g])
        self._gfast[g] = f = self._gfast[g] + rf * d
        self._gslow[g] = sl = self._gslow[g] + rs * (f - self._gslow[g])
        if self._guard_on and gn >= self._gmin:
            z = abs(f - sl) / (math.sqrt(var) * self._gnoise + _SD_FLOOR)
            self._gguard[g] = self._guard_step(self._gguard[g], z)
        self._set_group_mass(g)
        if self._rule == "top-k":
            self._buffer_update(i, v)

    def _buffer_update(self, i: int, v: float) -> None:
        buf = self._buf
        old = self._inbuf.pop(i, None)
        if old is not None:
            del buf[bisect.bisect_left(buf, (-old, i))]
        k = self._topk
        if len(buf) < k or (-v, i) < buf[-1]:
            bisect.insort(buf, (-v, i))
            self._inbuf[i] = v
            if len(buf) > k:
                _, out = buf.pop()
                del self._inbuf[out]

    # ------------------------------------------------------------ state
    def _column(self, k: int) -> np.ndarray:
        """A (writable, strided) float32 view of one column of the per-prompt statistics."""
        return np.frombuffer(self._st, dtype=np.float32)[k::_NSTAT]

    def _get_state(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: encode_array(array("f", self._column(k).tobytes())) for k, name in enumerate(_STAT_NAMES)}
        out["nobs"] = encode_array(self._nobs)
        out["order"] = encode_array(self._order)
        out["group"] = {
            "fast": list(self._gfast),
            "slow": list(self._gslow),
            "var": list(self._gvar),
            "nobs": list(self._gnobs),
            "guard": list(self._gguard),
        }
        out["buffer"] = [i for _, i in self._buf]
        return out

    def _set_state(self, state: dict[str, Any]) -> None:
        # from_state builds a fresh teacher first, so only the saved statistics are loaded here
        n = self._n
        for k, name in enumerate(_STAT_NAMES):
            self._column(k)[:] = np.frombuffer(decode_array("f", state[name], n), dtype=np.float32)
        self._nobs = decode_array("i", state["nobs"], n)
        self._order = decode_array("i", state["order"], n)
        order = np.frombuffer(self._order, dtype=np.int32)
        if n and not np.array_equal(np.sort(order), np.arange(n)):
            raise ValueError("order is not a permutation of the prompts")
        pos = np.empty(n, dtype=np.int32)
        pos[order] = np.arange(n, dtype=np.int32)
        self._pos = array("i", pos.tobytes())
        nobs = np.frombuffer(self._nobs, dtype=np.int32)
        codes = self._codes
        self._unseen = np.bincount(codes[nobs == 0], minlength=self._G).astype(int).tolist() if n else []
        # The leaves are recomputed from the stored float32 statistics with the same float64
        # operations observe uses, and each heap's nodes from its leaves: the same bits.
        values = self._values()
        tree = np.zeros(2 * n)
        for off, size in zip(self._goff, self._gsize):
            base = 2 * off
            tree[base + size : base + 2 * size] = values[order[off : off + size]]
            _build(tree, base, size)
        self._tree = array("d", tree.tobytes())
        gs = state["group"]
        self._gfast = [float(x) for x in gs["fast"]]
        self._gslow = [float(x) for x in gs["slow"]]
        self._gvar = [float(x) for x in gs["var"]]
        self._gnobs = [int(x) for x in gs["nobs"]]
        self._gguard = [float(x) for x in gs["guard"]]
        if len(self._gfast) != self._G:
            raise ValueError("group statistics do not match the groups")
        for g in range(self._G):
            self._set_group_mass(g)
        self._buf = []
        self._inbuf = {}
        for i in state["buffer"]:
            v = self._prompt_value(int(i))
            self._buf.append((-v, int(i)))
            self._inbuf[int(i)] = v
        self._buf.sort()

    # ----------------------------------------------------------- report
    def _values(self) -> np.ndarray:
        """Current weight of every seen prompt (0 for unseen), vectorised."""
        s = self._column(_SUCC).astype(float)
        c = self._column(_CNT).astype(float)
        a, b = self._pa + s, self._pb + (c - s)
        p = a / (a + b)
        if self._rule == "band":
            v = ((p >= self._lo) & (p <= self._hi)).astype(float)
        elif self._rule == "proportional":
            v = a * b / ((a + b) * (a + b + 1.0))
        else:
            v = p * (1.0 - p)
        v = v * self._column(_GUARD)
        v[np.frombuffer(self._nobs, dtype=np.int32) == 0] = 0.0
        return v

    def pass_rates(self) -> np.ndarray:
        """Posterior mean pass rate of every prompt (the prior mean for unseen ones)."""
        s = self._column(_SUCC).astype(float)
        c = self._column(_CNT).astype(float)
        return (self._pa + s) / (self._pa + self._pb + c)

    def nbytes(self) -> int:
        """Bytes held in per-prompt and per-group arrays (the teacher's memory, not the space's)."""
        per: list[array[Any]] = [
            self._st,
            self._nobs,
            self._gid,
            self._order,
            self._pos,
            self._tree,
            self._gtree,
        ]
        return sum(a.itemsize * len(a) for a in per) + 8 * 6 * self._G

    def _report(self) -> dict[str, Any]:
        v = self._values()
        k = min(int(self.options["report_top"]), v.size)
        idx = np.argsort(-v, kind="stable")[:k]
        rates = self.pass_rates()
        guard = self._column(_GUARD)
        nobs = np.frombuffer(self._nobs, dtype=np.int32)
        total = float(self._gtree[1]) or 1.0
        groups = [
            {
                "group": self._labels[g],
                "share": float(self._gtree[self._G + g]) / total,
                "success_ema": self._gfast[g],
                "learning_progress": abs(self._gfast[g] - self._gslow[g]),
                "guard": self._gguard[g],
                "unseen": self._unseen[g],
            }
            for g in range(min(self._G, 50))
        ]
        top = [
            {
                "task": self.space.tasks[i],
                "weight": float(v[i]),
                "pass_rate": float(rates[i]),
                "guard": float(guard[i]),
                "observations": int(nobs[i]),
            }
            for i in idx.tolist()
        ]
        return {"prompts_seen": int(np.count_nonzero(nobs)), "groups": groups, "top": top}

    def __repr__(self) -> str:
        text = super().__repr__()
        if self.options["groups"] is not None:
            start = text.find(", groups=")
            end = text.find("}", start)
            text = text[:start] + f", groups=<{self._G} groups>" + text[end + 1 :]
        return text


def _build(tree: np.ndarray, base: int, size: int) -> None:
    """Fill the internal nodes of one heap (nodes base+1 .. base+2*size-1) from its leaves, level by level."""
    lo = 1
    levels = []
    while lo < size:
        levels.append((lo, min(2 * lo, size)))
        lo *= 2
    for a, b in reversed(levels):
        k = np.arange(a, b)
        tree[base + k] = tree[base + 2 * k] + tree[base + 2 * k + 1]
