"""Checks of a saved model's files: every malformed value becomes a ``PersistenceError``.

A model folder may come from anywhere (a colleague, a download), so ``load`` treats it as untrusted
input: the JSON is size-capped before parsing and depth-capped after, every field is checked for
its type and range, and the arrays are checked against the JSON and against each other before any
of them is used. Each error names the file and the field (``topicscope.json: field 'sizes[3]' must
be an integer >= 0; got 1.5``), never a KeyError, RecursionError or numpy traceback.
"""

from __future__ import annotations

import json
import math
import re
import sys
import warnings
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from ..exceptions import PersistenceError

if sys.version_info >= (3, 11):
    from re import _parser as _sre_parse
else:  # pragma: no cover - Python 3.10 (sre_parse warns from 3.11 on)
    import sre_parse as _sre_parse

MAX_JSON_BYTES = 256 * 1024 * 1024  # the largest topicscope.json read (a 2M-term vocabulary is ~40 MiB)
MAX_JSON_DEPTH = 64  # a valid file nests at most ~8 levels
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_INT_KEY = re.compile(r"-?[0-9]{1,19}")
_MAX_INT_DIGITS = 20  # int64 has 19; a longer integer is never a valid value in a model file


class HugeNumber:
    """A JSON integer too long to be a valid value (kept as its digits: never converted)."""

    __slots__ = ("digits",)

    def __init__(self, digits: str) -> None:
        self.digits = digits


def show(value: Any) -> str:
    """A short description of a bad value for an error message (never a huge repr)."""
    if isinstance(value, HugeNumber):
        return f"an integer of {len(value.digits.lstrip('-'))} digits"
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        if value.bit_length() > 64:
            return f"an integer of {value.bit_length()} bits"
        return repr(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:60]) + f"... ({len(value)} characters)"
    if isinstance(value, (list, dict)):
        return f"a {'list' if isinstance(value, list) else 'JSON object'} of {len(value)} items"
    return type(value).__name__


