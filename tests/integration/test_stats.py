#!/usr/bin/python3
"""Statistics and live changes of a running guest, with Debian's real virsh
9.0 and python3-libvirt: dommemstat (+ --period), setmem --live, setvcpus
--live, vcpuinfo, cpu-stats, domblkstat, domblkinfo, domifstat, domstats,
domifaddr, send-key, screenshot, qemu-monitor-command (QMP and --hmp), and
the small queries virsh dominfo/memtune/domjobinfo use.

One tiny guest (tests/guest, TCG) boots once for the whole file: 2 vcpus
maximum with 1 online, a virtio qcow2 disk, a user-mode NIC, a VGA adapter
(for screendump) and a virtio balloon.

Run: /usr/bin/python3 tests/integration/test_stats.py --daemon BUILD/daemons/qemu/virtqemud
"""

import os
import re
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from harness import Daemon, log, main, wait_for  # noqa: E402
import test_lifecycle as lc  # noqa: E402  (guest helpers)

GUEST = "st1"
OTHER = "st2"          # defined, never started
MAC = "52:54:00:5a:00:01"


def stats_xml(name, disk):
    xml = lc.guest_xml(name)
    xml, n = re.subn(r"<vcpu placement='static'>1</vcpu>",
                     "<vcpu placement='static' current='1'>2</vcpu>", xml)
    assert n == 1, xml
    xml = re.sub(r"<video>\s*<model type='none'/>\s*</video>",
                 "<video><model type='vga'/></video>", xml)
    if "<model type='vga'/>" not in xml:
        xml = xml.replace("</devices>", "  <video><model type='vga'/></video>\n  </devices>")
    if "<memballoon" not in xml:
        xml = xml.replace("</devices>", "  <memballoon model='virtio'/>\n  </devices>")
    devs = ("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
            "<source file='%s'/><target dev='vda' bus='virtio'/></disk>\n"
            "    <interface type='user'><mac address='%s'/><model type='virtio'/>"
            "</interface>\n    " % (disk, MAC))
    xml = xml.replace("<serial ", devs + "<serial ", 1)
    return xml


