#!/usr/bin/python3
"""Every virsh command of issue 2, with Debian's real /usr/bin/virsh 9.0.

Expected outputs are libvirt 9.0's, byte for byte (checked by running this
file with --reference-libvirtd against Debian's libvirtd), modulo uuids,
paths and host facts.

Run: /usr/bin/python3 tests/integration/test_virsh_basic.py --daemon BUILD/daemons/qemu/virtqemud
"""

import glob
import os
import re
import signal
import subprocess
import sys
import time
import uuid as uuidlib
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import DaemonTestCase, domain_xml, write_file, VIRSH  # noqa: E402

UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

LIST_HDR = " Id   Name   State\n"
EMPTY_LIST = " Id   Name   State\n--------------------\n\n"


def dominfo_text(name, uuid, vcpus=1, maxmem=131072, usedmem=131072,
                 autostart="disable"):
    # tools/virsh-domain-monitor.c cmdDominfo, "%-15s %s" layout
    return ("Id:             -\n"
            "Name:           %s\n"
            "UUID:           %s\n"
            "OS Type:        hvm\n"
            "State:          shut off\n"
            "CPU(s):         %d\n"
            "Max memory:     %d KiB\n"
            "Used memory:    %d KiB\n"
            "Persistent:     yes\n"
            "Autostart:      %s\n"
            "Managed save:   no\n"
            "Security model: none\n"
            "Security DOI:   0\n\n"
            % (name, uuid, vcpus, maxmem, usedmem, autostart))


def fail_get(name):
    return "error: failed to get domain '%s'\n" % name


class HostInfo(DaemonTestCase):
    def test_version(self):
        out = self.virsh_ok("version")
        qv = subprocess.run(["qemu-system-x86_64", "--version"],
                            capture_output=True, text=True).stdout
        m = re.search(r"version (\d+)\.(\d+)\.(\d+)", qv)
        self.assertIsNotNone(m, qv)
        self.assertEqual(out,
                         "Compiled against library: libvirt 9.0.0\n"
                         "Using library: libvirt 9.0.0\n"
                         "Using API: QEMU 9.0.0\n"
                         "Running hypervisor: QEMU %s.%s.%s\n\n" % m.groups())

    def test_uri(self):
        self.assertEqual(self.virsh_ok("uri"), self.d.uri + "\n\n")

    def test_hostname(self):
        self.assertEqual(self.virsh_ok("hostname"),
                         os.uname().nodename + "\n\n")

    def test_nodeinfo(self):
        out = self.virsh_ok("nodeinfo")
        lines = out.split("\n")
        keys = ["CPU model:", "CPU(s):", "CPU frequency:", "CPU socket(s):",
                "Core(s) per socket:", "Thread(s) per core:", "NUMA cell(s):",
                "Memory size:"]
        self.assertEqual([l[:21].strip() for l in lines[:8]], keys, out)
        for l in lines[:8]:
            self.assertRegex(l, r"^.{20} \S")  # "%-20s %s"
        self.assertEqual(lines[8:], ["", ""])
        vals = {l[:20].strip(): l[21:] for l in lines[:8]}
        self.assertEqual(vals["CPU model:"], os.uname().machine)
        self.assertEqual(int(vals["CPU(s):"]), os.cpu_count())
        self.assertRegex(vals["CPU frequency:"], r"^\d+ MHz$")
        with open("/proc/meminfo") as f:
            memtotal = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
        m = re.match(r"^(\d+) KiB$", vals["Memory size:"])
        self.assertIsNotNone(m, vals["Memory size:"])
        # libvirt sums the NUMA nodes' MemTotal (which moves on a ballooned
        # VM) or falls back to /proc/meminfo
        nodes = 0
        for n in glob.glob("/sys/devices/system/node/node*/meminfo"):
            with open(n) as f:
                nodes += int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
        got = int(m.group(1))
        self.assertTrue(got == memtotal or abs(got - nodes) <= nodes // 5,
                        "memory %d KiB: neither MemTotal %d nor ~nodes %d"
                        % (got, memtotal, nodes))
        cells = len([n for n in os.listdir("/sys/devices/system/node")
                     if re.match(r"node\d+$", n)]) if os.path.isdir(
                         "/sys/devices/system/node") else 1
        self.assertEqual(int(vals["NUMA cell(s):"]), cells)
        s, c, t = (int(vals[k]) for k in ("CPU socket(s):", "Core(s) per socket:",
                                          "Thread(s) per core:"))
        self.assertEqual(s * c * t * cells, os.cpu_count())

    def test_capabilities(self):
        out = self.virsh_ok("capabilities")
        root = ET.fromstring(out)
        self.assertEqual(root.tag, "capabilities")
        self.assertEqual(root.findtext("host/cpu/arch"), os.uname().machine)
        self.assertRegex(root.findtext("host/uuid") or "", "^" + UUID_RE + "$")
        cells = root.findall("host/topology/cells/cell")
        self.assertGreaterEqual(len(cells), 1)
        ncpus = sum(len(c.findall("cpus/cpu")) for c in cells)
        self.assertEqual(ncpus, os.cpu_count())
        guests = {}
        for g in root.findall("guest"):
            self.assertEqual(g.findtext("os_type"), "hvm")
            arch = g.find("arch")
            guests[arch.get("name")] = arch
        self.assertIn("x86_64", guests)
        x86 = guests["x86_64"]
        self.assertEqual(x86.findtext("wordsize"), "64")
        self.assertEqual(x86.findtext("emulator"), "/usr/bin/qemu-system-x86_64")
        machines = [m.text for m in x86.findall("machine")]
        self.assertIn("pc", machines)
        self.assertIn("q35", machines)
        self.assertIn("qemu", [d.get("type") for d in x86.findall("domain")])
        secmodels = [m.findtext("model") for m in root.findall("host/secmodel")]
        self.assertIn("none", secmodels)


