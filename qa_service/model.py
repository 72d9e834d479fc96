"""The ranking model: the sentence ranker's and the decline model's weights by feature name, and the threshold.

Three models ship in `data/ranking-models.json`, written by `scripts/fit_ranking.py`: `words`, for an index without
sentence embeddings (QA_SEMANTIC=off, or while a changed corpus is being embedded), `meaning`, which also weighs
how close in meaning the question and each sentence are (QA_READING=off), and `reading`, the meaning model's ranker
with the cross-encoder's logit for the best few candidates weighed in (`reread` of them), weights of its own for
those candidates once read (`after_reading`), and a decline model of its own. A feature row is built in the order of
`ranking.FEATURES` / `ranking.DECLINE_FEATURES`; a model must name exactly those features, so a feature added,
dropped or renamed without refitting fails when the model loads, not silently at the wrong position.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MODELS_FILE = Path(__file__).with_name("data") / "ranking-models.json"


@dataclass(frozen=True)
class RankingModel:
    """Weights by feature name; `min_confidence` is the decline threshold the model was fitted for."""

    name: str
    ranker: Mapping[str, float]
    decline: Mapping[str, float]
    min_confidence: float
    # Past this share of its idf weight in words the corpus never uses, a question's confidence is capped by how
    # much of it the passage holds: the words model cannot tell such a question's meaning from anything else.
    max_unknown_share: float
    # How many of the best candidates (headings aside) the cross-encoder reads before the ranker's order is final
    # (qa_service.reading); 0: none, as in a model without a "reading" weight.
    reread: int = 0
    # Weights by ranker feature added to the scores of the candidates the cross-encoder read, and to no others (nor
    # for a follow-up: answering.reread): what still tells apart candidates it reads as equally relevant
    # ("faq_reply": a FAQ entry's reply opens with its answer, where the cross-encoder prefers the later sentences
    # that repeat the question's words).
    after_reading: Mapping[str, float] = field(default_factory=dict)
    ranker_weights: np.ndarray = field(init=False, repr=False, compare=False)
    after_reading_weights: np.ndarray = field(init=False, repr=False, compare=False)
    decline_weights: np.ndarray = field(init=False, repr=False, compare=False)

    def weigh(self, ranker_features: Sequence[str], decline_features: Sequence[str]) -> RankingModel:
        """The model with its weights as vectors in the order of these feature names; ValueError on any mismatch."""
        for kind, names, weights in (("ranker", ranker_features, self.ranker),
                                     ("decline", decline_features, self.decline)):
            if set(names) != set(weights):
                missing, extra = sorted(set(names) - set(weights)), sorted(set(weights) - set(names))
                raise ValueError(f"ranking model {self.name!r}: {kind} weights do not match the features "
                                 f"(missing {missing}, unknown {extra})")
        unknown = sorted(set(self.after_reading) - set(ranker_features) | set(self.after_reading) & {"reading"})
        if unknown:
            raise ValueError(f"ranking model {self.name!r}: after_reading weighs {unknown}, which are no ranker "
                             "features the cross-encoder's reading leaves to weigh")
        object.__setattr__(self, "ranker_weights", np.array([self.ranker[n] for n in ranker_features], float))
        object.__setattr__(self, "after_reading_weights",
                           np.array([self.after_reading.get(n, 0.0) for n in ranker_features], float))
        object.__setattr__(self, "decline_weights", np.array([self.decline[n] for n in decline_features], float))
        return self

    def as_json(self) -> dict:
        return {"ranker": dict(self.ranker), "decline": dict(self.decline), "min_confidence": self.min_confidence,
                "max_unknown_share": self.max_unknown_share, "reread": self.reread,
                **({"after_reading": dict(self.after_reading)} if self.after_reading else {})}


def read_models(path: Path, ranker_features: Sequence[str], decline_features: Sequence[str]
                ) -> dict[str, RankingModel]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {name: RankingModel(name, **spec).weigh(ranker_features, decline_features) for name, spec in data.items()}


def write_models(path: Path, models: Mapping[str, RankingModel]) -> None:
    path.write_text(json.dumps({name: m.as_json() for name, m in models.items()}, indent=1) + "\n",
                    encoding="utf-8")
