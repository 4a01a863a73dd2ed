#!/usr/bin/python3
"""Devices of running guests (issue 3): disk hotplug/unplug (attach-disk,
detach-disk, attach-device, detach-device, detach-device-alias), the
device-removed event, --config / --persistent semantics, cdrom media change
(change-media, update-device), interfaces (user; bridge and ethernet taps
inside a private network namespace), virDomainOpenGraphicsFD /
virDomainOpenGraphics on VNC, and `virsh domxml-to-native qemu-argv`.

Run:  /usr/bin/python3 tests/integration/test_hotplug.py --daemon BUILD/daemons/qemu/virtqemud

Uses the tiny test guest of tests/guest (booted under TCG; hot-unplug needs
the guest's ACPI hotplug support, so the shared guest is booted up to its
marker first).  Anything with bridges and taps runs in a network namespace
created by the test (`ip netns add`), with a second daemon started inside
it; nothing touches the host's network.
"""

import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402
from harness import Daemon, log, main, wait_for, write_file  # noqa: E402
from test_lifecycle import (GuestTestCase, Console, MARKER, PROMPT,  # noqa: E402
                            guest_xml, kill_guests_under)

QEMU_IMG = shutil.which("qemu-img") or "/usr/bin/qemu-img"
EVENT_ID_DEVICE_REMOVED = 15


def hp_guest_xml(name, extra_devices=""):
    """The test guest plus an empty IDE cdrom (hdc) and VNC on loopback."""
    xml = guest_xml(name)
    devs = ("<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/>"
            "<readonly/></disk>\n"
            "    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>\n"
            + extra_devices + "    <video>")
    assert "<video>" in xml
    return xml.replace("<video>", devs, 1)


def blklist(tc, name, *extra):
    """{target: source} from virsh domblklist."""
    out = tc.virsh_ok("domblklist", name, *extra)
    res = {}
    for line in out.splitlines()[2:]:
        parts = line.split()
        if len(parts) == 2:
            res[parts[0]] = parts[1]
    return res


def iflist_macs(tc, name, *extra):
    out = tc.virsh_ok("domiflist", name, *extra)
    return [line.split()[-1] for line in out.splitlines()[2:] if line.strip()]


class RemovedEvents:
    """python-libvirt DEVICE_REMOVED callback collector."""

    def __init__(self, d):
        import libvirt
        self.conn = d.connect()
        self.got = []
        self.lock = threading.Lock()
        self.cb = self.conn.domainEventRegisterAny(
            None, libvirt.VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED, self._cb, None)

    def _cb(self, conn, dom, alias, opaque):
        with self.lock:
            self.got.append((dom.name(), alias))

    def wait(self, name, alias, timeout=15):
        return wait_for(lambda: (name, alias) in self.got, timeout, 0.05)

    def close(self):
        try:
            self.conn.domainEventDeregisterAny(self.cb)
        except Exception:  # noqa: BLE001
            pass
        self.conn.close()


