#!/usr/bin/env python3
"""rspamd_server.py: a REAL rspamd of the tests' own (Debian's /usr/bin/rspamd), and the
Redis it needs to learn, each started in the foreground with its own configuration in a
temp dir and stopped by PID.

  Rspamd(test, regexp=..., tld=..., phishing=True, learning=False).start()

- no DNS (the resolver is a closed loopback port), the network modules off;
- `tld`: the TLDs rspamd recognises in URLs (a short list starts in about a second;
  None: the packaged public suffix list, about 12 s);
- `phishing`: rspamd's phishing module on (links whose text shows another site; no
  OpenPhish/PhishTank feeds: they are on the network);
- `learning`: a Redis on a loopback port (Debian's redis-server) as the Bayes backend
  (the classifier learns from the first letter: min_learns = 1, min_tokens = 1) and a
  fuzzy_storage worker of this rspamd with fuzzy_check pointed at it (flag 1: spam,
  symbol FUZZY_DENIED), so /learnspam, /learnham and /fuzzyadd work.

Used by tests/it/test_spam.py, tests/it/test_check_rspamd.py and, as a program, by the
benches (bench/phishing/run, bench/intake/run):

  python3 tests/it/rspamd_server.py [--full-tld] -- COMMAND ARGS...

starts rspamd, runs COMMAND with OKNO_RSPAMD_URL (and OKNO_RSPAMD_CONTROLLER_URL,
OKNO_RSPAMD_PASSWORD) in its environment, stops rspamd and exits with COMMAND's status;
without rspamd installed it prints one line saying so and exits 77."""
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

RSPAMD = "/usr/bin/rspamd"
REDIS = "/usr/bin/redis-server"
CONTROLLER_PASSWORD = "okno-test-controller"
# modules that would reach the network (DNS lists, maps.rspamd.com, Redis): off
NETWORK_MODULES = ("rbl surbl spf dkim dmarc arc asn emails whitelist "
                   "mx_check rspamd_update hfilter dkim_signing url_redirector neural "
                   "ratelimit greylist replies history_redis reputation").split()
SHORT_TLD = ("com net org info biz io co me us uk co.uk de fr it es nl br com.br ru su рф "
             "test example xyz top online site app dev cn jp in au ca").split()


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _NoTest:
    """Stands in for a unittest.TestCase outside tests."""

    def __init__(self):
        self.cleanups = []

    def fail(self, msg):
        raise RuntimeError(msg)

    def addCleanup(self, fn):
        self.cleanups.append(fn)


class Redis:
    def __init__(self, dir):
        self.dir = dir
        self.port = free_port()
        self.proc = None

    def start(self):
        self.out = open(os.path.join(self.dir, "redis.out"), "wb")
        self.proc = subprocess.Popen([REDIS, "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no", "--dir", self.dir,
                                      "--protected-mode", "no"],
                                     stdout=self.out, stderr=subprocess.STDOUT)
        import socket
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError("redis-server exited with %s" % self.proc.returncode)
            time.sleep(0.05)
        raise RuntimeError("redis-server did not answer PING")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)
        self.proc = None
        if getattr(self, "out", None):
            self.out.close()


