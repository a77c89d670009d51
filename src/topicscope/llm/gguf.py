"""Loading a GGUF file with llama-cpp-python so that it runs on the CPU it is on.

llama.cpp moves some weights into "extra buffer types" at load (weight repacking: the CPU's
AMX, AVX2/AVX-512 or ARM layouts). On CPUs with AMX, a llama.cpp built for the machine it runs on
(pip builds with ``GGML_NATIVE=ON``, so the AMX kernels are compiled in) repacks Q4_K weights for
AMX and the first matrix product over them crashes the process (SIGSEGV in
``ggml_backend_amx_mul_mat``; ggml-org/llama.cpp #20824). Loading with the model parameter
``use_extra_bufts = False`` avoids it at some speed cost; on every other CPU repacking stays on.

``decide_extra_buffers`` makes that choice from the CPU's flags and the build's feature list (a
pure function, tested for both kinds of CPU); ``load_llama`` applies it and logs what it chose.
llama-cpp-python's ``Llama()`` has no keyword for ``use_extra_bufts``, so it is set on the
default model parameters while the model is constructed: that relies on llama-cpp-python's
internals, which is why ``pyproject.toml`` pins the version it was tested with.
"""

from __future__ import annotations

import contextlib
import re
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._logging import logger
from ..exceptions import InputError, ModelNotFoundError, missing_extra

# /proc/cpuinfo flags of Intel's Advanced Matrix Extensions.
AMX_FLAGS = frozenset({"amx_tile", "amx_int8", "amx_bf16"})
_FEATURE = re.compile(r"([A-Z0-9_]+)\s*=\s*(\d+)")
_GGUF_MAGIC = b"GGUF"
_PARAMS_LOCK = threading.Lock()


def import_llama_cpp() -> Any:
    """llama-cpp-python, or the error naming the extra that installs it."""
    try:
        import llama_cpp
    except ImportError as exc:
        raise missing_extra("llama-cpp-python", "llm", exc) from exc
    return llama_cpp


def cpu_flags(cpuinfo: str | None = None) -> frozenset[str]:
    """The CPU's feature flags, from ``/proc/cpuinfo`` (or the given text); empty where unknown."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return frozenset()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


def build_features(system_info: str) -> dict[str, bool]:
    """The ``NAME = 0/1`` features of ``llama_print_system_info()`` (e.g. ``{"AMX_INT8": True}``)."""
    return {name: value != "0" for name, value in _FEATURE.findall(system_info)}


def system_info(llama_cpp: Any) -> str | None:
    """What the installed llama.cpp reports it was built with; None where it cannot say."""
    try:
        info = llama_cpp.llama_print_system_info()
    except (AttributeError, OSError, TypeError, ValueError):
        return None
    return info.decode("utf-8", "replace") if isinstance(info, bytes) else str(info)


@dataclass(frozen=True)
class LoadDecision:
    """Whether llama.cpp may repack weights into extra buffer types, and why."""

    extra_buffers: bool
    reason: str


def decide_extra_buffers(setting: bool | None, flags: frozenset[str], info: str | None) -> LoadDecision:
    """Choose ``use_extra_bufts`` for a GGUF load.

    ``setting``: the user's choice (True/False), or None to decide here. Repacking is turned off
    only when the CPU has AMX and the llama.cpp build has its AMX kernels (``AMX_INT8 = 1`` in its
    system info), the combination that crashes; when the build cannot say, AMX in the CPU alone
    turns it off (the safe side).
    """
    if setting is not None:
        return LoadDecision(bool(setting), f"extra_buffers={bool(setting)} was given")
    amx = sorted(flags & AMX_FLAGS)
    if not amx:
        return LoadDecision(True, "the CPU has no AMX: weight repacking stays on")
    if info is not None and not build_features(info).get("AMX_INT8", False):
        return LoadDecision(True, f"the CPU has AMX ({', '.join(amx)}) but this llama.cpp has no AMX kernels")
    return LoadDecision(
        False,
        f"the CPU has AMX ({', '.join(amx)}) and llama.cpp's AMX kernels crash on repacked weights "
        "(ggml-org/llama.cpp #20824): weight repacking (use_extra_bufts) is off",
    )


def check_gguf_header(path: Path) -> None:
    """Refuse a file that is not a GGUF (or is cut short inside its header) before llama.cpp reads it."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(24)
    except OSError as exc:
        raise ModelNotFoundError(f"could not read the GGUF model {str(path)!r}: {exc}") from exc
    if len(head) < 24 or head[:4] != _GGUF_MAGIC:
        raise ModelNotFoundError(
            f"{str(path)!r} is not a GGUF model file: expected the 'GGUF' magic and a 24-byte header, "
            f"got {len(head)} bytes starting {head[:4]!r}"
        )
    (version,) = struct.unpack("<I", head[4:8])
    if version not in (2, 3):
        raise ModelNotFoundError(f"{str(path)!r} is GGUF version {version}; llama.cpp reads versions 2 and 3")


