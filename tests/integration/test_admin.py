#!/usr/bin/python3
"""The admin socket (NAME-admin-sock) driven by Debian's real virt-admin 9.0:
version, server list, worker pool info + set, client limits, client list /
info / disconnect of a connected python3-libvirt client, log filters and
outputs, TLS update refusal, and libvirt's error wording for each.

The expected texts were checked against Debian's libvirtd 9.0
(--reference-libvirtd), whose servers are "libvirtd" and "admin" where
virtqemud's are "virtqemud" and "admin".

Run: /usr/bin/python3 tests/integration/test_admin.py --daemon BUILD/daemons/qemu/virtqemud
"""

import os
import re
import subprocess
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from harness import DaemonTestCase, log, main, wait_for  # noqa: E402

VIRT_ADMIN = "/usr/bin/virt-admin"

TP_KEYS = ["minWorkers", "maxWorkers", "nWorkers", "freeWorkers",
           "prioWorkers", "jobQueueDepth"]
CL_KEYS = ["nclients_max", "nclients", "nclients_unauth_max", "nclients_unauth"]


def parse_kv(out):
    """'name   : value' lines -> ordered list of (name, value)."""
    rows = []
    for line in out.splitlines():
        if not line.strip():
            continue
        k, sep, v = line.partition(":")
        if not sep:
            raise AssertionError("not a 'key : value' line: %r" % line)
        rows.append((k.strip(), v.strip()))
    return rows


def parse_table(out):
    """virt-admin's vshTable output -> list of rows (header and rule dropped)."""
    lines = [ln for ln in out.splitlines() if ln.strip()]
    assert len(lines) >= 2 and set(lines[1]) == {"-"}, out
    return [ln.split(None, 2) for ln in lines[2:]]


