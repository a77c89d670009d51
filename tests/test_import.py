"""``import topicscope`` stays light."""

from __future__ import annotations

import subprocess
import sys

HEAVY = (
    "torch",
    "umap",
    "plotly",
    "sentence_transformers",
    "llama_cpp",
    "dask",
    "numba",
    "transformers",
    "onnx",
    "onnxruntime",
    "tokenizers",
)


def test_import_loads_no_heavy_dependency():
    code = (
        "import sys, topicscope; from topicscope import TopicModel; import topicscope.representation; "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_import_does_not_touch_global_state():
    # Our dependencies (numpy, scipy, scikit-learn) may set their own filters: import them first.
    code = (
        "import warnings, logging, locale, numpy, scipy.sparse, sklearn.base, sklearn.exceptions; "
        "before = (list(warnings.filters), locale.setlocale(locale.LC_ALL)); "
        "import topicscope; from topicscope import TopicModel; "
        "assert (list(warnings.filters), locale.setlocale(locale.LC_ALL)) == before; "
        "assert logging.getLogger('topicscope').handlers == []"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
