"""How topicscope loads a GGUF (topicscope.llm.gguf): the weight-repacking decision for CPUs with
and without AMX (issue 19: llama.cpp's AMX kernels segfault on repacked Q4_K weights), applied to
the real llama.cpp and the packaged Gemma GGUF, and damaged files refused with a clear error."""

from __future__ import annotations

import logging

import pytest

from topicscope.exceptions import InputError, ModelNotFoundError
from topicscope.llm import LlamaCPP, LoadDecision, decide_extra_buffers, load_llama
from topicscope.llm.gguf import build_features, check_gguf_header, cpu_flags, model_params, system_info

# /proc/cpuinfo as an Intel Xeon with AMX (Sapphire Rapids) and an AMD EPYC without it show it, cut.
XEON_AMX = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz
flags\t\t: fpu vme sse sse2 avx avx2 avx512f avx512_vnni avx512_bf16 amx_bf16 avx512_fp16 amx_tile amx_int8
"""
EPYC = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 9B14
flags\t\t: fpu vme sse sse2 avx avx2 avx512f avx512_vnni avx512_bf16
"""
ARM = "processor\t: 0\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics\n"
# llama_print_system_info() of a native build on each (the AMX line appears only when compiled in).
INFO_AMX = "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | AVX512 = 1 | AVX512_VNNI = 1 | AMX_INT8 = 1 | REPACK = 1 | "
INFO_NO_AMX = "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | AVX512 = 1 | AVX512_VNNI = 1 | LLAMAFILE = 1 | REPACK = 1 | "


def test_cpu_flags_read_proc_cpuinfo():
    assert {"amx_tile", "amx_int8", "avx2"} <= cpu_flags(XEON_AMX)
    assert "amx_int8" not in cpu_flags(EPYC) and "avx2" in cpu_flags(EPYC)
    assert "asimd" in cpu_flags(ARM)
    assert cpu_flags("no flags here") == frozenset()
    assert cpu_flags()  # this machine's /proc/cpuinfo


def test_build_features_parse_the_system_info():
    assert build_features(INFO_AMX)["AMX_INT8"] is True
    assert "AMX_INT8" not in build_features(INFO_NO_AMX)
    assert build_features("CPU : AVX2 = 0 |") == {"AVX2": False}


@pytest.mark.parametrize(
    ("cpuinfo", "info", "expected", "why"),
    [
        (XEON_AMX, INFO_AMX, False, "AMX kernels crash"),  # the crash of issue 19: repacking off
        (XEON_AMX, INFO_NO_AMX, True, "no AMX kernels"),  # built without AMX (GGML_NATIVE=OFF): safe
        (XEON_AMX, None, False, "AMX kernels crash"),  # the build cannot say: the safe side
        (EPYC, INFO_NO_AMX, True, "no AMX"),
        (EPYC, None, True, "no AMX"),
        (ARM, "CPU : NEON = 1 | REPACK = 1 |", True, "no AMX"),
    ],
)
def test_decision_for_cpus_with_and_without_amx(cpuinfo, info, expected, why):
    decision = decide_extra_buffers(None, cpu_flags(cpuinfo), info)
    assert decision.extra_buffers is expected and why in decision.reason


@pytest.mark.parametrize("setting", [True, False])
def test_an_explicit_setting_wins(setting):
    for cpuinfo, info in ((XEON_AMX, INFO_AMX), (EPYC, INFO_NO_AMX)):
        assert decide_extra_buffers(setting, cpu_flags(cpuinfo), info) == LoadDecision(
            setting, f"extra_buffers={setting} was given"
        )


def test_extra_buffers_is_validated(tmp_path):
    with pytest.raises(InputError, match=r"extra_buffers must be True, False or None .*got 'no'"):
        load_llama(tmp_path / "m.gguf", extra_buffers="no")
    with pytest.raises(InputError, match=r"extra_buffers must be True, False or None .*got 1"):
        LlamaCPP(tmp_path / "m.gguf", extra_buffers=1)._validate()
    assert LlamaCPP("m.gguf", extra_buffers=False).get_params()["extra_buffers"] is False