@contextlib.contextmanager
def model_params(llama_cpp: Any, extra_buffers: bool) -> Iterator[None]:
    """While active, ``Llama()`` builds its model parameters with ``use_extra_bufts=extra_buffers``.

    Serialised by a lock, so two threads loading at once never see each other's setting.
    """
    native = getattr(llama_cpp, "llama_cpp", llama_cpp)
    with _PARAMS_LOCK:
        original = native.llama_model_default_params
        if not hasattr(original(), "use_extra_bufts"):
            if not extra_buffers:
                raise ModelNotFoundError(
                    "this llama-cpp-python has no use_extra_bufts model parameter, needed to load a GGUF "
                    "safely on a CPU with AMX; install the tested version (pip install "
                    '"topicscope[llm]") or pass extra_buffers=True to load it anyway'
                )
            yield
            return

        def patched() -> Any:
            params = original()
            params.use_extra_bufts = bool(extra_buffers)
            return params

        native.llama_model_default_params = patched
        try:
            yield
        finally:
            native.llama_model_default_params = original


def load_llama(path: str | Path, *, extra_buffers: bool | None = None, **kwargs: Any) -> Any:
    """Load a GGUF as a ``llama_cpp.Llama`` that runs on this CPU (see the module docstring).

    ``extra_buffers``: None decides from the CPU and the build (``decide_extra_buffers``);
    True/False forces llama.cpp's weight repacking on or off. ``kwargs`` go to ``Llama()``. The
    decision is logged at INFO level and kept on the model as ``topicscope_load_decision``.
    """
    if extra_buffers is not None and not isinstance(extra_buffers, bool):
        raise InputError(f"extra_buffers must be True, False or None (decide from the CPU); got {extra_buffers!r}")
    path = Path(path).expanduser()
    if not path.is_file():
        raise ModelNotFoundError(f"GGUF model file not found: {str(path)!r}")
    check_gguf_header(path)
    llama_cpp = import_llama_cpp()
    decision = decide_extra_buffers(extra_buffers, cpu_flags(), system_info(llama_cpp))
    if not kwargs.get("vocab_only"):
        logger.info("loading %s with llama.cpp: %s", path.name, decision.reason)
    try:
        with model_params(llama_cpp, decision.extra_buffers):
            llm = llama_cpp.Llama(model_path=str(path), **kwargs)
    except (ValueError, RuntimeError, OSError) as exc:
        raise ModelNotFoundError(
            f"could not load the GGUF model {str(path)!r} ({path.stat().st_size:,} bytes): {exc}. The file may be "
            "truncated or damaged, or of an architecture this llama.cpp does not know"
        ) from exc
    applied = getattr(getattr(llm, "model_params", None), "use_extra_bufts", decision.extra_buffers)
    if bool(applied) != decision.extra_buffers:  # pragma: no cover - a llama-cpp-python that rebuilt its params
        llm.close()
        raise ModelNotFoundError(
            f"llama-cpp-python ignored use_extra_bufts={decision.extra_buffers} for {str(path)!r}; "
            'install the tested version (pip install "topicscope[llm]")'
        )
    llm.topicscope_load_decision = decision
    return llm