class DefineList(DaemonTestCase):
    def test_define_output_and_storage(self):
        path = self.define("dl-a")
        self.assertTrue(os.path.isfile(self.d.domain_file("dl-a")))
        ET.parse(self.d.domain_file("dl-a"))
        # redefining the same name+uuid is an update, not an error
        u = self.virsh_ok("domuuid", "dl-a").strip()
        p2 = self.tmpfile("dl-a2.xml", domain_xml("dl-a", uuid=u, memory=262144))
        self.assertEqual(self.virsh_ok("define", p2),
                         "Domain 'dl-a' defined from %s\n\n" % p2)
        self.assertIn("Max memory:     262144 KiB",
                      self.virsh_ok("dominfo", "dl-a"))
        self.assertTrue(path)

    def test_list_variants(self):
        u1 = "11111111-2222-3333-4444-000000000001"
        u2 = "11111111-2222-3333-4444-000000000002"
        with harness.Daemon() as d:  # private daemon: exact list contents
            p = write_file(d.root + "/l1.xml",
                           domain_xml("alpha", uuid=u1, title="First VM"))
            q = write_file(d.root + "/l2.xml", domain_xml("beta-long-name", uuid=u2))
            v = d.virsh
            self.assertEqual(v("list")[:2], (0, EMPTY_LIST))
            self.assertEqual(v("list", "--all")[:2], (0, EMPTY_LIST))
            self.assertEqual(v("define", p)[0], 0)
            self.assertEqual(v("define", q)[0], 0)
            self.assertEqual(v("list")[1], EMPTY_LIST)
            full = (" Id   Name             State\n"
                    "---------------------------------\n"
                    " -    alpha            shut off\n"
                    " -    beta-long-name   shut off\n\n")
            self.assertEqual(v("list", "--all")[1], full)
            self.assertEqual(v("list", "--inactive")[1], full)
            self.assertEqual(v("list", "--all", "--name")[1],
                             "alpha\nbeta-long-name\n\n")
            self.assertEqual(v("list", "--all", "--uuid")[1],
                             "%s\n%s\n\n" % (u1, u2))
            self.assertEqual(v("list", "--all", "--title")[1],
                             " Id   Name             State      Title\n"
                             "--------------------------------------------\n"
                             " -    alpha            shut off   First VM\n"
                             " -    beta-long-name   shut off   \n\n")
            self.assertEqual(v("list", "--all", "--autostart")[1],
                             " Id   Name   State\n--------------------\n\n")
            self.assertEqual(v("autostart", "beta-long-name")[0], 0)
            self.assertEqual(v("list", "--all", "--autostart")[1],
                             " Id   Name             State\n"
                             "---------------------------------\n"
                             " -    beta-long-name   shut off\n\n")
            self.assertEqual(v("list", "--all", "--no-autostart", "--name")[1],
                             "alpha\n\n")
            self.assertEqual(v("list", "--all", "--name", ro=True)[1], "alpha\nbeta-long-name\n\n")

    def test_duplicate_name_different_uuid(self):
        u = "22222222-2222-3333-4444-000000000001"
        self.define("dup-a", uuid=u)
        p = self.tmpfile("dup-a-other.xml", domain_xml(
            "dup-a", uuid="22222222-2222-3333-4444-000000000099"))
        out, err = self.virsh_err("define", p)
        self.assertEqual(out, "\n")
        self.assertEqual(err, "error: Failed to define domain from %s\n"
                         "error: operation failed: domain 'dup-a' already "
                         "exists with uuid %s\n" % (p, u))
        self.assertEqual(self.virsh_ok("domuuid", "dup-a"), u + "\n\n")

    def test_duplicate_uuid_different_name(self):
        u = "22222222-2222-3333-4444-000000000002"
        self.define("dupu-a", uuid=u)
        p = self.tmpfile("dupu-b.xml", domain_xml("dupu-b", uuid=u))
        out, err = self.virsh_err("define", p)
        self.assertEqual(err, "error: Failed to define domain from %s\n"
                         "error: operation failed: domain 'dupu-a' is already "
                         "defined with uuid %s\n" % (p, u))
        self.assertNothingStored("dupu-b")

    def test_malformed_xml(self):
        p = self.tmpfile("bad.xml", "<domain type='qemu'><name>bad</name")
        out, err = self.virsh_err("define", p)
        self.assertEqual(out, "\n")
        self.assertEqual(err, "error: Failed to define domain from %s\n"
                         "error: (domain_definition):1: expected '>'\n"
                         "<domain type='qemu'><name>bad</name\n"
                         "-----------------------------------^\n" % p)
        self.assertNothingStored("bad")

    def test_missing_name(self):
        p = self.tmpfile("noname.xml",
                         "<domain type='qemu'><memory>1024</memory></domain>")
        out, err = self.virsh_err("define", p)
        self.assertEqual(err, "error: Failed to define domain from %s\n"
                         "error: missing name information\n" % p)

    def test_unknown_domain_everywhere(self):
        for cmd in (["dominfo"], ["domstate"], ["domstate", "--reason"],
                    ["domid"], ["domname"], ["domuuid"], ["dumpxml"],
                    ["undefine"], ["autostart"], ["desc"], ["vcpucount"],
                    ["domblklist"], ["domiflist"],
                    ["setmem", "--config", "--size", "65536"],
                    ["metadata", "--uri", "http://x.org/"]):
            with self.subTest(cmd=cmd):
                rc, out, err = self.virsh(cmd[0], "nosuch", *cmd[1:])
                self.assertEqual((rc, out, err), (1, "\n", fail_get("nosuch")))
        for ident in ("11111111-2222-3333-4444-555555555556", "7"):
            rc, out, err = self.virsh("dominfo", ident)
            self.assertEqual((rc, err), (1, fail_get(ident)))

    def test_undefine(self):
        self.define("und-a")
        self.assertEqual(self.virsh_ok("undefine", "und-a"),
                         "Domain 'und-a' has been undefined\n\n")
        self.assertNothingStored("und-a")
        rc, out, err = self.virsh("undefine", "und-a")
        self.assertEqual((rc, out, err), (1, "\n", fail_get("und-a")))

    def test_undefine_by_uuid_removes_autostart_link(self):
        u = "33333333-2222-3333-4444-000000000001"
        self.define("und-b", uuid=u)
        self.virsh_ok("autostart", "und-b")
        self.assertTrue(os.path.lexists(self.d.autostart_link("und-b")))
        # virsh echoes the identifier it was given
        self.assertEqual(self.virsh_ok("undefine", u),
                         "Domain '%s' has been undefined\n\n" % u)
        self.assertFalse(os.path.lexists(self.d.autostart_link("und-b")))
        self.assertNothingStored("und-b")