class Fields:
    """Typed readers of JSON values; each failure names the file and the field."""

    def __init__(self, file: Path) -> None:
        self.file = file

    def fail(self, field: str, expected: str, got: Any) -> NoReturn:
        raise PersistenceError(f"{self.file}: field {field!r} must be {expected}; got {show(got)}")

    def int_(self, value: Any, field: str, *, low: int = INT64_MIN, high: int = INT64_MAX) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            bounds = f">= {low}" if high == INT64_MAX else f"in [{low}, {high}]"
            self.fail(field, f"an integer {bounds}", value)
        return value

    def float_(self, value: Any, field: str, *, low: float = -math.inf, high: float = math.inf) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(field, "a number", value)
        try:
            out = float(value)
        except OverflowError:
            self.fail(field, "a finite number", value)
        if not math.isfinite(out) or not low <= out <= high:
            self.fail(field, f"a finite number in [{low}, {high}]", value)
        return out

    def score(self, value: Any, field: str) -> float:
        """A word score: any float (scores are shown, never computed with)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(field, "a number", value)
        try:
            return float(value)
        except OverflowError:
            self.fail(field, "a number that fits a float", value)

    def bool_(self, value: Any, field: str) -> bool:
        if not isinstance(value, bool):
            self.fail(field, "true or false", value)
        return value

    def str_(self, value: Any, field: str) -> str:
        if not isinstance(value, str):
            self.fail(field, "a string", value)
        return value

    def list_(self, value: Any, field: str, *, length: int | None = None) -> list[Any]:
        if not isinstance(value, list):
            self.fail(field, "a list", value)
        if length is not None and len(value) != length:
            self.fail(field, f"a list of {length} items", value)
        return value

    def dict_(self, value: Any, field: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(field, "a JSON object", value)
        return value

    def key(self, meta: dict[str, Any], name: str, field: str | None = None) -> Any:
        """``meta[name]``, or an error naming the missing field."""
        if name not in meta:
            raise PersistenceError(f"{self.file}: field {field or name!r} is missing")
        return meta[name]

    def topic_key(self, key: str, field: str, topics: set[int]) -> int:
        """A topic id written as a JSON object key ("-1", "12") that names one of ``topics``."""
        if not _INT_KEY.fullmatch(key) or not INT64_MIN <= int(key) <= INT64_MAX:
            self.fail(f"{field} key", "a topic id (an integer as a string)", key)
        topic = int(key)
        if topic not in topics:
            self.fail(f"{field} key", f"one of the model's topics {sorted(topics)[:20]}", key)
        return topic

    def str_list(self, value: Any, field: str) -> list[str]:
        return [self.str_(v, f"{field}[{i}]") for i, v in enumerate(self.list_(value, field))]

    def words(self, value: Any, field: str, topics: set[int]) -> dict[int, list[tuple[str, float]]]:
        """``{"topic": [[word, score], ...]}`` -> ``{topic: [(word, score), ...]}``."""
        out = {}
        for key, ws in self.dict_(value, field).items():
            topic = self.topic_key(key, field, topics)
            pairs = []
            for i, pair in enumerate(self.list_(ws, f"{field}[{key}]")):
                where = f"{field}[{key}][{i}]"
                word, score = self.list_(pair, where, length=2)
                pairs.append((self.str_(word, f"{where}[0]"), self.score(score, f"{where}[1]")))
            out[topic] = pairs
        return out

    def str_map(self, value: Any, field: str, topics: set[int]) -> dict[int, str]:
        """``{"topic": "text"}`` -> ``{topic: "text"}``."""
        return {
            self.topic_key(k, field, topics): self.str_(v, f"{field}[{k}]") for k, v in self.dict_(value, field).items()
        }


def parse_json(meta_path: Path) -> dict[str, Any]:
    """The JSON object in ``meta_path``, size-capped before parsing and depth-capped after."""
    try:
        size = meta_path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise PersistenceError(_too_big(meta_path, size))
        with meta_path.open("rb") as fh:
            raw = fh.read(MAX_JSON_BYTES + 1)
    except OSError as exc:
        raise PersistenceError(f"cannot read {meta_path}: {exc}") from exc
    if len(raw) > MAX_JSON_BYTES:  # it grew after stat()
        raise PersistenceError(_too_big(meta_path, len(raw)))
    try:
        # ValueError covers bad UTF-8 and bad JSON. Integers too long for any field are kept as
        # HugeNumber (Python refuses to convert those over 4300 digits) and reported by field below.
        meta = json.loads(raw.decode("utf-8"), parse_int=_parse_int)
    except RecursionError as exc:  # the C parser stops at the interpreter's recursion limit
        raise PersistenceError(
            f"{meta_path} nests JSON values too deeply to parse; a model file nests ~8 levels "
            f"(at most {MAX_JSON_DEPTH} are read)"
        ) from exc
    except ValueError as exc:
        raise PersistenceError(f"{meta_path} is not valid JSON: {_short(exc)}") from exc
    if not isinstance(meta, dict):
        raise PersistenceError(f"{meta_path} is not a topicscope model file: expected a JSON object, got {show(meta)}")
    check_values(meta, meta_path)
    return meta


def _too_big(meta_path: Path, size: int) -> str:
    return (
        f"{meta_path} is {size} bytes; topicscope reads model files of at most {MAX_JSON_BYTES} bytes "
        "(topicscope.persistence.checks.MAX_JSON_BYTES): this is not a model saved by topicscope"
    )


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:200] + "..."


def _parse_int(text: str) -> int | HugeNumber:
    return HugeNumber(text) if len(text.lstrip("-")) > _MAX_INT_DIGITS else int(text)


def check_values(value: Any, meta_path: Path) -> None:
    """Refuse JSON nested deeper than ``MAX_JSON_DEPTH`` or holding a huge integer anywhere.

    Walked with a stack, not recursion; field paths are built only for the error message.
    """
    stack: list[tuple[Any, int, tuple[Any, ...]]] = [(value, 1, ())]
    while stack:
        item, depth, where = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise PersistenceError(
                f"{meta_path} nests JSON values more than {MAX_JSON_DEPTH} levels deep (at field "
                f"{_path(where[:8])}...); a model file nests ~8"
            )
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in pairs:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1, (*where, key)))
            elif isinstance(child, HugeNumber):
                raise PersistenceError(
                    f"{meta_path}: field {_path((*where, key))!r} holds {show(child)}; no field of a model "
                    f"file holds more than {_MAX_INT_DIGITS}"
                )


def _path(where: tuple[Any, ...]) -> str:
    out = ""
    for key in where:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def check_topic_values(values: np.ndarray, topics: np.ndarray, file: Path, field: str) -> None:
    """Every value of ``values`` is a topic of the model (or -1, the outlier label)."""
    bad = ~np.isin(values, topics) & (values != -1)
    if bad.any():
        raise PersistenceError(
            f"{file}: array {field!r} holds topic {int(values[np.flatnonzero(bad)[0]])}, which is not one of the "
            f"model's topics ({len(topics)} in field 'topic_ids')"
        )


def check_csr(
    arrays: dict[str, np.ndarray], prefix: str, shape: tuple[int, int], file: Path, *, non_negative: bool
) -> None:
    """The three arrays of a CSR matrix agree with each other and with ``shape`` (topics, vocabulary)."""
    data, indices, indptr = arrays[f"{prefix}_data"], arrays[f"{prefix}_indices"], arrays[f"{prefix}_indptr"]
    n_rows, n_cols = shape
    if indptr.shape != (n_rows + 1,):
        raise PersistenceError(
            f"{file}: array '{prefix}_indptr' has {indptr.shape[0]} entries; expected {n_rows + 1} "
            f"(one more than the {n_rows} topics in field 'topic_ids')"
        )
    if indptr[0] != 0 or (np.diff(indptr) < 0).any() or indptr[-1] != data.shape[0]:
        raise PersistenceError(
            f"{file}: array '{prefix}_indptr' must rise from 0 to the length of '{prefix}_data' ({data.shape[0]})"
        )
    if indices.shape != data.shape:
        raise PersistenceError(
            f"{file}: arrays '{prefix}_indices' and '{prefix}_data' must have the same length; "
            f"got {indices.shape[0]} and {data.shape[0]}"
        )
    if indices.size and (indices.min() < 0 or indices.max() >= n_cols):
        raise PersistenceError(
            f"{file}: array '{prefix}_indices' must hold term indices in [0, {n_cols}) "
            f"(the length of field 'vocabulary'); got values in [{indices.min()}, {indices.max()}]"
        )
    if not np.isfinite(data).all() or (non_negative and (data < 0).any()):
        kind = "finite numbers >= 0" if non_negative else "finite numbers"
        raise PersistenceError(f"{file}: array '{prefix}_data' must hold {kind}")


# ---------------------------------------------------------------------------------------- token_pattern
# A saved vectorizer's token_pattern is run over every document the loaded model counts, so a file
# could make counting hang with a pattern that backtracks catastrophically. Python's ``re`` backtracks:
# the time a pattern can take is bounded by the number of ways it can split a text. The rule bounds
# that number by the pattern's shape, before the pattern is used:
#
# * a string of at most MAX_TOKEN_PATTERN_CHARS characters that compiles, with at most one capturing
#   group (scikit-learn's own rule: with one group, the tokens are what it captures);
# * no backreference or conditional group (matching with backreferences is NP-hard in general);
# * star height 1 (the check of the npm package safe-regex): inside a repetition (``*``, ``+``,
#   ``{m,n}``), no quantifier that chooses (``*``, ``+``, ``?``, ``{m,n}`` with m < n) and no alternation
#   of multi-character branches. These are the shapes whose time is exponential in the length of a
#   token: ``(a+)+``, ``(a|aa)*``, ``(a?){30}``;
# * along any one path through the pattern, at most MAX_PATTERN_DEGREE unbounded repetitions, and
#   bounded choices (``?``, ``{m,n}``) multiplying to at most MAX_PATTERN_CHOICES ways. k unbounded
#   repetitions that match the same characters (``\w*\w*x``) can split a run of L characters in
#   O(L^k) ways, and n optional parts in a row (``a?a?a?aaa``) in 2^n: with the bounds, a text of L
#   characters costs O(L^3) at worst, where scikit-learn's default pattern is linear.
#
# Patterns people use pass: the default ``(?u)\b\w\w+\b``, ``(?u)\b\w+\b``, ``[a-zA-Z]{3,}``,
# ``\b\w{2,15}\b``, ``#?\w+``, ``\b\w+(?:'\w+)?\b``, ``\b\w+[-']\w+\b|\b\w+\b``. Some harmless ones are
# refused, e.g. ``\w+(?:-\w+)*`` (a repetition inside a repetition); ``save`` refuses those too, so it
# never writes a file that ``load`` refuses.

MAX_TOKEN_PATTERN_CHARS = 256  # scikit-learn's default token_pattern has 14
MAX_PATTERN_DEGREE = 2  # unbounded repetitions along one path (the default pattern has 1)
MAX_PATTERN_CHOICES = 10_000  # ways bounded choices multiply to along one path (\w{2,15}: 14)


class _Refused(Exception):
    pass


def token_pattern_problem(pattern: str) -> str | None:
    """What ``pattern`` would have to be to be accepted as a token_pattern (the rule above), or None."""
    if len(pattern) > MAX_TOKEN_PATTERN_CHARS:
        return f"a token pattern of at most {MAX_TOKEN_PATTERN_CHARS} characters (this one has {len(pattern)})"
    try:
        with warnings.catch_warnings():  # e.g. FutureWarning "Possible nested set": its meaning will change
            warnings.simplefilter("error")
            parsed = _sre_parse.parse(pattern)  # parsed afresh: re.compile's cache would skip the warnings
        compiled = re.compile(pattern)
    except Warning as exc:
        return f"a token pattern that compiles without warnings ({_short(exc)})"
    except (re.error, OverflowError, RecursionError) as exc:
        return f"a token pattern that compiles ({_short(exc)})"
    if compiled.groups > 1:
        return (
            "a token pattern with at most one capturing group, as scikit-learn requires "
            f"(this one has {compiled.groups})"
        )
    try:
        degree, choices = _pattern_cost(list(parsed.data), inside_repeat=False)
    except _Refused as exc:
        return str(exc)
    if degree > MAX_PATTERN_DEGREE:
        return (
            f"a token pattern with at most {MAX_PATTERN_DEGREE} unbounded repetitions along any one path (this one "
            f"has {degree}; k of them in a row can take time of order L^k on a text of L characters)"
        )
    if choices > MAX_PATTERN_CHOICES:
        return (
            f"a token pattern whose optional parts and bounded repetitions give at most {MAX_PATTERN_CHOICES} ways "
            f"along any one path (this one gives {'more' if choices > MAX_PATTERN_CHOICES else choices})"
        )
    return None


def _pattern_cost(items: list[Any], *, inside_repeat: bool) -> tuple[int, int]:
    """(unbounded repetitions, ways of the bounded choices) along the costliest path through ``items``.

    Raises _Refused for a construct the rule refuses (see above).
    """
    degree, choices = 0, 1
    for op, av in items:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, body = av
            if low < high and inside_repeat:
                raise _Refused(
                    "a token pattern without a quantifier inside a repetition, e.g. (a+)+ or (a?){30} "
                    "(they can backtrack exponentially)"
                )
            d, c = _pattern_cost(list(body), inside_repeat=inside_repeat or high > 1)
            if high == _sre_parse.MAXREPEAT:
                d += 1
            elif low < high:
                c *= high - low + 1
            degree, choices = degree + d, min(choices * c, MAX_PATTERN_CHOICES + 1)
        elif name == "BRANCH":
            if inside_repeat:
                raise _Refused(
                    "a token pattern without alternatives (|) of several characters inside a repetition, e.g. "
                    "(a|aa)* (it can backtrack exponentially)"
                )
            costs = [_pattern_cost(list(branch), inside_repeat=False) for branch in av[1]]
            d = max(d for d, _ in costs)
            degree += d
            choices = min(choices * sum(c for _, c in costs), MAX_PATTERN_CHOICES + 1)
        elif name.startswith("GROUPREF"):
            raise _Refused("a token pattern without backreferences or conditional groups (\\1, (?P=name), (?(1)...))")
        elif name in ("SUBPATTERN", "ASSERT", "ASSERT_NOT", "ATOMIC_GROUP"):
            body = av if name == "ATOMIC_GROUP" else av[-1]
            d, c = _pattern_cost(list(body), inside_repeat=inside_repeat)
            degree, choices = degree + d, min(choices * c, MAX_PATTERN_CHOICES + 1)
    return degree, choices
