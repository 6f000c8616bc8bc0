"""test_install: okno as a system administrator installs and runs it (issue 17).

- `meson install --destdir` puts the binary in bin/, the templates, static files,
  calendar and password list under share/okno, an example configuration under
  etc/okno; the stripped binary holds no path of the source or build tree, and the
  installed tree, moved elsewhere, serves /feedback with a configuration naming no
  web_dir (the data is found next to the binary, core/paths.h).
- Relative paths in the configuration are relative to its directory, whatever the
  working directory: `[lmtp] listen = unix:lmtp.sock`, the SQLite store, the outbox.
- `[lmtp] socket_mode` and `socket_group` set the Unix socket's mode and group.
- `[server] user`: started as root, `okno serve` becomes the user (real, effective
  and saved uid and gid, one group) and still registers mail; without it, it refuses
  to run as root unless `[server] allow_root = true`.
The root-only parts skip (77) outside root; CI runs as root.
"""
import grp
import os
import pwd
import shutil
import smtplib
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from okno_it import SOURCE_DIR, SUPPORT, HttpClient, Okno, SmtpDialogue, free_port  # noqa: E402

BUILD_DIR = os.environ.get("OKNO_BUILD_DIR", "")


def message(subject):
    return ("From: Olga <olga@mail.example>\r\nTo: %s\r\nSubject: %s\r\n\r\n"
            "Прошу разъяснить порядок получения справки.\r\n" % (SUPPORT, subject)).encode("utf-8")


def status_ids(pid):
    """{"Uid": [real, effective, saved, fs], "Gid": [...], "Groups": [...]} of a process."""
    out = {}
    with open("/proc/%d/status" % pid, encoding="ascii") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("Uid", "Gid", "Groups"):
                out[key] = [int(v) for v in value.split()]
    return out


class InstallTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not BUILD_DIR:
            raise unittest.SkipTest("OKNO_BUILD_DIR is not set (run through meson test)")
        cls.tmp = tempfile.mkdtemp(prefix="okno-install-")
        cls.dest = os.path.join(cls.tmp, "dest")
        r = subprocess.run(["meson", "install", "-C", BUILD_DIR, "--no-rebuild", "--quiet",
                            "--destdir", cls.dest], capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError("meson install failed:\n" + r.stdout + r.stderr)
        r = subprocess.run(["meson", "introspect", BUILD_DIR, "--buildoptions"],
                           capture_output=True, text=True, check=True)
        import json
        opts = {o["name"]: o["value"] for o in json.loads(r.stdout)}
        cls.prefix = cls.dest + opts["prefix"]
        cls.bindir = os.path.join(cls.prefix, opts["bindir"])
        cls.datadir = os.path.join(cls.prefix, opts["datadir"], "okno")
        cls.sysconfdir = os.path.join(cls.dest + opts["prefix"], opts["sysconfdir"]) \
            if not opts["sysconfdir"].startswith("/") else cls.dest + opts["sysconfdir"]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_layout(self):
        for rel in ("calendar/ru.txt", "passwords/common.txt", "web/layout.html",
                    "web/feedback.html", "web/static"):
            self.assertTrue(os.path.exists(os.path.join(self.datadir, rel)), rel)
        self.assertTrue(os.access(os.path.join(self.bindir, "okno"), os.X_OK))
        with open(os.path.join(self.sysconfdir, "okno", "okno.ini"), encoding="utf-8") as f:
            example = f.read()
        self.assertIn("[server]", example)
        self.assertIn("socket_group = postfix", example)
        self.assertNotIn("@STATEDIR@", example)

    def test_binary_holds_no_build_or_source_path(self):
        stripped = os.path.join(self.tmp, "okno.stripped")
        subprocess.run(["strip", "-o", stripped, os.path.join(self.bindir, "okno")], check=True)
        with open(stripped, "rb") as f:
            data = f.read()
        for path in {os.path.realpath(SOURCE_DIR), os.path.realpath(BUILD_DIR)}:
            self.assertNotIn(path.encode(), data)

    def test_moved_installed_tree_serves_the_feedback_form(self):
        moved = os.path.join(self.tmp, "elsewhere")
        shutil.copytree(self.prefix, moved, symlinks=True)
        rel_bin = os.path.relpath(self.bindir, self.prefix)
        conf_dir = os.path.join(self.tmp, "conf")
        os.makedirs(conf_dir)
        port, smtp = free_port(), free_port()
        conf = os.path.join(conf_dir, "okno.ini")
        with open(conf, "w", encoding="utf-8") as f:
            f.write("[server]\nallow_root = true\n[store]\nurl = sqlite:okno.db\n"
                    "[smtp]\nlisten = 127.0.0.1:%d\n[outbound]\ntransport = maildir:outbox\n"
                    "[http]\nlisten = 127.0.0.1:%d\n[auth]\nverify = 0\n" % (smtp, port))
        log = open(os.path.join(self.tmp, "moved.log"), "wb")
        proc = subprocess.Popen([os.path.join(moved, rel_bin, "okno"), "serve", "--config", conf],
                                stdout=log, stderr=subprocess.STDOUT, cwd="/")
        try:
            import time
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and proc.poll() is None:
                with open(log.name, "rb") as lf:
                    if b"event=started" in lf.read():
                        break
                time.sleep(0.05)
            self.assertIsNone(proc.poll(), open(log.name, "rb").read().decode())
            r = HttpClient("http://127.0.0.1:%d" % port).get("/feedback")
            self.assertEqual(r.status, 200)
            self.assertIn("<form", r.text)
            # the store was made next to the configuration, not in the working directory
            self.assertTrue(os.path.exists(os.path.join(conf_dir, "okno.db")))
        finally:
            proc.terminate()
            self.assertEqual(proc.wait(30), 0)
            log.close()


class ConfigPathsTest(unittest.TestCase):
    def test_relative_unix_socket_is_next_to_the_config_with_mode_and_group(self):
        okno = Okno(self)
        # as root, a group okno is not in (the way postfix is); else our own
        gid = grp.getgrnam("nogroup").gr_gid if os.geteuid() == 0 else os.getgid()
        group = grp.getgrgid(gid).gr_name
        okno.write_config({"lmtp": {"listen": "unix:lmtp.sock", "socket_mode": "0660",
                                    "socket_group": group}})
        elsewhere = tempfile.mkdtemp(prefix="okno-cwd-")
        self.addCleanup(shutil.rmtree, elsewhere, True)
        env = dict(os.environ)
        env.pop("OKNO_LOG", None)
        okno._logf = open(os.path.join(okno.dir, "serve.log"), "wb")
        okno.proc = subprocess.Popen([os.environ.get("OKNO_BIN", "okno"), "serve", "--config",
                                      okno.config_path], stdout=okno._logf,
                                     stderr=subprocess.STDOUT, env=env, cwd=elsewhere)
        import time
        deadline = time.monotonic() + 20
        while "event=started" not in okno.log() and time.monotonic() < deadline:
            self.assertIsNone(okno.proc.poll(), okno.log())
            time.sleep(0.05)
        sock = os.path.join(okno.dir, "lmtp.sock")
        st = os.stat(sock)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o660)
        self.assertEqual(st.st_gid, gid)
        self.assertEqual(os.listdir(elsewhere), [])
        with smtplib.LMTP(sock) as s:
            self.assertEqual(s.sendmail("olga@mail.example", [SUPPORT], message("Сокет")), {})
        self.assertEqual([a["subject"] for a in okno.list_json()], ["Сокет"])

    def test_bad_socket_mode_and_group_are_one_line_errors(self):
        okno = Okno(self)
        okno.write_config({"lmtp": {"listen": "unix:lmtp.sock", "socket_mode": "0999"}})
        r = okno.run("serve")
        self.assertEqual(r.returncode, 1)
        self.assertIn("[lmtp] socket_mode = '0999' must be an octal mode", r.stderr)
        okno.write_config({"lmtp": {"listen": "unix:lmtp.sock",
                                    "socket_group": "no-such-group-okno"}})
        r = okno.run("serve")
        self.assertEqual(r.returncode, 1)
        self.assertIn("[lmtp] socket_group: no group 'no-such-group-okno'", r.stderr)


