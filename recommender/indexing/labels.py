"""Infer a resource's archetypes and level from its text and vector when its record lacks them.

Archetypes. Each archetype ``a`` gets four pieces of evidence:

    statements_a  share of the STATEMENT_NEIGHBOURS framework statements closest to the resource
                  that carry a's badge (curated archetypes follow the badges of the statements a
                  resource teaches)
    meaning_a     cosine to a's closest description (the framework's and ours) minus the mean of
                  that over the five archetypes
    words_a       1 if a's audience or role words occur in the text ("nurses", "commissioners")
    everyone      1 if the text says it is for a general audience ("anyone", "all staff")

and a calibrated confidence ``sigmoid(BIAS[a] + WEIGHTS . evidence)``, a logistic fit. The
archetypes whose confidence reaches ARCHETYPE_THRESHOLD are kept, or the single best one.

Level. Specialist words ("advanced", "hands-on", "Python") minus baseline words
("introduction", "short", "anyone") decide when they differ; otherwise the mean level (1-4) of
the LEVEL_NEIGHBOURS closest statements against LEVEL_MARGIN does.

Every constant was fitted or chosen on 70% of the shipped catalogue (seed 11) and is measured
on the other 30% by benchmarks/suggest_archetypes.py, whose --fit run recomputes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from catalogue.framework import ARCHETYPE_BADGES, Framework, load_framework

ARCHETYPES = tuple(ARCHETYPE_BADGES)  # S, D, C, E, U
# the best of 3, 5, 8, 12 and 20 in 5-fold cross-validation (three shuffles) on the training
# split: for archetypes 8 (micro-F1 0.763 at 5, 0.778 at 8, 0.768 at 12), for the level 3
STATEMENT_NEIGHBOURS = 8
LEVEL_NEIGHBOURS = 3
# logistic fit (L2 0.1) of the training split's curated archetypes on the evidence, one row per
# resource and archetype: a bias per archetype, weights shared by all five
BIAS = {"shaper": -2.7, "driver": -1.77, "creator": -1.76, "embedder": -1.58, "user": -3.05}
WEIGHTS = {"statements": 3.15, "meaning": 8.0, "words": 1.32, "everyone": 1.15}
# the confidence that maximised micro-F1 on the training split (grid 0.05 to 0.95)
ARCHETYPE_THRESHOLD = 0.45
# the statements' mean level above which a resource with no deciding words is specialist: the
# most accurate cut on the training split's resources without them
LEVEL_MARGIN = 2.1
# logistic slopes of the training split's levels on the word difference and on the mean level
# minus LEVEL_MARGIN; they only turn a decision into a confidence
LEVEL_WORD_SLOPE, LEVEL_MEANING_SLOPE = 1.06, 0.99

DESCRIPTIONS = {  # ours, beside the framework's own description of each archetype
    "shaper": (
        "Policy makers and regulators who write national strategy, legislation, regulation and "
        "standards for AI and digital technology in health and care.",
        "Government policy, national strategy and the regulation of AI and medical devices.",
        "Professional bodies, royal colleges and education bodies shaping the workforce, ethics "
        "and governance of digital health."),
    "driver": (
        "NHS boards, executives and commissioners who make the business case, procure and fund "
        "digital transformation and AI adoption.",
        "Leaders and managers planning digital strategy, investment, benefits and change across "
        "an organisation or an integrated care system."),
    "creator": (
        "Developers and data scientists who write code in Python or R to train, validate and "
        "evaluate machine learning and deep learning models.",
        "Researchers and analysts who build datasets, statistical models, algorithms and "
        "software for health data."),
    "embedder": (
        "Clinical safety officers and digital teams who assure, deploy and monitor systems in a "
        "hospital: clinical risk management, interoperability, information governance, cyber "
        "security.",
        "Informatics and IT teams who integrate electronic patient records, configure systems, "
        "manage data flows and keep technology running safely."),
    "user": (
        "Nurses, doctors and frontline staff using digital tools, electronic records and AI "
        "decision support with patients on the ward or in clinic.",
        "Clinicians consulting patients remotely by video or telephone and helping patients use "
        "apps and online services."),
}
ARCHETYPE_WORDS = {  # audience, role and craft words; kept where the training split agreed
    "shaper": r"shapers?|policy ?makers?|policy|policies|regulators?|regulation|regulatory|"
              r"legislation|national leaders?|arm'?s[- ]length bodies|professional bodies|"
              r"royal colleges?|education bodies",
    "driver": r"drivers?|commissioners?|commissioning|managers?|leaders?|leadership|cc?n?io|"
              r"chief \w+ officers?|chief \w+ information officers?|executives?|directors?|"
              r"boards?|transformation|business cases?|procurement|investment|"
              r"integrated care systems?",
    "creator": r"creators?|developers?|(?:data |clinical )?scientists?|engineers?|researchers?|"
               r"analysts?|python|code|coding|programming|program|notebooks?|build models?|"
               r"train(?:ing)? models?|deep learning|machine learning",
    "embedder": r"embedders?|informatics|informaticians?|clinical (?:safety officers?|"
                r"scientists?)|safety officers?|it (?:staff|teams?|professionals?)|"
                r"digital teams?|data teams?|implementation|implement(?:ing)?|"
                r"integrat(?:e|es|ing|ion)|interoperability|deploy(?:ing|ed|ment)?|"
                r"dcb ?0?1[26][09]|information governance|cyber",
    "user": r"clinicians?|nurses?|nursing|doctors?|physicians?|gps?|ahps?|allied health|"
            r"midwi(?:fe|ves)|pharmacists?|paramedics?|healthcare workers?|frontline|"
            r"physiotherap\w+|patients?",
}
EVERYONE_WORDS = (r"anyone|everyone|every (?:member|staff)|all staff|any (?:staff|member)|"
                  r"non-specialists?|general audience|no (?:prior|technical)|whole workforce")
BASELINE_WORDS = (r"introduct\w*|intro|beginners?|foundations?|foundational|awareness|basics|"
                  r"primer|overview|explainer|short|brief|quick|plain[- ]language|readable|"
                  r"accessible|gentle|starting point|first step|no (?:prior|technical)|"
                  r"non-specialists?|everyone|anyone|all staff|refresher|summary|orientation")
SPECIALIST_WORDS = (r"advanced|hands-on|practical|programming|program|code|coding|python|"
                    r"postgraduate|masters?|msc|phd|fellowships?|deep learning|in-depth|"
                    r"rigorous|specification|expert|mathematical|notebooks?|exercises?|"
                    r"researchers?|developers?|engineers?|data scientists?|analysts?|"
                    r"systematic review|detailed|comprehensive|diploma|cohort|year-long")


def _words(pattern: str) -> re.Pattern:
    # a hyphen is part of a word here, so "non-specialist" is not "specialist"
    return re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])")


_ARCHETYPE_RE = [_words(ARCHETYPE_WORDS[a]) for a in ARCHETYPES]
_EVERYONE_RE = _words(EVERYONE_WORDS)
_BASELINE_RE, _SPECIALIST_RE = _words(BASELINE_WORDS), _words(SPECIALIST_WORDS)


@dataclass(frozen=True)
class InferredLabels:
    """What the inferrer says of one resource."""

    archetypes: tuple[str, ...]
    archetype_scores: dict[str, float]
    level: str
    level_confidence: float
    level_reason: str


@dataclass(frozen=True)
class Evidence:
    """The inputs of the scores for a batch of n resources (arrays of n rows)."""

    statements: np.ndarray  # (n, 5) share of the closest statements with each badge
    meaning: np.ndarray  # (n, 5) description similarity relative to the five's mean
    words: np.ndarray  # (n, 5) 1 where the archetype's words occur
    everyone: np.ndarray  # (n,) 1 for a general audience
    level_words: np.ndarray  # (n,) distinct specialist minus distinct baseline words
    statement_level: np.ndarray  # (n,) mean level of the LEVEL_NEIGHBOURS closest statements
    cues: list[tuple[list[str], list[str]]]  # (baseline words, specialist words) found


_DESCRIBED: dict[tuple[str, tuple[str, ...]], np.ndarray] = {}


def _embedded(encoder, texts: tuple[str, ...]) -> np.ndarray:
    """The descriptions' vectors, encoded once per model and process (an index update of one
    resource would otherwise spend more time on them than on the resource)."""
    key = (encoder.name, texts)
    if key not in _DESCRIBED:
        _DESCRIBED[key] = encoder.encode(list(texts))
    return _DESCRIBED[key]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


class LabelInferrer:
    """Infers archetypes and levels for batches of resources; build once per framework."""

    def __init__(self, description_vectors: np.ndarray, description_archetypes: list[str],
                 statement_vectors: np.ndarray, statement_badges: np.ndarray,
                 statement_levels: np.ndarray):
        self.description_vectors = description_vectors
        self._owner = np.array([[a == owner for a in ARCHETYPES]
                                for owner in description_archetypes])  # (descriptions, 5)
        self.statement_vectors = statement_vectors
        self.statement_badges = np.asarray(statement_badges, dtype=float)  # (statements, 5)
        self.statement_levels = np.asarray(statement_levels, dtype=float)

    @classmethod
    def build(cls, encoder, framework: Framework | None = None,
              statement_vectors: np.ndarray | None = None) -> LabelInferrer:
        """Embed the archetype descriptions and (unless given) the framework's statements."""
        framework = framework or load_framework()
        statements = list(framework.capabilities)
        if statement_vectors is None:
            statement_vectors = encoder.encode([s.embedding_text() for s in statements])
        return cls.for_statements(encoder, statements, statement_vectors, framework)

    @classmethod
    def for_statements(cls, encoder, statements: list, statement_vectors: np.ndarray,
                       framework: Framework | None = None) -> LabelInferrer:
        """An inferrer over these statements (as an index version holds them, with their
        vectors); only the archetype descriptions are embedded."""
        framework = framework or load_framework()
        described = [(a.id, a.description) for a in framework.archetypes]
        described += [(a, text) for a in ARCHETYPES for text in DESCRIPTIONS[a]]
        return cls(_embedded(encoder, tuple(text for _, text in described)),
                   [a for a, _ in described], statement_vectors,
                   np.array([[a in s.archetypes for a in ARCHETYPES] for s in statements]),
                   np.array([s.level for s in statements]))

    def evidence(self, vectors: np.ndarray, texts: list[str]) -> Evidence:
        """The evidence for each resource: matrix products for the batch, regexes per text."""
        similarity = vectors @ self.description_vectors.T
        best = np.stack([similarity[:, self._owner[:, j]].max(axis=1)
                         for j in range(len(ARCHETYPES))], axis=1)
        closeness = vectors @ self.statement_vectors.T
        k = min(max(STATEMENT_NEIGHBOURS, LEVEL_NEIGHBOURS), closeness.shape[1])
        nearest = np.argpartition(-closeness, k - 1, axis=1)[:, :k]
        order = np.take_along_axis(closeness, nearest, axis=1).argsort(axis=1)[:, ::-1]
        nearest = np.take_along_axis(nearest, order, axis=1)
        lowered = [t.lower() for t in texts]
        cues = [(sorted(set(_BASELINE_RE.findall(t))), sorted(set(_SPECIALIST_RE.findall(t))))
                for t in lowered]
        return Evidence(
            statements=self.statement_badges[nearest[:, :STATEMENT_NEIGHBOURS]].mean(axis=1),
            meaning=best - best.mean(axis=1, keepdims=True),
            words=np.array([[bool(p.search(t)) for p in _ARCHETYPE_RE] for t in lowered],
                           dtype=float).reshape(len(texts), len(ARCHETYPES)),
            everyone=np.array([bool(_EVERYONE_RE.search(t)) for t in lowered], dtype=float),
            level_words=np.array([len(s) - len(b) for b, s in cues], dtype=float),
            statement_level=self.statement_levels[nearest[:, :LEVEL_NEIGHBOURS]].mean(axis=1),
            cues=cues)

    def infer(self, vectors: np.ndarray, texts: list[str]) -> list[InferredLabels]:
        """Archetypes and level of each resource from its normalised vector and its text."""
        if not len(texts):
            return []
        ev = self.evidence(vectors, texts)
        scores = archetype_scores(ev)
        chosen = scores >= ARCHETYPE_THRESHOLD
        chosen[np.arange(len(scores)), scores.argmax(axis=1)] = True
        specialist, reasons = level_scores(ev)
        return [InferredLabels(
            archetypes=tuple(a for a, keep in zip(ARCHETYPES, row, strict=True) if keep),
            archetype_scores={a: round(float(s), 4) for a, s in zip(ARCHETYPES, p, strict=True)},
            level="specialist" if q >= 0.5 else "baseline",
            level_confidence=round(float(max(q, 1 - q)), 4), level_reason=reason)
            for row, p, q, reason in zip(chosen, scores, specialist, reasons, strict=True)]


