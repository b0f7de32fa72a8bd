"""The kit's hosts read a plugin's stderr on a thread. A line the plugin wrote before it answered
a call must be in `log_text()` once the call has returned, however far behind that thread is:
tests assert on warnings that way (two tests flaked when it was only usually true)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from aep_pulumi.testing.plugin_process import PluginProcess

# Announces a port as a plugin does, then, each time it is asked (a file appears), writes a
# burst of lines on stderr before it answers (another file).
PLUGIN = """
import os, sys, time
folder = sys.argv[1]
print(1, flush=True)
for round in range(3):
    while not os.path.exists(os.path.join(folder, f"ask{round}")):
        time.sleep(0.001)
    for i in range(3000):
        sys.stderr.write(f"warning: round {round} line {i} " + "x" * 60 + "\\n")
    sys.stderr.flush()
    open(os.path.join(folder, f"answer{round}"), "w").close()
time.sleep(60)
"""


def _ask(folder: Path, round_: int) -> None:
    (folder / f"ask{round_}").touch()
    while not (folder / f"answer{round_}").exists():
        time.sleep(0.001)


@pytest.mark.parametrize("attempt", range(5))
def test_lines_written_before_an_answer_are_in_the_log(tmp_path: Path, attempt: int) -> None:
    plugin = PluginProcess([sys.executable, "-c", PLUGIN, str(tmp_path)], {}, what="a fake plugin")
    try:
        for round_ in range(3):
            _ask(tmp_path, round_)
            text = plugin.log_text()
            assert f"warning: round {round_} line 2999" in text
            assert text.count("\n") + 1 == 3000 * (round_ + 1)
    finally:
        plugin.close()
    assert plugin.log_text().count("warning:") == 9000, "nothing lost when the plugin ends"


# Answers once, then never stops writing: a chatty plugin (debug logging) must not make
# `log_text()` wait for a quiet pipe that never comes.
CHATTY = """
import os, sys
folder = sys.argv[1]
print(1, flush=True)
while not os.path.exists(os.path.join(folder, "ask0")):
    pass
sys.stderr.write("warning: the answer's own line\\n")
sys.stderr.flush()
open(os.path.join(folder, "answer0"), "w").close()
while True:
    sys.stderr.write("debug: still talking\\n")
    sys.stderr.flush()
"""


def test_a_plugin_that_never_stops_logging_does_not_stall_the_log(tmp_path: Path) -> None:
    plugin = PluginProcess([sys.executable, "-c", CHATTY, str(tmp_path)], {}, what="a fake plugin")
    try:
        _ask(tmp_path, 0)
        started = time.monotonic()
        for _ in range(20):
            assert "warning: the answer's own line" in plugin.log_text()
        assert time.monotonic() - started < 2.0
    finally:
        plugin.close()