class Hotplug(GuestTestCase):
    """One booted guest shared by the tests (they add and remove their own
    devices and leave it as they found it)."""

    name = "hp-shared"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        path = write_file(os.path.join(cls.d.root, cls.name + ".xml"),
                          hp_guest_xml(cls.name))
        rc, out, err = cls.d.virsh("define", path)
        assert rc == 0, err
        rc, out, err = cls.d.virsh("start", "--paused", cls.name)
        assert rc == 0, err
        cls.con = Console(cls.d, cls.name)
        cls.d.virsh("resume", cls.name)
        t0 = time.time()
        cls.con.wait(MARKER)
        log("  shared guest: marker after %.1fs" % (time.time() - t0))

    @classmethod
    def tearDownClass(cls):
        try:
            con = getattr(cls, "con", None)
            if con is not None:
                con.closing = True
                con.t.join(5)
                con._close_conn()
            if cls.d is not None and cls.d.alive():
                cls.d.virsh("destroy", cls.name)
        finally:
            super().tearDownClass()

    # -- helpers --------------------------------------------------------------
    def image(self, name, fmt="qcow2", size="32M"):
        path = os.path.join(self.d.root, name)
        subprocess.run([QEMU_IMG, "create", "-q", "-f", fmt, path, size], check=True)
        return path

    def guest_sh(self, cmd, token, timeout=30):
        """Run CMD in the guest's shell; wait for the line TOKEN that CMD
        prints (the echo of the typed line must not contain it)."""
        pos = self.con.mark()
        self.con.send("\n")
        self.con.wait(PROMPT, 30, since=pos)
        pos = self.con.mark()
        self.con.send(cmd + "\n")
        self.con.wait(token, timeout, since=pos)
        return self.con.buf[pos:].decode("utf-8", "replace")

    def guest_has(self, path, timeout=30):
        """True when PATH exists in the guest (polls)."""
        deadline = time.time() + timeout
        while True:
            out = self.guest_sh("if [ -e %s ]; then echo HAS-$((1+1)); else echo NOT-$((1+1)); fi"
                                % path, "-2\r\n")
            if "HAS-2" in out:
                return True
            if time.time() > deadline:
                return False
            time.sleep(1)

    def guest_lacks(self, path, timeout=30):
        deadline = time.time() + timeout
        while True:
            out = self.guest_sh("if [ -e %s ]; then echo HAS-$((1+1)); else echo NOT-$((1+1)); fi"
                                % path, "-2\r\n")
            if "NOT-2" in out:
                return True
            if time.time() > deadline:
                return False
            time.sleep(1)

    def live_xml(self):
        return self.virsh_ok("dumpxml", self.name)

    # -- disks ----------------------------------------------------------------
    def test_01_disk_attach_detach(self):
        img = self.image("hp-vdb.qcow2")
        ev = self.closer(RemovedEvents(self.d))
        out = self.virsh_ok("attach-disk", self.name, img, "vdb", "--subdriver", "qcow2")
        self.assertEqual(out, "Disk attached successfully\n\n")
        self.assertEqual(blklist(self, self.name).get("vdb"), img)
        xml = self.live_xml()
        self.assertIn("<alias name='virtio-disk1'/>", xml)
        # the guest sees it (virtio_blk is in the initramfs; the guest names
        # its first virtio disk vda whatever libvirt's target)
        self.assertTrue(self.guest_has("/sys/block/vda"), "no vda in the guest's /sys/block")
        # not in the persistent config (live only on a running guest)
        self.assertNotIn("vdb", blklist(self, self.name, "--inactive"))

        t0 = time.time()
        out = self.virsh_ok("detach-disk", self.name, "vdb")
        self.assertEqual(out, "Disk detached successfully\n\n")
        self.assertLess(time.time() - t0, 15)
        self.assertTrue(wait_for(lambda: "vdb" not in blklist(self, self.name), 10),
                        "vdb still listed after detach")
        self.assertTrue(ev.wait(self.name, "virtio-disk1"),
                        "no DEVICE_REMOVED event; got %r" % ev.got)
        self.assertTrue(self.guest_lacks("/sys/block/vda"), "vda still in the guest")
        # the blockdev nodes were released: the image (write-locked while
        # open) can be attached again
        self.virsh_ok("attach-disk", self.name, img, "vdb", "--subdriver", "qcow2")
        self.assertEqual(blklist(self, self.name).get("vdb"), img)
        self.virsh_ok("detach-disk", self.name, "vdb")
        self.assertTrue(wait_for(lambda: "vdb" not in blklist(self, self.name), 10))

    def test_02_disk_errors(self):
        img = self.image("hp-err.img", "raw")
        self.virsh_ok("attach-disk", self.name, img, "vdd")
        try:
            out, err = self.virsh_err("attach-disk", self.name, img, "vdd")
            self.assertIn("target vdd already exists", err)
            # detach-device bypasses virsh's own lookup: the daemon's message
            xmlp = self.tmpfile("vdz.xml", "<disk type='file' device='disk'>"
                                "<source file='%s'/><target dev='vdz' bus='virtio'/></disk>" % img)
            out, err = self.virsh_err("detach-device", self.name, xmlp)
            self.assertIn("disk vdz not found", err)
            wd = self.tmpfile("wd.xml", "<watchdog model='i6300esb' action='reset'/>")
            out, err = self.virsh_err("attach-device", self.name, wd, "--live")
            self.assertIn("Operation not supported: live attach of device 'watchdog' "
                          "is not supported", err)
            ide = self.tmpfile("ide.xml", "<disk type='file' device='disk'>"
                               "<source file='%s'/><target dev='hdb' bus='ide'/></disk>" % img)
            out, err = self.virsh_err("attach-device", self.name, ide)
            self.assertIn("disk bus 'ide' cannot be hotplugged", err)
        finally:
            self.virsh("detach-disk", self.name, "vdd")
            wait_for(lambda: "vdd" not in blklist(self, self.name), 10)

    def test_03_detach_device_alias(self):
        img = self.image("hp-alias.img", "raw")
        ev = self.closer(RemovedEvents(self.d))
        self.virsh_ok("attach-disk", self.name, img, "vde")
        self.assertIn("<alias name='virtio-disk4'/>", self.live_xml())
        out = self.virsh_ok("detach-device-alias", self.name, "virtio-disk4")
        self.assertIn("Device detach request sent successfully", out)
        self.assertTrue(wait_for(lambda: "vde" not in blklist(self, self.name), 15))
        self.assertTrue(ev.wait(self.name, "virtio-disk4"))
        out, err = self.virsh_err("detach-device-alias", self.name, "nosuch0")
        self.assertIn("no device found with alias nosuch0", err)

    def test_04_config_and_persistent(self):
        img = self.image("hp-cfg.img", "raw")
        cfg = self.d.domain_file(self.name)
        self.virsh_ok("attach-disk", self.name, img, "vdf", "--config")
        self.assertIn("vdf", blklist(self, self.name, "--inactive"))
        self.assertNotIn("vdf", blklist(self, self.name))
        with open(cfg) as f:
            self.assertIn("<target dev='vdf' bus='virtio'/>", f.read())
        out, err = self.virsh_err("attach-disk", self.name, img, "vdf", "--config")
        self.assertIn("target vdf already exists", err)
        self.virsh_ok("detach-disk", self.name, "vdf", "--config")
        with open(cfg) as f:
            self.assertNotIn("vdf", f.read())

        # --persistent = live + config
        self.virsh_ok("attach-disk", self.name, img, "vdf", "--persistent")
        self.assertIn("vdf", blklist(self, self.name))
        self.assertIn("vdf", blklist(self, self.name, "--inactive"))
        self.virsh_ok("detach-disk", self.name, "vdf", "--persistent")
        self.assertTrue(wait_for(lambda: "vdf" not in blklist(self, self.name), 15))
        self.assertNotIn("vdf", blklist(self, self.name, "--inactive"))
        with open(cfg) as f:
            self.assertNotIn("vdf", f.read())

        # an inactive domain takes --current (= config) but not --live, nor
        # the flag-less legacy call (virDomainAttachDevice means live)
        other = "hp-inactive"
        self.define_guest(other)
        out, err = self.virsh_err("attach-disk", other, img, "vdb", "--live")
        self.assertIn("domain is not running", err)
        out, err = self.virsh_err("attach-disk", other, img, "vdb")
        self.assertIn("domain is not running", err)
        self.virsh_ok("attach-disk", other, img, "vdb", "--current")
        self.assertIn("vdb", blklist(self, other))
        with open(self.d.domain_file(other)) as f:
            self.assertIn("<target dev='vdb' bus='virtio'/>", f.read())

    # -- cdrom ------------------------------------------------------------------
    def test_05_cdrom_media(self):
        iso = os.path.join(self.d.root, "hp-cd.iso")
        with open(iso, "wb") as f:
            f.write(b"\0" * 409600)
        self.assertEqual(blklist(self, self.name).get("hdc"), "-")
        out = self.virsh_ok("change-media", self.name, "hdc", iso, "--insert")
        self.assertIn("Successfully inserted media", out)
        self.assertEqual(blklist(self, self.name).get("hdc"), iso)
        out = self.virsh_ok("change-media", self.name, "hdc", "--eject")
        self.assertIn("Successfully ejected media", out)
        self.assertEqual(blklist(self, self.name).get("hdc"), "-")
        xmlp = self.tmpfile("cd.xml", "<disk type='file' device='cdrom'>"
                            "<driver name='qemu' type='raw'/><source file='%s'/>"
                            "<target dev='hdc' bus='ide'/><readonly/></disk>" % iso)
        out = self.virsh_ok("update-device", self.name, xmlp)
        self.assertEqual(out, "Device updated successfully\n\n")
        self.assertEqual(blklist(self, self.name).get("hdc"), iso)
        self.virsh_ok("change-media", self.name, "hdc", "--eject")
        self.assertEqual(blklist(self, self.name).get("hdc"), "-")

    # -- interfaces ----------------------------------------------------------------
    def test_06_interface_user(self):
        mac = "52:54:00:aa:bb:01"
        ev = self.closer(RemovedEvents(self.d))
        nic = self.tmpfile("nic.xml", "<interface type='user'><mac address='%s'/>"
                           "<model type='virtio'/></interface>" % mac)
        self.virsh_ok("attach-device", self.name, nic)
        self.assertIn(mac, iflist_macs(self, self.name))
        xml = self.live_xml()
        self.assertIn("<alias name='net0'/>", xml)
        self.assertTrue(self.guest_has("/sys/class/net/eth0"), "no eth0 in the guest")
        out, err = self.virsh_err("attach-device", self.name, nic)
        bad = self.tmpfile("nic-bad.xml", "<interface type='user'>"
                           "<mac address='52:54:00:de:ad:00'/></interface>")
        out, err = self.virsh_err("detach-device", self.name, bad)
        self.assertIn("no device matching MAC address 52:54:00:de:ad:00 found", err)
        out = self.virsh_ok("detach-interface", self.name, "user", "--mac", mac)
        self.assertIn("Interface detached successfully", out)
        self.assertTrue(wait_for(lambda: mac not in iflist_macs(self, self.name), 15))
        self.assertTrue(ev.wait(self.name, "net0"))

    # -- graphics -------------------------------------------------------------------
    def test_07_open_graphics_fd(self):
        """dom.openGraphicsFD(0) with the real python-libvirt, in a child
        process (a daemon that gets the fd framing wrong would hang it)."""
        script = r"""
import libvirt, socket, sys
c = libvirt.open(sys.argv[1])
d = c.lookupByName(sys.argv[2])
fd = d.openGraphicsFD(0)
s = socket.socket(fileno=fd); s.settimeout(10)
sys.stdout.write(repr(s.recv(12)))
"""
        try:
            p = subprocess.run([harness.SYSTEM_PYTHON, "-c", script, self.d.uri, self.name],
                               capture_output=True, text=True, timeout=30)
        except subprocess.TimeoutExpired:
            self.fail("openGraphicsFD(0) hung for 30 s: the REPLY_WITH_FDS framing "
                      "(libvirt sends each fd after the packet, one byte per fd) is not "
                      "what the client expects")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, repr(b"RFB 003.008\n"))

    def test_07b_open_graphics_client_fd(self):
        """dom.openGraphics(0, fd): our socket end goes to QEMU (CALL_WITH_FDS)."""
        script = r"""
import libvirt, socket, sys
c = libvirt.open(sys.argv[1])
d = c.lookupByName(sys.argv[2])
a, b = socket.socketpair()
d.openGraphics(0, b.fileno(), 0)
b.close()
a.settimeout(10)
sys.stdout.write(repr(a.recv(12)))
"""
        try:
            p = subprocess.run([harness.SYSTEM_PYTHON, "-c", script, self.d.uri, self.name],
                               capture_output=True, text=True, timeout=30)
        except subprocess.TimeoutExpired:
            self.fail("openGraphics(0, fd) hung for 30 s (CALL_WITH_FDS framing: libvirt "
                      "sends each fd after the packet, one byte per fd)")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, repr(b"RFB 003.008\n"))

    def test_08_open_graphics_fd_raw(self):
        """The handler itself, with a raw RPC client that takes the fd from
        the reply's SCM_RIGHTS wherever it comes."""
        import array
        import libvirt
        conn = self.d.connect()
        dom = conn.lookupByName(self.name)
        s = harness.raw_connect(self.d.sock_rw)
        try:
            serial = harness.raw_open(s)
            body = (harness.xdr_string(self.name) + dom.UUID() + struct.pack(">i", dom.ID())
                    + struct.pack(">II", 0, 0))
            s.sendall(harness.pack_packet(harness.REMOTE_PROGRAM, harness.REMOTE_VERSION,
                                          343, harness.CALL, serial, harness.OK, body))
            fds = array.array("i")
            data = b""
            deadline = time.time() + 20
            while len(data) < 4 or len(data) < struct.unpack(">I", data[:4])[0]:
                chunk, anc, _, _ = s.recvmsg(65536, socket.CMSG_LEN(4 * 4))
                if not chunk:
                    break
                data += chunk
                for lvl, typ, cd in anc:
                    if lvl == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                        fds.frombytes(cd[:len(cd) - len(cd) % 4])
                self.assertLess(time.time(), deadline)
            hdr = struct.unpack(">IIiiIi", data[4:28])
            self.assertEqual(hdr[3], 5, "reply type is not REPLY_WITH_FDS: %r" % (hdr,))
            self.assertEqual(hdr[5], 0, data)
            if not fds:   # libvirt's framing: one byte + fd after the packet
                _, anc, _, _ = s.recvmsg(1, socket.CMSG_LEN(4))
                for lvl, typ, cd in anc:
                    fds.frombytes(cd[:4])
            self.assertEqual(len(fds), 1)
            g = socket.socket(fileno=fds[0])
            g.settimeout(10)
            self.assertEqual(g.recv(12), b"RFB 003.008\n")
            g.close()
        finally:
            s.close()
            conn.close()
        # errors
        conn = self.d.connect()
        try:
            with self.assertRaises(libvirt.libvirtError) as cm:
                conn.lookupByName(self.name).openGraphicsFD(5)
            self.assertIn("No graphics backend with index 5", str(cm.exception))
        finally:
            conn.close()

    # -- domxml-to-native ---------------------------------------------------------------
    def test_09_domxml_to_native(self):
        path = self.tmpfile("native.xml", hp_guest_xml("hp-native"))
        out = self.virsh_ok("domxml-to-native", "qemu-argv", path)
        self.assertTrue(out.startswith("LC_ALL=C PATH="), out[:200])
        self.assertIn(" -name guest=hp-native,debug-threads=on ", out)
        self.assertIn("/usr/bin/qemu-system-x86_64 ", out)
        self.assertEqual(out.count("\n"), 1, "not one line")
        self.assertNotIn("hp-native.xml", self.d.stored_files())
        out, err = self.virsh_err("domxml-to-native", "foo", path)
        self.assertIn("unsupported configuration: Unsupported config type foo", err)