def archetype_scores(ev: Evidence, bias: dict[str, float] = BIAS,
                     weights: dict[str, float] = WEIGHTS) -> np.ndarray:
    """(n, 5) calibrated confidence of each archetype, in ARCHETYPES order."""
    z = (np.array([bias[a] for a in ARCHETYPES])[None, :]
         + weights["statements"] * ev.statements + weights["meaning"] * ev.meaning
         + weights["words"] * ev.words + weights["everyone"] * ev.everyone[:, None])
    return _sigmoid(z)


def level_scores(ev: Evidence, margin: float = LEVEL_MARGIN, word_slope: float = LEVEL_WORD_SLOPE,
                 meaning_slope: float = LEVEL_MEANING_SLOPE) -> tuple[np.ndarray, list[str]]:
    """(n,) probability that each resource is specialist, and the reason in words."""
    by_words = ev.level_words != 0
    p = np.where(by_words, _sigmoid(word_slope * ev.level_words),
                 _sigmoid(meaning_slope * (ev.statement_level - margin)))
    reasons = []
    for decided, (base, spec), level in zip(by_words, ev.cues, ev.statement_level, strict=True):
        if decided:
            reasons.append("words: " + ", ".join(f"'{w}'" for w in
                                                 (spec if len(spec) > len(base) else base)))
        else:
            reasons.append(f"meaning: its closest framework statements average level "
                           f"{level:.1f} ({'over' if level >= margin else 'under'} {margin})")
    return p, reasons
