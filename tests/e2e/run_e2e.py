"""run_e2e.py: runs a browser test script (tests/e2e/*.js) against the real daemon.

Starts `okno serve` with okno_it.Okno (fresh store, free ports), then
`node <script>` with OKNO_BASE_URL, OKNO_BIN, OKNO_CONFIG and OKNO_ARTIFACTS (the
screenshot directory, by default e2e-artifacts under the build directory). Exits 77
(meson's "skipped") when node, Debian's chromium or tests/e2e/node_modules (npm ci)
is missing, so a machine without a browser skips instead of failing.
A script restarts the daemon by sending SIGUSR1 to its parent (this runner): the
daemon is killed (SIGKILL, as a node that dies) and started again on the same ports
and store (tests/e2e/chat.js: a node restarted mid-chat loses no message).
The bot answers from tests/e2e/chat_answers.txt ([chat] answers). A script's own
settings are SCRIPT.config.json beside it, {group: {key: value}}, merged over these;
"$FREE_PORT" in a value becomes a TCP port free a moment ago, passed to the script as
OKNO_FREE_PORT too (for a fake server the script itself runs on it).
Usage: python3 run_e2e.py SCRIPT.js
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "it"))
import okno_it  # noqa: E402
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
        config = {"journal": {"sign_interval": "1"},
                  "chat": {"answers": os.path.join(HERE, "chat_answers.txt")}}
        # a script's own settings, when it has any: SCRIPT.config.json {group: {key: value}}
        port = okno_it.free_port()
        extra = SCRIPT[:-3] + ".config.json"
        if os.path.exists(extra):
            with open(extra, encoding="utf-8") as f:
                for group, keys in json.load(f).items():
                    config.setdefault(group, {}).update(
                        {k: v.replace("$FREE_PORT", str(port)) for k, v in keys.items()})
        okno.write_config(config)
        init = okno.run("journal", "init")
        self.assertEqual(init.returncode, 0, init.stderr)
        okno.start()

        def restart(signum, frame):
            okno.signal(signal.SIGKILL)
            okno.proc.wait(timeout=30)
            okno.start()
        signal.signal(signal.SIGUSR1, restart)
        env = dict(os.environ, OKNO_BASE_URL=okno.base_url, OKNO_CONFIG=okno.config_path,
                   OKNO_FREE_PORT=str(port),
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