class Nvram(DaemonTestCase):
    def _define_nvram(self, name):
        nvdir = os.path.join(self.d.root, "nvram")
        os.makedirs(nvdir, exist_ok=True)
        nv = os.path.join(nvdir, name + "_VARS.fd")
        with open(nv, "wb") as f:
            f.write(b"\0" * 4096)
        self.define(name, extra="  <features>\n    <acpi/>\n  </features>",
                    extra_os="\n    <loader readonly='yes' type='pflash'>"
                    "/usr/share/OVMF/OVMF_CODE.fd</loader>\n"
                    "    <nvram>%s</nvram>" % nv)
        return nv

    def test_nvram_dumpxml(self):
        nv = self._define_nvram("nv-x")
        root = ET.fromstring(self.virsh_ok("dumpxml", "nv-x"))
        loader = root.find("os/loader")
        self.assertEqual(loader.text, "/usr/share/OVMF/OVMF_CODE.fd")
        self.assertEqual(loader.get("readonly"), "yes")
        self.assertEqual(loader.get("type"), "pflash")
        self.assertEqual(root.findtext("os/nvram"), nv)

    def test_undefine_plain_refused(self):
        nv = self._define_nvram("nv-plain")
        rc, out, err = self.virsh("undefine", "nv-plain")
        self.assertEqual(rc, 1)
        self.assertEqual(err, "error: Failed to undefine domain 'nv-plain'\n"
                         "error: Requested operation is not valid: cannot "
                         "undefine domain with nvram\n")
        self.assertTrue(os.path.exists(nv))
        self.assertTrue(os.path.exists(self.d.domain_file("nv-plain")))

    def test_undefine_nvram(self):
        nv = self._define_nvram("nv-del")
        self.assertEqual(self.virsh_ok("undefine", "nv-del", "--nvram"),
                         "Domain 'nv-del' has been undefined\n\n")
        self.assertFalse(os.path.exists(nv), "nvram file not removed")
        self.assertNothingStored("nv-del")

    def test_undefine_keep_nvram(self):
        nv = self._define_nvram("nv-keep")
        self.assertEqual(self.virsh_ok("undefine", "nv-keep", "--keep-nvram"),
                         "Domain 'nv-keep' has been undefined\n\n")
        self.assertTrue(os.path.exists(nv), "nvram file removed")
        self.assertNothingStored("nv-keep")


