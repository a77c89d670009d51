"""Run ``python -m llama_cpp.server`` with topicscope's GGUF loading decision applied.

The server builds its own ``llama_cpp.Llama``; on a CPU with AMX and a llama.cpp built with AMX
kernels that crashes at the first completion unless weight repacking is off
(``topicscope.llm.gguf``). This launcher applies the same decision as ``LlamaCPP`` for the life
of the server process, then hands over to the server's own command line.
"""

from __future__ import annotations

import logging
import sys

import llama_cpp
from llama_cpp.server.__main__ import main

from topicscope.llm.gguf import cpu_flags, decide_extra_buffers, model_params, system_info

if __name__ == "__main__":
    decision = decide_extra_buffers(None, cpu_flags(), system_info(llama_cpp))
    logging.basicConfig(level=logging.INFO)
    logging.getLogger("topicscope").info("llama_cpp.server: %s", decision.reason)
    sys.stdout.flush()
    with model_params(llama_cpp, decision.extra_buffers):
        main()
