"""The default pseudo-classifier: TF-IDF over character n-grams + logistic regression.

Trained with scikit-learn; predicts with its own small NumPy path from the saved vocabulary,
IDF and weights, so a saved model is plain JSON + ``.npz`` (no pickle, nothing executable).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from ..atomic import write_file
from ..errors import ConfigError
from ..labels import HATE, NOT_HATE, Verdict
from .data import LabeledText
from .files import check_target

KIND = "ngram"


@dataclass(frozen=True)
class NgramParams:
    """What shapes the features and the fit. The defaults reach macro-F1 0.79 on BEEP! dev."""

    analyzer: str = "char_wb"  # character n-grams inside word boundaries
    ngram_min: int = 1
    ngram_max: int = 4
    min_df: int = 1
    c: float = 30.0  # inverse regularization strength of the logistic regression
    max_iter: int = 3000

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def vectorizer(self) -> TfidfVectorizer:
        """The vectorizer these params describe (lowercased, sublinear TF, L2 norm)."""
        return TfidfVectorizer(
            analyzer=self.analyzer,
            ngram_range=(self.ngram_min, self.ngram_max),
            min_df=self.min_df,
            sublinear_tf=True,
            lowercase=True,
            norm="l2",
            dtype=np.float64,
        )


@dataclass
class NgramClassifier:
    """A trained n-gram model: ``terms[i]`` has weight ``coef[i]`` and IDF ``idf[i]``."""

    params: NgramParams
    terms: list[str]  # one per feature, in feature order
    idf: np.ndarray
    coef: np.ndarray
    intercept: float
    _index: dict[str, int] = field(init=False, repr=False)
    _analyze: Callable[[str], list[str]] = field(init=False, repr=False)
    _version: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._index = {term: i for i, term in enumerate(self.terms)}
        if len(self._index) != len(self.terms) or not len(self.terms) == len(self.idf) == len(
            self.coef
        ):
            raise ValueError("terms must be unique and match idf and coef in length")
        self._analyze = self.params.vectorizer().build_analyzer()
        self._version = f"{KIND}-{self.digest()[:10]}"

    @property
    def version(self) -> str:
        return self._version

    def digest(self) -> str:
        """SHA-256 of the params and every array: changes whenever the answers may change."""
        h = hashlib.sha256(json.dumps(self.params.to_json(), sort_keys=True).encode())
        h.update(json.dumps(self.terms, ensure_ascii=False).encode())
        for array in self.arrays().values():
            h.update(str(array.dtype).encode())
            h.update(np.ascontiguousarray(array).tobytes())
        return h.hexdigest()

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "idf": self.idf,
            "coef": self.coef,
            "intercept": np.array([self.intercept], dtype=np.float64),
        }

    def hate_probability(self, text: str) -> float:
        """P(hate) = sigmoid(w . tfidf(text) + b), with sklearn's TF-IDF done by hand."""
        counts = Counter(i for i in map(self._index.get, self._analyze(text)) if i is not None)
        z = self.intercept
        if counts:
            at = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            values = tf * self.idf[at]
            z += float(values @ self.coef[at]) / float(np.sqrt(values @ values))
        return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))

    def classify(self, texts: Sequence[str]) -> list[Verdict]:
        verdicts = []
        for text in texts:
            verdicts.append(Verdict.from_hate_probability(self.hate_probability(text)))
        return verdicts


def train_ngram(
    examples: Sequence[LabeledText],
    params: NgramParams | None = None,
    on_step: Callable[[str], None] | None = None,
) -> NgramClassifier:
    """Fit TF-IDF + class-balanced logistic regression on ``examples`` (both labels needed)."""
    from sklearn.linear_model import LogisticRegression

    params = params or NgramParams()
    step = on_step or (lambda message: None)
    labels = {ex.label for ex in examples}
    if labels != {HATE, NOT_HATE}:
        raise ValueError(
            f"training needs examples of both labels, got only {sorted(labels) or 'none'}"
        )
    texts = [ex.text for ex in examples]
    y = np.array([ex.label == HATE for ex in examples], dtype=np.int64)
    step(f"extracting character n-grams from {len(texts):,} examples")
    vectorizer = params.vectorizer()
    features = vectorizer.fit_transform(texts)
    step(f"fitting logistic regression on {features.shape[1]:,} n-grams")
    model = LogisticRegression(C=params.c, class_weight="balanced", max_iter=params.max_iter)
    model.fit(features, y)
    terms = [term for term, _ in sorted(vectorizer.vocabulary_.items(), key=lambda item: item[1])]
    return NgramClassifier(
        params=params,
        terms=terms,
        idf=np.asarray(vectorizer.idf_, dtype=np.float64),
        coef=np.asarray(model.coef_[0], dtype=np.float64),
        intercept=float(model.intercept_[0]),
    )