class Rspamd:
    """An rspamd of our own: normal worker on `port`, controller on `controller_port`."""

    def __init__(self, test=None, regexp="", tld=SHORT_TLD, phishing=True, learning=False,
                 actions="reject = 500; add_header = 400; greylist = 300;"):
        self.test = test or _NoTest()
        # under /tmp directly: the _rspamd user must reach it (a test's own dir is 0700)
        self.dir = tempfile.mkdtemp(prefix="okno-rspamd-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.controller_port = free_port()
        self.fuzzy_port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.controller_url = "http://127.0.0.1:%d" % self.controller_port
        self.password = CONTROLLER_PASSWORD
        self.proc = None
        self.redis = Redis(self.dir) if learning else None
        for d in ("local.d", "db", "run", "log"):
            os.makedirs(os.path.join(self.dir, d))
        fuzzy_worker = ""
        if learning:
            fuzzy_worker = """
worker "fuzzy" {
    bind_socket = "127.0.0.1:%d";
    .include "$CONFDIR/worker-fuzzy.inc"
    count = 1;
    backend = "redis";
    servers = "127.0.0.1:%d";
    allow_update = ["127.0.0.1"];
    sync = 0.5s;  # updates are written in batches, by default every minute
}
""" % (self.fuzzy_port, self.redis.port)
        self._write("rspamd.conf", """
.include "$CONFDIR/common.conf"
options {
    pidfile = "$RUNDIR/rspamd.pid";
    .include "$CONFDIR/options.inc"
    .include(try=true; priority=1,duplicate=merge) "$LOCAL_CONFDIR/local.d/options.inc"
}
logging {
    type = "file";
    filename = "$LOGDIR/rspamd.log";
    .include "$CONFDIR/logging.inc"
}
worker "normal" {
    bind_socket = "127.0.0.1:%d";
    .include "$CONFDIR/worker-normal.inc"
    count = 1;
}
worker "controller" {
    bind_socket = "127.0.0.1:%d";
    .include "$CONFDIR/worker-controller.inc"
    password = "%s";
    enable_password = "%s";
}
%s""" % (self.port, self.controller_port, CONTROLLER_PASSWORD, CONTROLLER_PASSWORD,
         fuzzy_worker))
        # the stock multimap rules fetch maps from maps.rspamd.com: none at all
        self._write("rspamd.conf.override", "multimap {\n}\n")
        tld_line = ""
        if tld is not None:
            self._write("tld.dat", "\n".join(tld) + "\n")
            tld_line = 'url_tld = "%s/tld.dat";' % self.dir
        self._write("local.d/options.inc", """
dns { nameserver = ["127.0.0.1:%d"]; timeout = 0.2s; retransmits = 1; }
local_addrs = "127.0.0.0/8, ::1";
%s
""" % (free_port(), tld_line))
        if regexp:
            self._write("local.d/regexp.conf", regexp)
        self._write("local.d/actions.conf", actions + "\n")
        off = list(NETWORK_MODULES)
        if phishing:
            self._write("local.d/phishing.conf",
                        "phishtank_enabled = false;\nopenphish_enabled = false;\n")
        else:
            off.append("phishing")
        if learning:
            self._write("local.d/redis.conf", 'servers = "127.0.0.1:%d";\n' % self.redis.port)
            self._write("local.d/classifier-bayes.conf",
                        'backend = "redis";\nservers = "127.0.0.1:%d";\n'
                        "min_learns = 1;\nmin_tokens = 1;\nautolearn = false;\n"
                        # every letter taught is learnt, also one the classifier already
                        # puts in that class (the stock condition skips those above 95 %)
                        "learn_condition = 'return function(task, is_spam, is_unlearn) "
                        "return true end';\n"
                        % self.redis.port)
            self._write("local.d/fuzzy_check.conf", """
min_bytes = 64;
timeout = 2s;
rule "okno" {
    servers = "127.0.0.1:%d";
    symbol = "FUZZY_UNKNOWN";
    mime_types = ["*"];
    max_score = 20.0;
    read_only = false;
    skip_unknown = true;
    short_text_direct_hash = true;
    min_length = 32;
    fuzzy_map = {
        FUZZY_DENIED { max_score = 20.0; flag = 1; }
        FUZZY_PROB { max_score = 10.0; flag = 2; }
        FUZZY_WHITE { max_score = 2.0; flag = 3; }
    }
}
""" % self.fuzzy_port)
        else:
            off.append("fuzzy_check")
        for m in off:
            self._write("local.d/%s.conf" % m, "enabled = false;\n")
        # as root rspamd must drop to its own user (package rspamd's _rspamd)
        self.user = ["-u", "_rspamd", "-g", "_rspamd"] if os.geteuid() == 0 else []
        if self.user:
            user = pwd.getpwnam("_rspamd")
            for d in ("db", "run", "log"):
                os.chown(os.path.join(self.dir, d), user.pw_uid, user.pw_gid)
        self.test.addCleanup(self.cleanup)

    def _write(self, name, text):
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(text)

    def start(self, timeout=90):
        if self.redis and not self.redis.proc:
            self.redis.start()
        v = ["--var=LOCAL_CONFDIR=" + self.dir, "--var=DBDIR=" + self.dir + "/db",
             "--var=RUNDIR=" + self.dir + "/run", "--var=LOGDIR=" + self.dir + "/log"]
        self.out = open(os.path.join(self.dir, "fg.out"), "wb")
        self.proc = subprocess.Popen([RSPAMD, "-f", "-c", self.dir + "/rspamd.conf", *v,
                                      *self.user],
                                     stdout=self.out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/ping", timeout=1) as r:
                    if r.read().strip() == b"pong":
                        return
            except OSError:
                pass
            if self.proc.poll() is not None:
                self.test.fail("rspamd exited with %s: %s" % (self.proc.returncode,
                                                               self.log()[-3000:]))
            time.sleep(0.1)
        self.test.fail("rspamd did not answer /ping: " + self.log()[-3000:])

    def log(self):
        out = ""
        for name in ("fg.out", "log/rspamd.log"):
            try:
                with open(os.path.join(self.dir, name), "rb") as f:
                    out += f.read().decode("utf-8", "replace")
            except OSError:
                pass
        return out

    def check(self, data, headers=None):
        """rspamd's /checkv2 answer (a dict) on `data`."""
        import json
        req = urllib.request.Request(self.url + "/checkv2", data=data,
                                     headers=dict(headers or {}, Pass="all"))
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)
        self.proc = None

    def cleanup(self):
        self.stop()
        if self.redis:
            self.redis.stop()
        if getattr(self, "out", None):
            self.out.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def main(argv):
    full = "--full-tld" in argv
    learning = "--learning" in argv
    if "--" not in argv:
        print("usage: rspamd_server.py [--full-tld] [--learning] -- COMMAND ARGS...",
              file=sys.stderr)
        return 2
    cmd = argv[argv.index("--") + 1:]
    if not os.access(RSPAMD, os.X_OK):
        print("rspamd: skipped (Debian's rspamd is not installed: scripts/deps --test)")
        return 77
    holder = _NoTest()
    r = Rspamd(holder, tld=None if full else SHORT_TLD, learning=learning)
    try:
        # the packaged TLD list takes 12 s to compile on an idle machine, minutes on a
        # loaded one
        r.start(timeout=900 if full else 120)
        env = dict(os.environ, OKNO_RSPAMD_URL=r.url,
                   OKNO_RSPAMD_CONTROLLER_URL=r.controller_url,
                   OKNO_RSPAMD_PASSWORD=r.password)
        return subprocess.call(cmd, env=env)
    finally:
        for fn in holder.cleanups:
            fn()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