class Admin(DaemonTestCase):

    # -- helpers -------------------------------------------------------------
    @property
    def server(self):
        return "libvirtd" if self.d.reference else "virtqemud"

    @property
    def admin_uri(self):
        return "%s:///system?socket=%s" % (self.server, self.d.sock_admin)

    def va(self, *args, timeout=60):
        cmd = [VIRT_ADMIN, "-c", self.admin_uri] + [str(a) for a in args]
        env = dict(os.environ)
        env["LC_ALL"] = "C"
        env.pop("LIBVIRT_ADMIN_DEFAULT_URI", None)
        p = subprocess.run(cmd, capture_output=True, text=True, env=env,
                           timeout=timeout)
        if harness.CONFIG["verbose"]:
            log("$ %s\nrc=%d\n--stdout--\n%s--stderr--\n%s"
                % (" ".join(cmd), p.returncode, p.stdout, p.stderr))
        return p.returncode, p.stdout, p.stderr

    def va_ok(self, *args):
        rc, out, err = self.va(*args)
        self.assertEqual(rc, 0, "virt-admin %s failed: rc=%d\nstdout=%r\nstderr=%r"
                         % (" ".join(map(str, args)), rc, out, err))
        return out

    def va_err(self, *args):
        rc, out, err = self.va(*args)
        self.assertNotEqual(rc, 0, "virt-admin %s unexpectedly succeeded:\n%s"
                            % (" ".join(map(str, args)), out))
        return err

    def threadpool(self, srv=None):
        rows = parse_kv(self.va_ok("srv-threadpool-info", srv or self.server))
        self.assertEqual([k for k, _ in rows], TP_KEYS)
        return {k: int(v) for k, v in rows}

    def client_limits(self, srv=None):
        rows = parse_kv(self.va_ok("srv-clients-info", srv or self.server))
        self.assertEqual([k for k, _ in rows], CL_KEYS)
        return {k: int(v) for k, v in rows}

    def client_ids(self, srv=None):
        rows = parse_table(self.va_ok("srv-clients-list", srv or self.server))
        return {int(r[0]): r for r in rows}

    def open_client(self, readonly=False):
        """A python3-libvirt connection and the admin id the daemon gave it."""
        before = set(self.client_ids())
        conn = self.d.connect(readonly_flag=readonly)
        conn.getLibVersion()
        new = set(self.client_ids()) - before
        self.assertEqual(len(new), 1, "expected one new client, got %r" % new)
        return conn, new.pop()

    # -- version, servers ----------------------------------------------------
    def test_version(self):
        out = self.va_ok("version")
        self.assertIn("Compiled against library: libvirt 9.0.0\n", out)
        self.assertRegex(out, r"(?m)^Running against daemon: \d+\.\d+\.\d+$")

    def test_uri(self):
        self.assertEqual(self.va_ok("uri"), self.admin_uri + "\n\n")

    def test_srv_list(self):
        out = self.va_ok("srv-list")
        width = max(len(self.server), len("Name"))
        expect = (" Id   Name\n" + "-" * (width + 8) + "\n"
                  " 0    %s\n 1    admin\n\n" % self.server)
        self.assertEqual(out, expect)

    def test_unknown_server(self):
        msg = "error: Server not found: No server named 'nosuch'\n"
        for cmd in (["srv-threadpool-info", "nosuch"],
                    ["srv-threadpool-set", "nosuch", "--max-workers", "3"],
                    ["srv-clients-list", "nosuch"],
                    ["srv-clients-info", "nosuch"],
                    ["srv-clients-set", "nosuch", "--max-clients", "3"],
                    ["client-info", "nosuch", "1"],
                    ["client-disconnect", "nosuch", "1"],
                    ["srv-update-tls", "nosuch"]):
            with self.subTest(cmd=cmd):
                self.assertEqual(self.va_err(*cmd), msg)

    # -- worker pool ---------------------------------------------------------
    def test_threadpool_info(self):
        tp = self.threadpool()
        self.assertEqual((tp["minWorkers"], tp["maxWorkers"], tp["prioWorkers"]),
                         (5, 20, 5))
        self.assertLessEqual(tp["freeWorkers"], tp["nWorkers"])
        self.assertLessEqual(tp["nWorkers"], tp["maxWorkers"])
        self.assertEqual(tp["jobQueueDepth"], 0)
        # the admin server answers too; this very call runs on its pool
        adm = self.threadpool("admin")
        self.assertGreaterEqual(adm["nWorkers"], 1)
        self.assertLessEqual(adm["freeWorkers"], adm["nWorkers"])

    def test_threadpool_set(self):
        orig = self.threadpool()
        try:
            self.assertEqual(self.va_ok("srv-threadpool-set", self.server,
                                        "--min-workers", 2, "--max-workers", 7,
                                        "--priority-workers", 3), "\n")
            tp = self.threadpool()
            self.assertEqual((tp["minWorkers"], tp["maxWorkers"], tp["prioWorkers"]),
                             (2, 7, 3))
            # only what was given changes
            self.va_ok("srv-threadpool-set", self.server, "--max-workers", 9)
            tp = self.threadpool()
            self.assertEqual((tp["minWorkers"], tp["maxWorkers"], tp["prioWorkers"]),
                             (2, 9, 3))

            bad = ("error: Unable to change server workerpool parameters\n"
                   "error: invalid argument: minWorkers cannot be larger than maxWorkers\n")
            self.assertEqual(self.va_err("srv-threadpool-set", self.server,
                                         "--min-workers", 10), bad)
            self.assertEqual(self.va_err("srv-threadpool-set", self.server,
                                         "--max-workers", 1), bad)
            self.assertEqual(self.va_err("srv-threadpool-set", self.server,
                                         "--max-workers", 0), bad)
            err = self.va_err("srv-threadpool-set", self.server,
                              "--min-workers", 0, "--max-workers", 0)
            self.assertEqual(err, "error: Unable to change server workerpool parameters\n"
                             "error: invalid argument: maxWorkers must not be switched "
                             "from zero to non-zero and vice versa\n")
            tp = self.threadpool()
            self.assertEqual((tp["minWorkers"], tp["maxWorkers"], tp["prioWorkers"]),
                             (2, 9, 3), "a refused change must change nothing")
            self.assertEqual(self.va_err("srv-threadpool-set", self.server),
                             "error: At least one of options --min-workers, "
                             "--max-workers, --priority-workers is mandatory \n")
        finally:
            self.va_ok("srv-threadpool-set", self.server,
                       "--min-workers", 0, "--max-workers", orig["maxWorkers"],
                       "--priority-workers", orig["prioWorkers"])
            self.va_ok("srv-threadpool-set", self.server,
                       "--min-workers", orig["minWorkers"])
        self.assertEqual(self.threadpool()["maxWorkers"], orig["maxWorkers"])

    def test_threadpool_applied(self):
        """One worker, no priority workers: everything still gets served,
        in turn, from several clients at once."""
        orig = self.threadpool()
        try:
            self.va_ok("srv-threadpool-set", self.server, "--min-workers", 0,
                       "--max-workers", 1, "--priority-workers", 0)
            tp = self.threadpool()
            self.assertEqual((tp["minWorkers"], tp["maxWorkers"], tp["prioWorkers"]),
                             (0, 1, 0))
            errors = []

            def worker():
                try:
                    c = self.d.connect()
                    for _ in range(20):
                        c.listAllDomains()
                        c.getHostname()
                    c.close()
                except Exception as e:  # noqa: BLE001
                    errors.append(e)

            threads = [threading.Thread(target=worker) for _ in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            self.assertFalse(any(t.is_alive() for t in threads), "calls hung")
            self.assertEqual(errors, [])
            self.assertLessEqual(self.threadpool()["nWorkers"], 1)
            # priority workers come back
            self.va_ok("srv-threadpool-set", self.server, "--priority-workers", 2)
            self.assertEqual(self.threadpool()["prioWorkers"], 2)
            self.virsh_ok("list", "--all")
        finally:
            self.va_ok("srv-threadpool-set", self.server,
                       "--max-workers", orig["maxWorkers"],
                       "--priority-workers", orig["prioWorkers"])
            self.va_ok("srv-threadpool-set", self.server,
                       "--min-workers", orig["minWorkers"])

    # -- clients -------------------------------------------------------------
    def test_clients_list_and_info(self):
        conn, cid = self.open_client()
        ro, roid = self.open_client(readonly=True)
        try:
            rows = self.client_ids()
            self.assertEqual(rows[cid][1], "unix")
            since = time.mktime(time.strptime(rows[cid][2][:19], "%Y-%m-%d %H:%M:%S"))
            since -= time.timezone if not time.daylight else time.altzone
            self.assertRegex(rows[cid][2], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d{4}$")
            self.assertLess(abs(since - time.time()), 300, rows[cid])

            info = parse_kv(self.va_ok("client-info", self.server, cid))
            info_d = dict(info)
            self.assertEqual([k for k, _ in info][:4],
                             ["id", "connection_time", "transport", "readonly"])
            self.assertEqual(info_d["id"], str(cid))
            self.assertEqual(info_d["connection_time"], rows[cid][2])
            self.assertEqual(info_d["transport"], "unix")
            self.assertEqual(info_d["readonly"], "no")
            self.assertEqual(info_d["unix_user_id"], str(os.getuid()))
            self.assertEqual(info_d["unix_group_id"], str(os.getgid()))
            self.assertEqual(info_d["unix_process_id"], str(os.getpid()))
            self.assertEqual(info_d["unix_user_name"], "root" if os.getuid() == 0
                             else info_d["unix_user_name"])
            self.assertEqual([k for k, _ in info],
                             ["id", "connection_time", "transport", "readonly",
                              "unix_user_id", "unix_user_name", "unix_group_id",
                              "unix_group_name", "unix_process_id"])

            ro_info = dict(parse_kv(self.va_ok("client-info", self.server, roid)))
            self.assertEqual(ro_info["readonly"], "yes")

            lim = self.client_limits()
            self.assertEqual(lim["nclients"], len(self.client_ids()))
            self.assertEqual(lim["nclients_max"], 5000)
            self.assertEqual(lim["nclients_unauth_max"], 20)
            self.assertEqual(lim["nclients_unauth"], 0)
        finally:
            conn.close()
            ro.close()
        self.assertTrue(wait_for(lambda: cid not in self.client_ids(), 5),
                        "closed client still listed")

    def test_client_not_found(self):
        self.assertEqual(self.va_err("client-info", self.server, 987654),
                         "error: Client not found: No client with matching ID '987654'\n")
        self.assertEqual(self.va_err("client-disconnect", self.server, 987654),
                         "error: Client not found: No client with matching ID '987654'\n")

    def test_client_disconnect(self):
        import libvirt
        conn, cid = self.open_client()
        other, oid = self.open_client()
        try:
            self.assertEqual(self.va_ok("client-disconnect", self.server, cid),
                             "Client '%d' disconnected\n" % cid)
            self.assertTrue(wait_for(lambda: cid not in self.client_ids(), 5),
                            "disconnected client still listed")
            with self.assertRaises(libvirt.libvirtError):
                conn.listAllDomains()
            # the others are untouched
            self.assertIn(oid, self.client_ids())
            other.listAllDomains()
        finally:
            for c in (conn, other):
                try:
                    c.close()
                except Exception:  # noqa: BLE001
                    pass

    def test_client_limits_set(self):
        orig = self.client_limits()
        try:
            err = self.va_err("srv-clients-set", self.server, "--max-clients", 10)
            self.assertEqual(
                err, "error: Unable to change server's client-related configuration limits\n"
                "error: invalid argument: The overall maximum number of clients waiting "
                "for authentication must not be less than the overall maximum number "
                "of clients\n")
            self.assertEqual(self.client_limits(), orig)
            self.va_ok("srv-clients-set", self.server, "--max-unauth-clients", 3)
            self.assertEqual(self.client_limits()["nclients_unauth_max"], 3)

            # applied: with the limit at the current count, a new client is refused
            conn, _ = self.open_client()
            n = self.client_limits()["nclients"]
            self.va_ok("srv-clients-set", self.server, "--max-unauth-clients", 0,
                       "--max-clients", n)
            self.assertEqual(self.client_limits()["nclients_max"], n)
            # libvirtd stops accepting (the connection waits in the backlog);
            # modvirt accepts and drops it: either way the client gets nowhere
            try:
                rc, out, err = self.d.virsh("uri", timeout=5)
                self.assertNotEqual(rc, 0, "a client beyond max_clients got in")
            except subprocess.TimeoutExpired:
                pass
            conn.listAllDomains()      # the ones inside keep working
            self.va_ok("srv-clients-set", self.server, "--max-clients", n + 5)
            self.virsh_ok("list", "--all")
            conn.close()
        finally:
            self.va_ok("srv-clients-set", self.server,
                       "--max-clients", orig["nclients_max"])
            self.va_ok("srv-clients-set", self.server,
                       "--max-unauth-clients", orig["nclients_unauth_max"])
        self.assertEqual(self.client_limits()["nclients_max"], orig["nclients_max"])

    def test_admin_server_clients(self):
        rows = parse_table(self.va_ok("srv-clients-list", "admin"))
        self.assertEqual(len(rows), 1, rows)       # this virt-admin itself
        self.assertEqual(rows[0][1], "unix")
        lim = self.client_limits("admin")
        self.assertEqual(lim["nclients"], 1)
        self.assertEqual(lim["nclients_unauth_max"], 0)

    # -- TLS -----------------------------------------------------------------
    def test_update_tls(self):
        self.assertEqual(self.va_err("srv-update-tls", self.server),
                         "error: Unable to update server's tls related files.\n"
                         "error: internal error: no tls service found, unable to "
                         "update tls files\n")

    # -- logging -------------------------------------------------------------
    def test_log_filters(self):
        try:
            self.assertEqual(self.va_ok("daemon-log-filters", "1:rpc 3:util"), "\n")
            self.assertEqual(self.va_ok("daemon-log-filters"),
                             " Logging filters: 1:*rpc* 3:*util* \n\n")
            self.va_ok("daemon-log-filters", "--filters", "4:qemu")
            self.assertEqual(self.va_ok("daemon-log-filters"),
                             " Logging filters: 4:*qemu* \n\n")
            bad = "error: Unable to change daemon logging settings\nerror: invalid argument: "
            self.assertEqual(self.va_err("daemon-log-filters", "--filters", "bogus"),
                             bad + "Malformed format for filter 'bogus'\n")
            self.assertEqual(self.va_err("daemon-log-filters", "--filters", "5:rpc"),
                             bad + "Invalid priority '5' for filter '5:rpc'\n")
            self.assertEqual(self.va_err("daemon-log-filters", "--filters", "1:"),
                             bad + "Invalid match string ''\n")
            self.assertEqual(self.va_ok("daemon-log-filters"),
                             " Logging filters: 4:*qemu* \n\n",
                             "a refused setting must keep the previous one")
        finally:
            self.va_ok("daemon-log-filters", "")
        self.assertEqual(self.va_ok("daemon-log-filters"), " Logging filters: \n\n")

    def test_log_outputs(self):
        path = os.path.join(self.d.root, "admin-set.log")
        before = self.va_ok("daemon-log-outputs")
        self.assertRegex(before, r"^ Logging outputs: [1-4]:stderr\n\n$")
        try:
            self.va_ok("daemon-log-outputs", "1:file:%s 3:stderr" % path)
            self.assertEqual(self.va_ok("daemon-log-outputs"),
                             " Logging outputs: 1:file:%s 3:stderr\n\n" % path)
            self.assertEqual(
                self.va_err("daemon-log-outputs", "--outputs", "1:bogus"),
                "error: Unable to change daemon logging settings\n"
                "error: invalid argument: Invalid log destination 'bogus' for "
                "log output '1:bogus'\n")
            self.assertEqual(self.va_ok("daemon-log-outputs"),
                             " Logging outputs: 1:file:%s 3:stderr\n\n" % path)
        finally:
            self.va_ok("daemon-log-outputs", "--outputs", "")
        self.assertEqual(self.va_ok("daemon-log-outputs"), before)

    def test_log_applied(self):
        """Filters + a debug file output set at run time take effect at once."""
        path = os.path.join(self.d.root, "admin-debug.log")
        try:
            self.va_ok("daemon-log-filters", "1:rpc 4:*")
            self.va_ok("daemon-log-outputs", "1:file:%s" % path)
            self.virsh_ok("list", "--all")
            self.assertTrue(wait_for(lambda: os.path.exists(path)
                                     and os.path.getsize(path) > 0, 5),
                            "nothing logged to %s" % path)
            if not self.d.reference:
                text = wait_for(lambda: "accepted" in open(path).read()
                                and open(path).read(), 5)
                self.assertTrue(text, "no rpc debug line in %s:\n%s"
                                % (path, open(path).read()))
                self.assertRegex(text, r"(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}"
                                 r"[+-]\d{4}: \d+: debug : ")
        finally:
            self.va_ok("daemon-log-outputs", "--outputs", "")
            self.va_ok("daemon-log-filters", "")
        size = os.path.getsize(path)
        self.virsh_ok("list", "--all")
        time.sleep(0.3)
        self.assertEqual(os.path.getsize(path), size,
                         "the file output is still written after it was removed")



class AdminTimeout(unittest.TestCase):
    """daemon-timeout ends the daemon, so it gets a daemon of its own."""

    def test_daemon_timeout(self):
        if harness.CONFIG["reference"]:
            self.skipTest("libvirtd's idle exit is not what this checks")
        d = harness.Daemon()
        try:
            d.start()
            uri = "virtqemud:///system?socket=%s" % d.sock_admin
            p = subprocess.run([VIRT_ADMIN, "-c", uri, "daemon-timeout", "--timeout", "2"],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertTrue(wait_for(lambda: not d.alive(), 15),
                            "daemon still running 15 s after daemon-timeout 2")
        finally:
            d.cleanup()

if __name__ == "__main__":
    sys.exit(main())