class DomainQueries(DaemonTestCase):
    U = "44444444-2222-3333-4444-000000000001"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        p = write_file(cls.d.root + "/q.xml", domain_xml(
            "qdom", uuid=cls.U, title="Query Title", description="Query Desc",
            devices="""
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/q.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <source file='/tmp/x.iso'/>
      <target dev='sdb' bus='sata'/>
      <readonly/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:12:34:56'/>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
    <interface type='bridge'>
      <mac address='52:54:00:12:34:57'/>
      <source bridge='br0'/>
    </interface>"""))
        rc, out, err = cls.d.virsh("define", p)
        assert rc == 0, err

    def test_dominfo(self):
        self.assertEqual(self.virsh_ok("dominfo", "qdom"),
                         dominfo_text("qdom", self.U))
        # by uuid too
        self.assertEqual(self.virsh_ok("dominfo", self.U),
                         dominfo_text("qdom", self.U))

    def test_domstate(self):
        self.assertEqual(self.virsh_ok("domstate", "qdom"), "shut off\n\n")
        self.assertEqual(self.virsh_ok("domstate", "qdom", "--reason"),
                         "shut off (unknown)\n\n")

    def test_domid_domname_domuuid(self):
        self.assertEqual(self.virsh_ok("domid", "qdom"), "-\n\n")
        self.assertEqual(self.virsh_ok("domname", self.U), "qdom\n\n")
        self.assertEqual(self.virsh_ok("domuuid", "qdom"), self.U + "\n\n")

    def test_dumpxml_flags(self):
        out = self.virsh_ok("dumpxml", "qdom")
        self.assertTrue(out.startswith("<domain type='qemu'>\n  <name>qdom</name>\n"
                                       "  <uuid>%s</uuid>\n  <title>Query Title</title>\n"
                                       "  <description>Query Desc</description>\n" % self.U),
                        out)
        self.assertTrue(out.endswith("</domain>\n\n"), out[-50:])
        root = ET.fromstring(out)
        self.assertEqual(root.find("memory").get("unit"), "KiB")
        self.assertEqual(root.findtext("memory"), "131072")
        self.assertEqual(root.findtext("currentMemory"), "131072")
        self.assertEqual(root.findtext("vcpu"), "1")
        self.assertEqual([d.findtext("source") or d.find("source").get("file")
                          for d in root.findall("devices/disk")],
                         ["/var/lib/libvirt/images/q.qcow2", "/tmp/x.iso"])
        self.assertEqual(self.virsh_ok("dumpxml", "qdom", "--inactive"), out)
        self.assertEqual(self.virsh_ok("dumpxml", "qdom", "--security-info"), out)
        # the dumped XML redefines to the same text (fixed point)
        p = self.tmpfile("qdom-redef.xml", out)
        self.virsh_ok("define", p)
        self.assertEqual(self.virsh_ok("dumpxml", "qdom"), out)

    def test_dumpxml_ro(self):
        out = self.virsh_ok("dumpxml", "qdom")
        self.assertEqual(self.virsh_ok("dumpxml", "qdom", ro=True), out)

    def test_domblklist(self):
        self.assertEqual(self.virsh_ok("domblklist", "qdom"),
                         " Target   Source\n"
                         "-------------------------------------------\n"
                         " vda      /var/lib/libvirt/images/q.qcow2\n"
                         " sdb      /tmp/x.iso\n\n")
        self.assertEqual(self.virsh_ok("domblklist", "qdom", "--details"),
                         " Type   Device   Target   Source\n"
                         "-----------------------------------------------------------\n"
                         " file   disk     vda      /var/lib/libvirt/images/q.qcow2\n"
                         " file   cdrom    sdb      /tmp/x.iso\n\n")

    def test_domiflist(self):
        self.assertEqual(self.virsh_ok("domiflist", "qdom"),
                         " Interface   Type      Source    Model     MAC\n"
                         "--------------------------------------------------------------\n"
                         " -           network   default   virtio    52:54:00:12:34:56\n"
                         " -           bridge    br0       rtl8139   52:54:00:12:34:57\n\n")

    def test_empty_blk_if_lists(self):
        self.define("qempty")
        self.assertEqual(self.virsh_ok("domblklist", "qempty"),
                         " Target   Source\n------------------\n\n")
        self.assertEqual(self.virsh_ok("domiflist", "qempty"),
                         " Interface   Type   Source   Model   MAC\n"
                         "------------------------------------------\n\n")


