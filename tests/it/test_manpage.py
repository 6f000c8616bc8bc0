"""test_manpage: the manual page documents every command okno has, and is valid roff.

The commands are read from `okno --help` (the dispatch table), so a command added
without its entry in docs/man/okno.1 fails here; `man --warnings -l` (or groff when
man is absent) must render the page without a warning.
"""
import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import OKNO_BIN  # noqa: E402

PAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                    "docs", "man", "okno.1")


class ManPage(unittest.TestCase):
    def test_every_command_has_an_entry(self):
        out = subprocess.run([OKNO_BIN, "--help"], capture_output=True, text=True, check=True).stdout
        commands = re.findall(r"^  (\S+)\s", out.split("commands:", 1)[1], re.M)
        self.assertGreater(len(commands), 10)
        with open(PAGE, encoding="utf-8") as f:
            page = f.read()
        entries = set(re.findall(r"^\.TP\n\.B ([a-z-]+)", page, re.M))
        missing = [c for c in commands if c not in entries]
        self.assertEqual(missing, [], "docs/man/okno.1 has no entry for these commands")

    def test_the_page_renders_without_warnings(self):
        groff = shutil.which("groff")
        if not groff:
            self.skipTest("no groff")
        r = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z", PAGE], capture_output=True, text=True)
        self.assertEqual((r.returncode, r.stderr), (0, ""))


if __name__ == "__main__":
    unittest.main()
