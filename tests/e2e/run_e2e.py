"""run_e2e.py: runs a browser test script (tests/e2e/*.js) against the real daemon.

Starts `okno serve` with okno_it.Okno (fresh store, free ports), then
`node <script>` with OKNO_BASE_URL, OKNO_BIN, OKNO_CONFIG and OKNO_ARTIFACTS (the
screenshot directory, by default e2e-artifacts under the build directory). Exits 77
(meson's "skipped") when node, Debian's chromium or tests/e2e/node_modules (npm ci)
is missing, so a machine without a browser skips instead of failing.
Usage: python3 run_e2e.py SCRIPT.js
"""
import os
import shutil
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "it"))
from okno_it import Okno  # noqa: E402

SCRIPT = os.path.join(HERE, sys.argv.pop(1)) if len(sys.argv) > 1 else None
CHROMIUM = os.environ.get("OKNO_CHROMIUM", "/usr/bin/chromium")

if (not SCRIPT or not shutil.which("node") or not os.path.exists(CHROMIUM)
        or not os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core"))):
    print("skipped: needs node, %s and tests/e2e/node_modules (npm ci)" % CHROMIUM)
    sys.exit(77)


class Browser(unittest.TestCase):
    def test_script(self):
        okno = Okno(self)
        # heads signed every second, so the cabinet's «Скачать подтверждение» has one
        okno.write_config({"journal": {"sign_interval": "1"}})
        init = okno.run("journal", "init")
        self.assertEqual(init.returncode, 0, init.stderr)
        okno.start()
        env = dict(os.environ, OKNO_BASE_URL=okno.base_url, OKNO_CONFIG=okno.config_path,
                   OKNO_ARTIFACTS=os.environ.get("OKNO_ARTIFACTS",
                                                 os.path.join(os.getcwd(), "e2e-artifacts")))
        env.setdefault("OKNO_BIN", "okno")
        # Chromium is not built with the sanitizers' runtime: keep their options away.
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LD_PRELOAD"):
            env.pop(k, None)
        r = subprocess.run(["node", SCRIPT], cwd=HERE, env=env, capture_output=True,
                           text=True, timeout=300)
        print(r.stdout)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + "\n--- serve.log:\n" + okno.log()[-3000:])


if __name__ == "__main__":
    unittest.main()