class Mutations(DaemonTestCase):
    def test_autostart(self):
        self.define("as-a")
        u = self.virsh_ok("domuuid", "as-a").strip()
        self.assertEqual(self.virsh_ok("autostart", "as-a"),
                         "Domain 'as-a' marked as autostarted\n\n")
        self.assertTrue(os.path.lexists(self.d.autostart_link("as-a")))
        self.assertEqual(self.virsh_ok("dominfo", "as-a"),
                         dominfo_text("as-a", u, autostart="enable"))
        self.assertEqual(self.virsh_ok("autostart", "--disable", "as-a"),
                         "Domain 'as-a' unmarked as autostarted\n\n")
        self.assertFalse(os.path.lexists(self.d.autostart_link("as-a")))
        self.assertEqual(self.virsh_ok("dominfo", "as-a"),
                         dominfo_text("as-a", u, autostart="disable"))

    def test_desc_and_title(self):
        self.define("desc-a", title="Title A", description="Desc A")
        self.assertEqual(self.virsh_ok("desc", "desc-a"), "Desc A\n")
        self.assertEqual(self.virsh_ok("desc", "desc-a", "--title"), "Title A\n")
        self.assertEqual(self.virsh_ok("desc", "desc-a", "new", "desc"),
                         "Domain description updated successfully\n")
        self.assertEqual(self.virsh_ok("desc", "desc-a"), "new desc\n")
        self.assertEqual(self.virsh_ok("desc", "desc-a", "--title", "New Title"),
                         "Domain title updated successfully\n")
        self.assertEqual(self.virsh_ok("desc", "desc-a", "--title"), "New Title\n")
        self.assertEqual(self.virsh_ok("desc", "--config", "desc-a", "cfg desc"),
                         "Domain description updated successfully\n")
        root = ET.parse(self.d.domain_file("desc-a")).getroot()
        self.assertEqual(root.findtext("description"), "cfg desc")
        self.assertEqual(root.findtext("title"), "New Title")
        rc, out, err = self.virsh("desc", "--live", "desc-a", "x")
        self.assertEqual((rc, err), (1, "error: Failed to set new domain description\n"
                                     "error: Requested operation is not valid: "
                                     "domain is not running\n"))

    def test_desc_empty(self):
        self.define("desc-none")
        self.assertEqual(self.virsh_ok("desc", "desc-none"), "No description for domain: desc-none\n")
        self.assertEqual(self.virsh_ok("desc", "desc-none", "--title"), "No title for domain: desc-none\n")

    def test_metadata(self):
        self.define("meta-a")
        uri = "http://example.org/m"
        self.assertEqual(self.virsh_ok("metadata", "meta-a", "--uri", uri,
                                       "--key", "m", "--set",
                                       "<foo bar='1'>hi</foo>"),
                         "Metadata modified\n\n")
        self.assertEqual(self.virsh_ok("metadata", "meta-a", "--uri", uri),
                         '<foo bar="1">hi</foo>\n\n')
        root = ET.parse(self.d.domain_file("meta-a")).getroot()
        el = root.find("metadata/{%s}foo" % uri)
        self.assertIsNotNone(el, "metadata not stored")
        self.assertEqual((el.get("bar"), el.text), ("1", "hi"))
        rc, out, err = self.virsh("metadata", "meta-a", "--uri", "http://example.org/other")
        self.assertEqual((rc, err), (1, "error: metadata not found: Requested "
                                     "metadata element is not present\n"))
        self.assertEqual(self.virsh_ok("metadata", "meta-a", "--uri", uri, "--remove"),
                         "Metadata removed\n\n")
        rc, out, err = self.virsh("metadata", "meta-a", "--uri", uri)
        self.assertEqual((rc, err), (1, "error: metadata not found: Requested "
                                     "metadata element is not present\n"))

    def test_setmem_setmaxmem(self):
        self.define("mem-a")
        u = self.virsh_ok("domuuid", "mem-a").strip()
        self.assertEqual(self.virsh_ok("setmem", "mem-a", "65536", "--config"), "\n")
        self.assertEqual(self.virsh_ok("setmaxmem", "mem-a", "262144", "--config"), "\n")
        self.assertEqual(self.virsh_ok("dominfo", "mem-a"),
                         dominfo_text("mem-a", u, maxmem=262144, usedmem=65536))
        root = ET.parse(self.d.domain_file("mem-a")).getroot()
        self.assertEqual(root.findtext("memory"), "262144")
        self.assertEqual(root.findtext("currentMemory"), "65536")
        # unit suffixes are virsh-side scaling (1M = 1024 KiB)
        self.assertEqual(self.virsh_ok("setmem", "mem-a", "100M", "--config"), "\n")
        self.assertIn("Used memory:    102400 KiB", self.virsh_ok("dominfo", "mem-a"))
        rc, out, err = self.virsh("setmem", "mem-a", "65536")
        self.assertEqual((rc, err), (1, "error: Requested operation is not valid: "
                                     "domain is not running\n"))

    def test_setvcpus_vcpucount(self):
        self.define("cpu-a")
        rc, out, err = self.virsh("setvcpus", "cpu-a", "2", "--config")
        self.assertEqual((rc, err), (1, "error: invalid argument: requested vcpus "
                                     "is greater than max allowable vcpus for the "
                                     "persistent domain: 2 > 1\n"))
        self.assertEqual(self.virsh_ok("setvcpus", "cpu-a", "4", "--config",
                                       "--maximum"), "\n")
        self.assertEqual(self.virsh_ok("vcpucount", "cpu-a"),
                         "maximum      config         4\n"
                         "current      config         1\n\n")
        self.assertEqual(self.virsh_ok("setvcpus", "cpu-a", "2", "--config"), "\n")
        self.assertEqual(self.virsh_ok("vcpucount", "cpu-a"),
                         "maximum      config         4\n"
                         "current      config         2\n\n")
        self.assertEqual(self.virsh_ok("vcpucount", "cpu-a", "--config",
                                       "--maximum"), "4\n\n")
        self.assertEqual(self.virsh_ok("vcpucount", "cpu-a", "--config",
                                       "--current"), "2\n\n")
        rc, out, err = self.virsh("setvcpus", "cpu-a", "8", "--config")
        self.assertEqual((rc, err), (1, "error: invalid argument: requested vcpus "
                                     "is greater than max allowable vcpus for the "
                                     "persistent domain: 8 > 4\n"))
        vcpu = ET.parse(self.d.domain_file("cpu-a")).getroot().find("vcpu")
        self.assertEqual((vcpu.text, vcpu.get("current")), ("4", "2"))
        self.assertIn("CPU(s):         2\n", self.virsh_ok("dominfo", "cpu-a"))

    def test_edit(self):
        self.define("edit-a")
        u = self.virsh_ok("domuuid", "edit-a").strip()
        ed = write_file(os.path.join(self.d.root, "editor.sh"),
                        "#!/bin/sh\nsed -i 's/131072/262144/g' \"$1\"\n")
        os.chmod(ed, 0o755)
        self.assertEqual(self.virsh_ok("edit", "edit-a", env={"EDITOR": ed,
                                                              "VISUAL": ed}),
                         "Domain 'edit-a' XML configuration edited.\n\n")
        self.assertEqual(self.virsh_ok("dominfo", "edit-a"),
                         dominfo_text("edit-a", u, maxmem=262144, usedmem=262144))
        noop = write_file(os.path.join(self.d.root, "noop.sh"), "#!/bin/sh\ntrue\n")
        os.chmod(noop, 0o755)
        self.assertEqual(self.virsh_ok("edit", "edit-a", env={"EDITOR": noop,
                                                              "VISUAL": noop}),
                         "Domain 'edit-a' XML configuration not changed.\n\n")

    def test_domrename(self):
        self.define("ren-a")
        u = self.virsh_ok("domuuid", "ren-a").strip()
        self.virsh_ok("autostart", "ren-a")
        self.assertEqual(self.virsh_ok("domrename", "ren-a", "ren-b"),
                         "Domain successfully renamed\n\n")
        self.assertNothingStored("ren-a")
        self.assertTrue(os.path.isfile(self.d.domain_file("ren-b")))
        self.assertEqual(ET.parse(self.d.domain_file("ren-b")).getroot()
                         .findtext("name"), "ren-b")
        self.assertEqual(self.virsh_ok("domuuid", "ren-b"), u + "\n\n")
        self.assertEqual(self.virsh("dominfo", "ren-a")[2], fail_get("ren-a"))
        self.assertFalse(os.path.lexists(self.d.autostart_link("ren-a")))
        self.assertTrue(os.path.lexists(self.d.autostart_link("ren-b")))
        self.define("ren-c")
        rc, out, err = self.virsh("domrename", "ren-b", "ren-c")
        self.assertEqual(rc, 1)
        self.assertEqual(err, "error: Requested operation is not valid: domain "
                         "with name 'ren-c' already exists\n")