MODEL_FILE, VOCABULARY_FILE, WEIGHTS_FILE = "model.json", "vocabulary.json", "weights.npz"
FORMAT = 1
_RETRAIN = "retrain it with `apeach-ls classifier train`"


def save_ngram(
    model: NgramClassifier,
    directory: str | Path,
    *,
    replace: bool = False,
    info: dict[str, Any] | None = None,
) -> Path:
    """Write ``model.json`` (kind, version, params), ``vocabulary.json`` and ``weights.npz``.

    ``model.json`` is written last, so a half-written directory never looks like a model.
    """
    directory = check_target(directory, replace)
    directory.mkdir(parents=True, exist_ok=True)
    meta = {
        "kind": KIND,
        "format": FORMAT,
        "version": model.version,
        "sha256": model.digest(),
        "params": model.params.to_json(),
        "features": len(model.terms),
        "labels": {"0": NOT_HATE, "1": HATE},
        "info": info or {},
    }
    weights = io.BytesIO()
    np.savez_compressed(weights, **model.arrays())
    write_file(directory / WEIGHTS_FILE, weights.getvalue())
    write_file(directory / VOCABULARY_FILE, json.dumps(model.terms, ensure_ascii=False))
    write_file(directory / MODEL_FILE, json.dumps(meta, ensure_ascii=False, indent=2) + "\n")
    return directory


def read_model_json(directory: str | Path) -> dict[str, Any]:
    """The parsed ``model.json`` of a saved model; ConfigError if missing or unreadable."""
    path = Path(directory) / MODEL_FILE
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{directory} has no {MODEL_FILE}: not a saved model; {_RETRAIN}"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path} is unreadable ({exc}); {_RETRAIN}") from None
    if not isinstance(meta, dict):
        raise ConfigError(f"{path} is not a JSON object; {_RETRAIN}")
    return meta


def load_ngram(directory: str | Path) -> NgramClassifier:
    """Load a directory written by :func:`save_ngram`; ConfigError for anything off."""
    meta = read_model_json(directory)
    if meta.get("kind") != KIND:
        raise ConfigError(
            f"{directory} holds a model of kind {meta.get('kind')!r}, not an n-gram model"
        )
    if meta.get("format") != FORMAT:
        raise ConfigError(
            f"{directory}: model format {meta.get('format')!r} is not supported "
            f"(expected {FORMAT}); {_RETRAIN}"
        )
    try:
        params = NgramParams(**meta["params"])
        terms = json.loads((Path(directory) / VOCABULARY_FILE).read_text(encoding="utf-8"))
        if not (isinstance(terms, list) and all(isinstance(t, str) for t in terms)):
            raise ValueError(f"{VOCABULARY_FILE} is not a list of strings")
        with np.load(Path(directory) / WEIGHTS_FILE, allow_pickle=False) as weights:
            idf, coef, intercept = (
                np.asarray(weights[k], dtype=np.float64) for k in ("idf", "coef", "intercept")
            )
        if idf.ndim != 1 or coef.ndim != 1 or intercept.shape != (1,):
            raise ValueError("weights have the wrong shape")
        model = NgramClassifier(params, terms, idf, coef, float(intercept[0]))
    except (KeyError, TypeError, ValueError, OSError, zipfile.BadZipFile) as exc:
        reason = (
            f"missing {exc}"
            if isinstance(exc, KeyError)
            else (str(exc) or type(exc).__name__).splitlines()[0]
        )
        raise ConfigError(
            f"cannot load the n-gram model in {directory}: {reason}; {_RETRAIN}"
        ) from None
    if model.digest() != meta.get("sha256"):
        raise ConfigError(
            f"cannot load the n-gram model in {directory}: its files do not match the checksum "
            f"in {MODEL_FILE} (corrupted or edited); {_RETRAIN}"
        )
    return model