def parse_kv(text):
    """'key value' / 'key=value' lines -> dict of str."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if "=" in line:
            k, v = line.split("=", 1)
        elif " " in line:
            k, v = line.rsplit(" ", 1)
        else:
            continue
        out[k.strip()] = v.strip()
    return out


class Stats(unittest.TestCase):
    d = None

    @classmethod
    def setUpClass(cls):
        if harness.is_reference():
            raise unittest.SkipTest("modvirt-only: screenshot format and agent-less "
                                    "errors differ with libvirtd's cgroups/PNG")
        lc.build_guest()
        cls.d = Daemon()
        cls.d.start()
        try:
            cls.disk = os.path.join(cls.d.root, "st1.qcow2")
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", cls.disk, "64M"],
                           check=True)
            for name in (GUEST, OTHER):
                path = os.path.join(cls.d.root, name + ".xml")
                with open(path, "w") as f:
                    f.write(stats_xml(name, cls.disk))
                rc, out, err = cls.d.virsh("define", path)
                assert rc == 0, err
            rc, out, err = cls.d.virsh("start", GUEST)
            assert rc == 0, err
            # booted far enough that the kernel ran and read the disk
            ok = wait_for(lambda: cls.read_bytes() > 0, lc.MARKER_TIMEOUT, 0.5)
            assert ok, "the guest never read its disk\n" + cls.d.log_tail()
        except Exception:
            cls.d.virsh("destroy", GUEST)
            cls.d.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.d is None:
            return
        cls.d.virsh("destroy", GUEST)
        alive = cls.d.alive()
        tail = cls.d.log_tail()
        cls.d.cleanup()
        if not alive:
            raise AssertionError("daemon died during the tests\n" + tail)

    @classmethod
    def read_bytes(cls):
        rc, out, err = cls.d.virsh("domblkstat", GUEST, "vda")
        m = re.search(r"vda rd_bytes (\d+)", out)
        return int(m.group(1)) if rc == 0 and m else 0

    @classmethod
    def cpu_time(cls):
        rc, out, err = cls.d.virsh("cpu-stats", GUEST, "--total")
        m = re.search(r"cpu_time\s+([0-9.]+) seconds", out)
        return float(m.group(1)) if rc == 0 and m else 0.0

    def virsh_ok(self, *a):
        rc, out, err = self.d.virsh(*a)
        self.assertEqual(rc, 0, "virsh %s: rc=%d\n%s%s" % (" ".join(a), rc, out, err))
        return out

    def virsh_err(self, *a):
        rc, out, err = self.d.virsh(*a)
        self.assertNotEqual(rc, 0, "virsh %s unexpectedly worked:\n%s" % (" ".join(a), out))
        return err

    # ---- memory --------------------------------------------------------------

    def test_dommemstat(self):
        st = parse_kv(self.virsh_ok("dommemstat", GUEST))
        for key in ("actual", "rss"):
            self.assertIn(key, st)
            self.assertTrue(st[key].isdigit(), st)
        self.assertGreater(int(st["rss"]), 0)

    def test_memstat_period(self):
        self.assertEqual(self.virsh_ok("dommemstat", GUEST, "--period", "2"), "\n")
        xml = self.virsh_ok("dumpxml", GUEST)
        self.assertRegex(xml, r"<memballoon model='virtio'>\s*<stats period='2'/>")
        err = self.virsh_err("dommemstat", OTHER, "--period", "2", "--live")
        self.assertIn("domain is not running", err)

    def test_setmem_live(self):
        self.virsh_ok("setmem", GUEST, "120000", "--live")
        self.assertTrue(wait_for(lambda: parse_kv(self.virsh_ok("dommemstat", GUEST))
                                 .get("actual") == "120000", 20, 0.5),
                        self.virsh_ok("dommemstat", GUEST))
        self.assertIn("Used memory:    120000 KiB", self.virsh_ok("dominfo", GUEST))
        err = self.virsh_err("setmem", GUEST, "999999999", "--live")
        self.assertIn("cannot set memory higher than max memory", err)
        self.virsh_ok("setmem", GUEST, "131072", "--live")

    # ---- cpu ---------------------------------------------------------------------

    def test_vcpuinfo(self):
        out = self.virsh_ok("vcpuinfo", GUEST)
        self.assertRegex(out, r"VCPU:\s+0\nCPU:\s+\d+\nState:\s+running\nCPU time:\s+[0-9.]+s\n"
                              r"CPU Affinity:\s+[y-]+\n")
        out = self.virsh_ok("vcpuinfo", OTHER)
        self.assertIn("CPU:            N/A", out)

    def test_cpu_stats_grow(self):
        out = self.virsh_ok("cpu-stats", GUEST)
        self.assertRegex(out, r"CPU0:\n\tcpu_time\s+[0-9.]+ seconds\n\tvcpu_time\s+[0-9.]+ seconds")
        self.assertRegex(out, r"Total:\n\tcpu_time\s+[0-9.]+ seconds\n\tuser_time\s+[0-9.]+ "
                              r"seconds\n\tsystem_time\s+[0-9.]+ seconds")
        t0 = self.cpu_time()
        # the idle guest still ticks; make it busy to be sure
        self.virsh_ok("send-key", GUEST, "KEY_A")
        self.assertTrue(wait_for(lambda: self.cpu_time() > t0, 30, 0.5), "cpu time stuck")
        err = self.virsh_err("cpu-stats", OTHER)
        self.assertIn("domain is not running", err)

    def test_setvcpus_live(self):
        self.virsh_ok("setvcpus", GUEST, "2", "--live")
        out = self.virsh_ok("vcpucount", GUEST, "--live", "--active")
        self.assertEqual(out.strip(), "2")
        self.assertTrue(wait_for(lambda: "VCPU:           1" in self.virsh_ok("vcpuinfo", GUEST),
                                 10, 0.5))
        err = self.virsh_err("setvcpus", GUEST, "3", "--live")
        self.assertIn("greater than max allowable vcpus", err)
        rc, out, err = self.d.virsh("setvcpus", GUEST, "1", "--live")
        if rc != 0:
            # the guest must cooperate to release a CPU
            self.assertIn("vcpu unplug request timed out", err)
        else:
            out = self.virsh_ok("vcpucount", GUEST, "--live", "--active")
            self.assertEqual(out.strip(), "1")
        # going below the boot CPUs: libvirt's error (they are not hotpluggable)
        if rc == 0:
            rc, out, err = self.d.virsh("setvcpus", GUEST, "0", "--live")
            self.assertNotEqual(rc, 0)

    # ---- block and net --------------------------------------------------------------

    def test_domblkstat(self):
        st = parse_kv(self.virsh_ok("domblkstat", GUEST, "vda"))
        for key in ("vda rd_req", "vda rd_bytes", "vda wr_req", "vda wr_bytes",
                    "vda flush_operations", "vda rd_total_times", "vda wr_total_times",
                    "vda flush_total_times"):
            self.assertIn(key, st)
            self.assertRegex(st[key], r"^\d+$")
        self.assertGreater(int(st["vda rd_bytes"]), 0)     # the kernel read the partition table
        total = parse_kv(self.virsh_ok("domblkstat", GUEST))
        self.assertEqual(total["rd_req"], st["vda rd_req"])
        self.assertIn(self.disk + " rd_req",
                      parse_kv(self.virsh_ok("domblkstat", GUEST, self.disk)))
        err = self.virsh_err("domblkstat", GUEST, "vdz")
        self.assertIn("invalid argument: invalid path: vdz", err)

    def test_domblkinfo(self):
        out = self.virsh_ok("domblkinfo", GUEST, "vda")
        self.assertRegex(out, r"^Capacity:\s+67108864\nAllocation:\s+\d+\nPhysical:\s+\d+\n")
        out = self.virsh_ok("domblkinfo", OTHER, "vda")
        self.assertIn("Capacity:       67108864", out)
        out = self.virsh_ok("domblkinfo", GUEST, "--all")
        self.assertRegex(out, r"vda\s+67108864\s+\d+\s+\d+")
        err = self.virsh_err("domblkinfo", GUEST, "vdz")
        self.assertIn("invalid path vdz not assigned to domain", err)

    def test_domifstat(self):
        err = self.virsh_err("domifstat", GUEST, MAC)
        self.assertIn("internal error: Interface name not provided", err)
        err = self.virsh_err("domifstat", GUEST, "nosuch0")
        self.assertIn("'nosuch0' is not a known interface", err)

    def test_domifaddr(self):
        out = self.virsh_ok("domifaddr", GUEST, "--source", "arp")
        self.assertIn("MAC address", out)
        out = self.virsh_ok("domifaddr", GUEST)
        self.assertIn("MAC address", out)
        err = self.virsh_err("domifaddr", GUEST, "--source", "agent")
        self.assertIn("argument unsupported: QEMU guest agent is not configured", err)
        err = self.virsh_err("domhostname", GUEST)
        self.assertIn("QEMU guest agent is not configured", err)

    # ---- domstats ----------------------------------------------------------------------

    def test_domstats(self):
        st = parse_kv(self.virsh_ok("domstats", GUEST))
        for key in ("state.state", "state.reason", "cpu.time", "cpu.user", "cpu.system",
                    "balloon.current", "balloon.maximum", "balloon.rss", "vcpu.current",
                    "vcpu.maximum", "vcpu.0.state", "vcpu.0.time", "net.count",
                    "block.count", "block.0.name", "block.0.path", "block.0.rd.reqs",
                    "block.0.rd.bytes", "block.0.wr.reqs", "block.0.fl.reqs",
                    "block.0.allocation", "block.0.capacity"):
            self.assertIn(key, st, st)
        self.assertEqual(st["state.state"], "1")
        self.assertEqual(st["vcpu.maximum"], "2")
        self.assertEqual(st["block.0.name"], "vda")
        self.assertEqual(st["block.0.capacity"], "67108864")
        self.assertEqual(st["net.count"], "1")

    def test_domstats_groups_and_filters(self):
        out = self.virsh_ok("domstats", "--state", "--vcpu")
        self.assertIn("Domain: '%s'" % GUEST, out)
        self.assertIn("Domain: '%s'" % OTHER, out)
        self.assertNotIn("balloon.", out)
        out = self.virsh_ok("domstats", "--list-active", "--balloon")
        self.assertIn("Domain: '%s'" % GUEST, out)
        self.assertNotIn(OTHER, out)
        self.assertIn("balloon.current=", out)
        st = parse_kv(self.virsh_ok("domstats", OTHER))
        self.assertEqual(st["state.state"], "5")
        self.assertNotIn("cpu.time", st)
        self.assertNotIn("vcpu.0.state", st)
        self.assertEqual(st["block.0.capacity"], "67108864")

    def test_python_stats(self):
        conn = self.d.connect()
        dom = conn.lookupByName(GUEST)
        total = dom.getCPUStats(True)
        self.assertEqual(sorted(total[0]), ["cpu_time", "system_time", "user_time"])
        percpu = dom.getCPUStats(False)
        self.assertGreaterEqual(len(percpu), 1)
        self.assertIn("vcpu_time", percpu[0])
        info, maps = dom.vcpus()
        self.assertEqual(info[0][0], 0)
        self.assertGreater(info[0][2], 0)
        self.assertEqual(dom.blockStats("vda")[4], -1)
        mem = dom.memoryStats()
        self.assertIn("rss", mem)
        recs = conn.getAllDomainStats(0)
        self.assertEqual(sorted(d.name() for d, _ in recs), [GUEST, OTHER])
        recs = conn.domainListGetStats([dom], 8)     # VIR_DOMAIN_STATS_VCPU
        self.assertIn("vcpu.0.time", recs[0][1])
        conn.close()

    # ---- input, display, monitor --------------------------------------------------

    def test_send_key(self):
        self.virsh_ok("send-key", GUEST, "KEY_A")
        self.virsh_ok("send-key", GUEST, "--codeset", "usb", "4")
        self.virsh_ok("send-key", GUEST, "--codeset", "qnum", "0x1e")
        self.virsh_ok("send-key", GUEST, "--holdtime", "50", "KEY_LEFTSHIFT", "KEY_B")
        err = self.virsh_err("send-key", GUEST, "--codeset", "win32", "0xff")
        self.assertIn("cannot translate keycode 255 of win32 codeset to qnum keycode", err)

    def test_screenshot(self):
        path = os.path.join(self.d.root, "shot.png")
        out = self.virsh_ok("screenshot", GUEST, path)
        self.assertIn("image/png", out)
        with open(path, "rb") as f:
            head = f.read(32)
        # a PNG, as libvirt 9.0 produces with QEMU >= 7.1
        self.assertTrue(head.startswith(b"\x89PNG\r\n\x1a\n"), head)
        err = self.virsh_err("screenshot", OTHER, path)
        self.assertIn("domain is not running", err)

    def test_qemu_monitor_command(self):
        out = self.virsh_ok("qemu-monitor-command", GUEST, '{"execute":"query-status"}')
        self.assertIn('"status":"running"', out.replace(" ", ""))
        out = self.virsh_ok("qemu-monitor-command", GUEST, "--hmp", "info status")
        self.assertEqual(out.strip(), "VM status: running")
        out = self.virsh_ok("qemu-monitor-command", GUEST, "--pretty", "query-name")
        self.assertIn('"name": "%s"' % GUEST, out)
        out = self.virsh_ok("qemu-monitor-command", GUEST, '{"execute":"no-such-cmd"}')
        self.assertIn("CommandNotFound", out)
        err = self.virsh_err("qemu-monitor-command", OTHER, '{"execute":"query-status"}')
        self.assertIn("domain is not running", err)

    # ---- the small queries -----------------------------------------------------------

    def test_misc_queries(self):
        self.assertIn("Job type:         None", self.virsh_ok("domjobinfo", GUEST))
        self.assertEqual(self.virsh_ok("domcontrol", GUEST).strip(), "ok")
        out = self.virsh_ok("memtune", GUEST)
        self.assertIn("hard_limit     : unlimited", out)
        self.assertIn("numa_mode      : strict", self.virsh_ok("numatune", GUEST))
        self.assertIn("weight", self.virsh_ok("blkiotune", GUEST))
        self.assertIn("No errors found", self.virsh_ok("domblkerror", GUEST))
        self.assertRegex(self.virsh_ok("emulatorpin", GUEST), r"\*: [0-9,-]+")
        self.assertIn("CPU time:", self.virsh_ok("dominfo", GUEST))


if __name__ == "__main__":
    sys.exit(main())
