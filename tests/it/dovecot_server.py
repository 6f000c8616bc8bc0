"""dovecot_server: a private Dovecot (IMAP) for the tests, from Debian's dovecot-imapd.

Dovecot(test) writes a config under a fresh directory (maildir mailboxes, a
passwd-file with the given users, IMAP on a free 127.0.0.1 port, no TLS), starts it
and stops it at the test's cleanup. As in /work/notes/prep-services.md section 3:
the mail processes run as nobody (the tests run as root in CI). Helpers:
  - put(user, raw_bytes, name=None): a message into the user's INBOX as Dovecot's
    own maildir delivery would (written to tmp/, renamed into new/).
  - count(user, folder): messages in a folder (doveadm mailbox status).
  - doveadm(*args): runs doveadm with this config.
Without dovecot installed (scripts/deps --test installs it) importing this module
prints one line and exits 77 (skipped), unless CI is set.
"""
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import okno_it

if not shutil.which("dovecot") or not shutil.which("doveadm"):
    print("dovecot (dovecot-imapd) not installed: scripts/deps --test installs it; skipped")
    sys.exit(1 if os.environ.get("CI") else 77)

CONFIG = """protocols = imap
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
instance_name = okno-it-{port}
log_path = {dir}/dovecot.log
info_log_path = {dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_uid = nobody
mail_gid = nogroup
first_valid_uid = 1
mail_location = maildir:{dir}/mail/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={dir}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


class Dovecot:
    def __init__(self, test, users):
        if os.geteuid() != 0:
            print("the Dovecot of the tests runs its mail processes as nobody: run as root")
            sys.exit(1 if os.environ.get("CI") else 77)
        self.dir = tempfile.mkdtemp(prefix="okno-dv-")
        os.chmod(self.dir, 0o755)
        test.addCleanup(shutil.rmtree, self.dir, True)
        self.port = okno_it.free_port()
        for sub in ("run", "state", "mail"):
            os.makedirs(os.path.join(self.dir, sub))
        self.conf = os.path.join(self.dir, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write(CONFIG.format(dir=self.dir, port=self.port))
        with open(os.path.join(self.dir, "users"), "w") as f:
            for user, password in users.items():
                f.write("%s:{PLAIN}%s\n" % (user, password))
        self._seq = 0
        nobody = pwd.getpwnam("nobody")
        self._uid, self._gid = nobody.pw_uid, nobody.pw_gid
        for user in users:
            self._maildir(user)
        # dovecot forks into the background: its output must not be a pipe we wait on
        with open(os.path.join(self.dir, "start.log"), "wb") as out:
            subprocess.run(["dovecot", "-c", self.conf], check=True, stdout=out, stderr=out,
                           timeout=60)
        test.addCleanup(self.stop)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("dovecot did not start: " + self.log())

    def _maildir(self, user):
        home = os.path.join(self.dir, "mail", user)
        md = os.path.join(home, "Maildir")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(md, sub), exist_ok=True)
        for root, dirs, _ in os.walk(home):
            os.chown(root, self._uid, self._gid)
        os.chown(os.path.join(self.dir, "mail"), self._uid, self._gid)
        return md

    def put(self, user, raw, name=None):
        md = os.path.join(self.dir, "mail", user, "Maildir")
        self._seq += 1
        name = name or "%d.M%dP%d.okno-it" % (int(time.time()), self._seq, os.getpid())
        tmp = os.path.join(md, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(raw)
        os.chown(tmp, self._uid, self._gid)
        os.rename(tmp, os.path.join(md, "new", name))

    def doveadm(self, *args):
        return subprocess.run(["doveadm", "-c", self.conf, *args], capture_output=True, text=True,
                              timeout=60)

    def count(self, user, folder):
        r = self.doveadm("-f", "flow", "mailbox", "status", "-u", user, "messages", folder)
        if r.returncode != 0:
            return 0  # the folder is not there (yet)
        return int(r.stdout.split("messages=")[1].split()[0])

    def log(self):
        try:
            with open(os.path.join(self.dir, "dovecot.log")) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self):
        self.doveadm("stop")