@pytest.mark.slow
@pytest.mark.llm
@pytest.mark.parametrize("extra_buffers", [None, False, True])
def test_load_llama_applies_the_decision_to_the_real_model(gguf_path, extra_buffers):
    import llama_cpp

    native_default = llama_cpp.llama_cpp.llama_model_default_params
    llm = load_llama(gguf_path, n_ctx=256, verbose=False, extra_buffers=extra_buffers)
    try:
        expected = decide_extra_buffers(extra_buffers, cpu_flags(), system_info(llama_cpp))
        assert llm.topicscope_load_decision == expected
        assert llm.model_params.use_extra_bufts is expected.extra_buffers
        out = llm.create_completion(prompt="The capital of France is", max_tokens=6, temperature=0.0)
        assert out["choices"][0]["text"].strip()
    finally:
        llm.close()
    assert llama_cpp.llama_cpp.llama_model_default_params is native_default  # restored after loading
    assert llama_cpp.llama_model_default_params().use_extra_bufts is True  # llama.cpp's own default


@pytest.mark.slow
@pytest.mark.llm
def test_model_params_are_restored_when_loading_fails(gguf_path, tmp_path):
    import llama_cpp

    native_default = llama_cpp.llama_cpp.llama_model_default_params
    with pytest.raises(ZeroDivisionError), model_params(llama_cpp, False):
        assert llama_cpp.llama_cpp.llama_model_default_params().use_extra_bufts is False
        raise ZeroDivisionError
    assert llama_cpp.llama_cpp.llama_model_default_params is native_default


@pytest.mark.slow
@pytest.mark.llm
def test_llamacpp_logs_and_keeps_its_load_decision(gguf_path, caplog):
    import llama_cpp

    rep = LlamaCPP(gguf_path, n_ctx=256)
    with caplog.at_level(logging.INFO, logger="topicscope"):
        rep._load()
    decision = decide_extra_buffers(None, cpu_flags(), system_info(llama_cpp))
    assert rep.load_decision_ == decision
    assert any(decision.reason in r.getMessage() and "loading gemma" in r.getMessage() for r in caplog.records)
    forced = LlamaCPP(gguf_path, n_ctx=256, extra_buffers=False)
    forced._load()
    assert forced.load_decision_.extra_buffers is False and forced._llm.model_params.use_extra_bufts is False


@pytest.mark.slow
@pytest.mark.llm
@pytest.mark.parametrize("keep", [10, 30, 4096, 1_000_000, 0.8])
def test_a_truncated_gguf_is_refused_not_crashed(gguf_path, tmp_path, keep):
    """A GGUF cut anywhere (inside the header, the metadata, the tensor data) raises
    ModelNotFoundError naming the file, through load_llama and through LlamaCPP."""
    from pathlib import Path

    data = Path(gguf_path).read_bytes()
    size = int(len(data) * keep) if isinstance(keep, float) else keep
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(data[:size])
    with pytest.raises(ModelNotFoundError, match="cut.gguf"):
        load_llama(cut, n_ctx=256, verbose=False)
    with pytest.raises(ModelNotFoundError, match="cut.gguf"):
        LlamaCPP(cut, n_ctx=256)._load()


def test_a_file_that_is_not_a_gguf_is_refused_before_llama_cpp_reads_it(tmp_path):
    text = tmp_path / "model.gguf"
    text.write_text("this is a text file, not a model\n" * 10)
    with pytest.raises(ModelNotFoundError, match=r"not a GGUF model file: expected the 'GGUF' magic"):
        check_gguf_header(text)
    future = tmp_path / "future.gguf"
    future.write_bytes(b"GGUF" + (99).to_bytes(4, "little") + bytes(16))
    with pytest.raises(ModelNotFoundError, match="GGUF version 99"):
        check_gguf_header(future)