class Events(DaemonTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # warm up (libvirtd probes QEMU on the first define, which takes
        # longer than the event timeout)
        p = write_file(cls.d.root + "/warm.xml", domain_xml("ev-warm"))
        cls.d.virsh("define", p)
        cls.d.virsh("undefine", "ev-warm")

    def _event(self, *args, timeout="5"):
        return subprocess.Popen(
            [VIRSH, "-c", self.d.uri, "event"] + list(args) + ["--timeout", timeout],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=dict(os.environ, LC_ALL="C"))

    def test_event_all_loop(self):
        p = self._event("--all", "--loop")
        time.sleep(1.5)  # virsh registers its 27 callbacks
        self.define("ev-a")
        self.virsh_ok("undefine", "ev-a")
        out, err = p.communicate(timeout=30)
        self.assertEqual(out, "event 'lifecycle' for domain 'ev-a': Defined Added\n"
                         "event 'lifecycle' for domain 'ev-a': Undefined Removed\n"
                         "event loop timed out\n"
                         "events received: 2\n\n")
        self.assertEqual(err, "")

    def test_event_updated_and_single(self):
        self.define("ev-b")
        p = self._event("--event", "lifecycle")
        time.sleep(1.5)
        path = self.tmpfile("ev-b.xml", domain_xml("ev-b", memory=262144))
        u = self.virsh_ok("domuuid", "ev-b").strip()
        write_file(path, domain_xml("ev-b", uuid=u, memory=262144))
        self.virsh_ok("define", path)
        out, err = p.communicate(timeout=30)
        self.assertEqual((p.returncode, out), (0, "event 'lifecycle' for domain "
                                               "'ev-b': Defined Updated\n"
                                               "events received: 1\n\n"))

    def test_event_domain_filter(self):
        self.define("ev-c")
        u = self.virsh_ok("domuuid", "ev-c").strip()
        p = self._event("--all", "--loop", "--domain", "ev-c")
        time.sleep(1.5)
        self.define("ev-other")
        self.virsh_ok("define", self.tmpfile("ev-c2.xml", domain_xml("ev-c", uuid=u)))
        out, err = p.communicate(timeout=30)
        self.assertEqual(out, "event 'lifecycle' for domain 'ev-c': Defined Updated\n"
                         "event loop timed out\nevents received: 1\n\n")

    def test_event_interrupted(self):
        p = self._event("--all", "--loop", timeout="20")
        time.sleep(1.5)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
        self.assertEqual((p.returncode, out),
                         (1, "event loop interrupted\nevents received: 0\n\n"))


class ReadOnly(DaemonTestCase):
    """Every mutation via -sock-ro and via `virsh -r` on the rw socket."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        p = write_file(cls.d.root + "/ro.xml", domain_xml("ro-a"))
        assert cls.d.virsh("define", p)[0] == 0

    MUTATIONS = [
        (("undefine", "ro-a"), "virDomainUndefineFlags",
         "error: Failed to undefine domain 'ro-a'\n"),
        (("setmem", "ro-a", "65536", "--config"), "virDomainSetMemoryFlags", ""),
        (("setmaxmem", "ro-a", "262144", "--config"), "virDomainSetMemoryFlags",
         "error: Unable to change MaxMemorySize\n"),
        (("setvcpus", "ro-a", "1", "--config"), "virDomainSetVcpusFlags", ""),
        (("setvcpus", "ro-a", "2", "--config", "--maximum"), "virDomainSetVcpusFlags", ""),
        (("autostart", "ro-a"), "virDomainSetAutostart",
         "error: Failed to mark domain 'ro-a' as autostarted\n"),
        (("autostart", "--disable", "ro-a"), "virDomainSetAutostart",
         "error: Failed to unmark domain 'ro-a' as autostarted\n"),
        (("desc", "ro-a", "zz"), "virDomainSetMetadata",
         "error: Failed to set new domain description\n"),
        (("desc", "ro-a", "--title", "zz"), "virDomainSetMetadata",
         "error: Failed to set new domain title\n"),
        (("metadata", "ro-a", "--uri", "http://x.org/", "--key", "k", "--set",
          "<a/>"), "virDomainSetMetadata", ""),
        (("domrename", "ro-a", "ro-b"), "virDomainRename", ""),
    ]

    def _check(self, **kw):
        p = self.tmpfile("ro-new.xml", domain_xml("ro-new"))
        rc, out, err = self.virsh("define", p, **kw)
        self.assertEqual((rc, err), (1, "error: Failed to define domain from %s\n"
                                     "error: operation forbidden: read only access "
                                     "prevents virDomainDefineXML\n" % p))
        self.assertNothingStored("ro-new")
        for args, api, prefix in self.MUTATIONS:
            with self.subTest(cmd=args):
                rc, out, err = self.virsh(*args, **kw)
                self.assertEqual(rc, 1)
                self.assertEqual(err, prefix + "error: operation forbidden: read "
                                 "only access prevents %s\n" % api)
        # nothing changed
        before = self.virsh_ok("dumpxml", "ro-a")
        self.assertIn("<memory unit='KiB'>131072</memory>", before)
        self.assertNotIn("<title>", before)
        self.assertFalse(os.path.lexists(self.d.autostart_link("ro-a")))
        self.assertTrue(os.path.isfile(self.d.domain_file("ro-a")))
        # secure XML is refused too
        rc, out, err = self.virsh("dumpxml", "ro-a", "--security-info", **kw)
        self.assertEqual((rc, err), (1, "error: operation forbidden: "
                                     "virDomainGetXMLDesc with secure flag\n"))
        # queries work
        self.assertEqual(self.virsh("list", "--all", "--name", **kw)[:2],
                         (0, "ro-a\n\n"))
        self.assertEqual(self.virsh("domstate", "ro-a", **kw)[:2],
                         (0, "shut off\n\n"))

    def test_ro_socket(self):
        self._check(ro=True)

    def test_virsh_r_flag(self):
        self._check(readonly_flag=True)

    def test_edit_ro(self):
        ed = write_file(os.path.join(self.d.root, "ed.sh"),
                        "#!/bin/sh\nsed -i 's/131072/262144/g' \"$1\"\n")
        os.chmod(ed, 0o755)
        rc, out, err = self.virsh("edit", "ro-a", ro=True, env={"EDITOR": ed})
        # virsh edit fetches the XML with the secure flag first
        self.assertEqual((rc, err), (1, "error: operation forbidden: "
                                     "virDomainGetXMLDesc with secure flag\n"))
        self.assertIn("<memory unit='KiB'>131072</memory>",
                      self.virsh_ok("dumpxml", "ro-a"))


if __name__ == "__main__":
    sys.exit(harness.main())