@unittest.skipUnless(os.geteuid() == 0, "needs root (CI runs as root)")
class PrivilegesTest(unittest.TestCase):
    def test_started_as_root_it_becomes_the_configured_user(self):
        nobody = pwd.getpwnam("nobody")
        okno = Okno(self)
        os.chown(okno.dir, nobody.pw_uid, nobody.pw_gid)
        os.chmod(okno.dir, 0o755)
        okno.write_config({"server": {"allow_root": None, "user": "nobody"}}, lmtp="unix")
        okno.start()
        ids = status_ids(okno.proc.pid)
        self.assertEqual(ids["Uid"], [nobody.pw_uid] * 4)
        self.assertEqual(ids["Gid"], [nobody.pw_gid] * 4)
        self.assertEqual(ids["Groups"], [nobody.pw_gid])
        self.assertIn("uid=%d gid=%d" % (nobody.pw_uid, nobody.pw_gid), okno.log())
        with SmtpDialogue(okno.smtp_port) as d:
            d.cmd("EHLO me")
            d.cmd("MAIL FROM:<olga@mail.example>")
            d.cmd("RCPT TO:<%s>" % SUPPORT)
            self.assertEqual(d.cmd("DATA")[0], 354)
            d.send(message("От имени nobody") + b".\r\n")
            self.assertEqual(d.reply()[0], 250)
        self.assertEqual(os.stat(os.path.join(okno.dir, "okno.db")).st_uid, nobody.pw_uid)
        self.assertEqual([a["subject"] for a in okno.list_json()], ["От имени nobody"])

    def test_root_without_a_user_is_refused_unless_allowed(self):
        okno = Okno(self)
        okno.write_config({"server": {"allow_root": None}})
        r = okno.run("serve")
        self.assertEqual(r.returncode, 1)
        self.assertIn("refusing to run as root: set [server] user", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(okno.dir, "okno.db")))  # nothing made
        okno.write_config({"server": {"user": "no-such-user-okno"}})
        r = okno.run("serve")
        self.assertEqual(r.returncode, 1)
        self.assertIn("[server] user: no user 'no-such-user-okno'", r.stderr)
        okno.write_config({"server": {"allow_root": "true"}})
        okno.start()
        self.assertEqual(status_ids(okno.proc.pid)["Uid"], [0, 0, 0, 0])


if __name__ == "__main__":
    unittest.main()