# ---------------------------------------------------------------------------
# taps: a daemon inside a private network namespace
# ---------------------------------------------------------------------------

class NetnsDaemon(Daemon):
    """A daemon started with `ip netns exec NS` (QEMU inherits the netns)."""

    def __init__(self, netns, **kw):
        super().__init__(**kw)
        self.netns = netns

    def command(self):
        return ["ip", "netns", "exec", self.netns] + super().command()


def _netns_usable():
    if os.geteuid() != 0:
        return "not root"
    if not shutil.which("ip"):
        return "no ip(8)"
    if not os.path.exists("/dev/net/tun"):
        return "no /dev/net/tun"
    return None


class Taps(GuestTestCase):
    """Bridge / ethernet interfaces: taps created by virtqemud through libnl
    inside a network namespace this test made (bridge br0 in it)."""

    netns = None

    @classmethod
    def setUpClass(cls):
        why = _netns_usable()
        if why:
            log("*** SKIP Taps: %s" % why)
            raise unittest.SkipTest("bridge tests need a network namespace: %s" % why)
        from test_lifecycle import build_guest, ensure_event_loop
        build_guest()
        ensure_event_loop()
        cls.netns = "mvhp-%d" % os.getpid()
        try:
            for cmd in (["ip", "netns", "add", cls.netns],
                        ["ip", "netns", "exec", cls.netns, "ip", "link", "set", "lo", "up"],
                        ["ip", "netns", "exec", cls.netns, "ip", "link", "add", "br0",
                         "type", "bridge"],
                        ["ip", "netns", "exec", cls.netns, "ip", "link", "set", "br0", "up"]):
                subprocess.run(cmd, check=True, capture_output=True, text=True)
        except (subprocess.CalledProcessError, OSError) as e:
            cls._del_netns()
            msg = "cannot create a network namespace with a bridge: %s" % (
                getattr(e, "stderr", "") or e)
            log("*** SKIP Taps: " + msg)
            raise unittest.SkipTest(msg)
        cls.d = NetnsDaemon(cls.netns)
        try:
            cls.d.start()
        except Exception:
            cls.d.cleanup()
            cls.d = None
            cls._del_netns()
            raise

    @classmethod
    def _del_netns(cls):
        if cls.netns:
            subprocess.run(["ip", "netns", "del", cls.netns], capture_output=True)

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls._del_netns()

    def ns(self, *cmd):
        p = subprocess.run(["ip", "netns", "exec", self.netns] + list(cmd),
                           capture_output=True, text=True)
        return p.stdout

    def links(self):
        return self.ns("ip", "-o", "link", "show")

    def br_ports(self):
        return self.ns("ip", "-o", "link", "show", "master", "br0")

    def test_01_start_with_bridge_and_ethernet(self):
        n = "tap-start"
        extra = ("<interface type='bridge'><source bridge='br0'/>"
                 "<mac address='52:54:00:10:00:01'/><model type='virtio'/></interface>\n"
                 "    <interface type='ethernet'><mac address='52:54:00:10:00:02'/>"
                 "<model type='e1000'/></interface>\n    <video>")
        path = self.tmpfile(n + ".xml", guest_xml(n).replace("<video>", extra, 1))
        self.virsh_ok("define", path)
        self._cleanup_names.append(n)
        self.virsh_ok("start", n)
        xml = self.virsh_ok("dumpxml", n)
        self.assertRegex(xml, r"<source bridge='br0'/>\s*<target dev='vnet\d+'/>",
                         "no <target dev='vnetN'/> on the bridge interface "
                         "(taps at start need qemuInterfacesPrepare in qemuProcessStart)")
        self.assertRegex(xml, r"<mac address='52:54:00:10:00:02'/>\s*<target dev='vnet\d+'/>")
        ports = self.br_ports()
        self.assertRegex(ports, r"vnet\d+", "tap not enslaved to br0: %r" % ports)
        self.assertIn("fe:54:00:10:00:01", self.links())
        inactive = self.virsh_ok("dumpxml", "--inactive", n)
        self.assertNotIn("vnet", inactive)
        self.virsh_ok("destroy", n)
        self.assertTrue(wait_for(lambda: "vnet" not in self.links(), 10),
                        "taps left after destroy: %s" % self.links())

    def test_02_hotplug_bridge(self):
        n = "tap-hot"
        self.define_guest(n)
        con = self.boot_with_console(n)
        mac = "52:54:00:10:00:11"
        out = self.virsh_ok("attach-interface", n, "bridge", "br0", "--model", "virtio",
                            "--mac", mac)
        self.assertIn("Interface attached successfully", out)
        xml = self.virsh_ok("dumpxml", n)
        self.assertRegex(xml, r"<source bridge='br0'/>\s*<target dev='vnet\d+'/>")
        self.assertRegex(self.br_ports(), r"vnet\d+")
        self.assertIn("fe:54:00:10:00:11", self.links())
        pos = con.mark()
        con.send("\n")
        con.wait(PROMPT, 30, since=pos)
        # a bridge that does not exist
        out, err = self.virsh_err("attach-interface", n, "bridge", "nobr0",
                                  "--mac", "52:54:00:10:00:12")
        self.assertIn("Cannot get interface MTU on 'nobr0': No such device", err)
        out = self.virsh_ok("detach-interface", n, "bridge", "--mac", mac)
        self.assertIn("Interface detached successfully", out)
        self.assertTrue(wait_for(lambda: "fe:54:00:10:00:11" not in self.links(), 15),
                        "tap still there: %s" % self.links())
        self.virsh_ok("destroy", n)


if __name__ == "__main__":
    sys.exit(main())
