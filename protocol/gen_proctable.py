#!/usr/bin/python3
"""Generate a procedure table (mvProgramInfo, see proctable.h) from the
procedure enum of one of our .x files.

    gen_proctable.py INPUT.x OUTDIR

writes OUTDIR/<prog>_proctable.h and OUTDIR/<prog>_proctable.c, where <prog>
is the enum's name without "_procedure" (remote_procedure -> remote).

What the generator reads from INPUT.x:
  * `const <PROG>_PROGRAM = ...;` and `const <PROG>_PROTOCOL_VERSION = ...;`
  * `enum <prog>_procedure { <PROG>_PROC_NAME = N, ... };` with an optional
    comment after each entry holding annotations (documented in
    remote_protocol.x): @write @priority @readstream @writestream @event
    @noauth @authstep @rocond @api=NAME
  * which structs exist: procedure <PROG>_PROC_FOO_BAR takes
    <prog>_foo_bar_args and returns <prog>_foo_bar_ret; an @event carries
    <prog>_foo_bar_msg (reported as the args of the entry); a missing struct
    means an empty body (MV_XDR_VOID, size 0).

Each callable procedure gets a dispatch pointer to a weak symbol
mv<Prog>Dispatch<CamelName> (DOMAIN_GET_XML_DESC -> ...DomainGetXmlDesc), so a
handler that no linked object defines is NULL.  Events get no handler.

Python 3 standard library only; output depends only on the input file.
"""
import os
import re
import sys

# Words that keep a special spelling in public API names (virDomainGetXMLDesc,
# virDomainLookupByUUID, virNWFilterDefineXML, ...).  Must match the rule the
# @api annotations in the .x files were written against.
API_WORDS = {
    'XML': 'XML', 'UUID': 'UUID', 'ID': 'ID', 'CPU': 'CPU', 'OS': 'OS',
    'DHCP': 'DHCP', 'MAC': 'MAC', 'SEV': 'SEV', 'URI': 'URI', 'SCSI': 'SCSI',
    'WWN': 'WWN', 'NMI': 'NMI', 'PM': 'PM', 'FD': 'FD', 'SSH': 'SSH',
    'NWFILTER': 'NWFilter', 'NWFILTERS': 'NWFilters', 'IOTHREAD': 'IOThread',
    'FSTRIM': 'FSTrim', 'FSFREEZE': 'FSFreeze', 'FSTHAW': 'FSThaw',
    'FSINFO': 'FSInfo',
}

FLAG_OF = {
    'write': 'MV_PROC_WRITE',
    'priority': 'MV_PROC_PRIORITY',
    'readstream': 'MV_PROC_STREAM',
    'writestream': 'MV_PROC_STREAM',
    'noauth': 'MV_PROC_NO_AUTH',
    'event': 'MV_PROC_EVENT',
    'authstep': 'MV_PROC_AUTH_STEP',
    'rocond': None,
}


def camel(words, special=None):
    out = []
    for w in words:
        if special and w in special:
            out.append(special[w])
        else:
            out.append(w[:1].upper() + w[1:].lower())
    return ''.join(out)


def strip_comments(text):
    return re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)


class Proc:
    def __init__(self, num, name, annots):
        self.num = num
        self.name = name          # "DOMAIN_GET_XML_DESC"
        self.annots = annots      # dict: annotation -> value or True


def parse(path):
    text = open(path, encoding='utf-8').read()
    m = re.search(r'enum\s+(\w+)_procedure\s*\{(.*?)\};', text, re.S)
    if not m:
        sys.exit('%s: no "enum <prog>_procedure" found' % path)
    prog = m.group(1)
    PROG = prog.upper()
    body = m.group(2)
    procs = []
    entry = re.compile(r'^[ \t]*%s_PROC_(\w+)[ \t]*=[ \t]*(\d+)[ \t]*,?[ \t]*(?:/\*(.*?)\*/)?' % PROG, re.M)
    for e in entry.finditer(body):
        annots = {}
        for a in re.findall(r'@([\w]+)(?:=(\S+))?', e.group(3) or ''):
            if a[0] not in FLAG_OF and a[0] != 'api':
                sys.exit('%s: %s: unknown annotation @%s' % (path, e.group(1), a[0]))
            annots[a[0]] = a[1] if a[1] else True
        procs.append(Proc(int(e.group(2)), e.group(1), annots))
    declared = re.findall(r'\b%s_PROC_\w+\s*=' % PROG, strip_comments(body))
    if len(declared) != len(procs):
        sys.exit('%s: parsed %d of %d procedures' % (path, len(procs), len(declared)))
    nums = [p.num for p in procs]
    if len(set(nums)) != len(nums):
        sys.exit('%s: duplicate procedure numbers' % path)
    if any(n <= 0 for n in nums):
        sys.exit('%s: procedure numbers start at 1' % path)
    plain = strip_comments(text)
    structs = set(re.findall(r'^\s*struct\s+(\w+)\s*\{', plain, re.M))
    consts = dict(re.findall(r'^\s*const\s+(\w+)\s*=\s*(\w+)\s*;', plain, re.M))
    for c in ('%s_PROGRAM' % PROG, '%s_PROTOCOL_VERSION' % PROG):
        if c not in consts:
            sys.exit('%s: missing const %s' % (path, c))
    return prog, procs, structs


def c_str(s):
    return 'NULL' if s is None else '"%s"' % s


def generate(path, outdir):
    prog, procs, structs = parse(path)
    PROG = prog.upper()
    Prog = camel(prog.split('_'))
    base = os.path.splitext(os.path.basename(path))[0]   # remote_protocol
    hname = '%s_proctable.h' % prog
    cname = '%s_proctable.c' % prog
    procs.sort(key=lambda p: p.num)
    nprocs = procs[-1].num + 1 if procs else 1
    guard = 'MV_%s_PROCTABLE_H' % PROG

    rows = []
    handlers = []
    for p in procs:
        words = p.name.split('_')
        lower = p.name.lower()
        event = 'event' in p.annots
        if 'api' in p.annots:
            api = None if p.annots['api'] == '-' else p.annots['api']
        elif event:
            api = None
        else:
            api = 'vir' + camel(words, API_WORDS)
        args = ret = None
        if event:
            if '%s_%s_msg' % (prog, lower) in structs:
                args = '%s_%s_msg' % (prog, lower)
        else:
            if '%s_%s_args' % (prog, lower) in structs:
                args = '%s_%s_args' % (prog, lower)
            if '%s_%s_ret' % (prog, lower) in structs:
                ret = '%s_%s_ret' % (prog, lower)
        flags = []
        for a in p.annots:
            f = FLAG_OF.get(a)
            if f and f not in flags:
                flags.append(f)
        order = ['MV_PROC_WRITE', 'MV_PROC_PRIORITY', 'MV_PROC_STREAM', 'MV_PROC_NO_AUTH',
                 'MV_PROC_EVENT', 'MV_PROC_AUTH_STEP']
        flags.sort(key=order.index)
        handler = None
        if not event:
            handler = 'mv%sDispatch%s' % (Prog, camel(words))
            handlers.append(handler)
        rows.append((p, api, args, ret, flags, handler))

    # ---- header ----
    h = []
    h.append('/* Generated by protocol/gen_proctable.py from %s.x: do not edit. */' % base)
    h.append('#ifndef %s' % guard)
    h.append('#define %s' % guard)
    h.append('')
    h.append('#include "proctable.h"')
    h.append('#include "%s.h"' % base)
    h.append('')
    h.append('#ifdef __cplusplus')
    h.append('extern "C" {')
    h.append('#endif')
    h.append('')
    h.append('/* Procedure table of %s_PROGRAM, indexed by procedure number. */' % PROG)
    h.append('extern const mvProgramInfo mv%sProgram;' % Prog)
    h.append('')
    h.append('/* Highest procedure number + 1. */')
    h.append('#define MV_%s_NPROCS %d' % (PROG, nprocs))
    h.append('')
    h.append('/* "DOMAIN_GET_XML_DESC" for REMOTE_PROC_DOMAIN_GET_XML_DESC; NULL when')
    h.append(' * @proc is not a procedure of this program. */')
    h.append('const char *mv%sProcToString(int proc);' % Prog)
    h.append('')
    h.append('/* Handlers.  Define any of these (with exactly this signature: args and')
    h.append(' * ret point to the procedure\'s _args / _ret structs; for a void body')
    h.append(' * lib/rpc decides what it passes) in an object file linked into the')
    h.append(' * daemon and the table picks it up; the table refers to them weakly, so')
    h.append(' * a missing handler is NULL.  A weak reference does not pull a member')
    h.append(' * out of a static archive:')
    h.append(' * link handler objects directly (or as an OBJECT library). */')
    h.append('#ifndef MV_PROCTABLE_NO_HANDLER_PROTOTYPES')
    for hd in handlers:
        h.append('int %s(struct mvRpcCall *call, void *args, void *ret);' % hd)
    h.append('#endif')
    h.append('')
    h.append('#ifdef __cplusplus')
    h.append('}')
    h.append('#endif')
    h.append('')
    h.append('#endif /* %s */' % guard)

    # ---- source ----
    c = []
    c.append('/* Generated by protocol/gen_proctable.py from %s.x: do not edit. */' % base)
    c.append('#define MV_PROCTABLE_NO_HANDLER_PROTOTYPES 1')
    c.append('#include "%s"' % hname)
    c.append('')
    c.append('/* Weak references: NULL unless some linked object defines the handler. */')
    for hd in handlers:
        c.append('extern int %s(struct mvRpcCall *, void *, void *) __attribute__((weak));' % hd)
    c.append('')
    c.append('static const mvProcInfo %sProcs[%d] = {' % (prog, nprocs))
    for p, api, args, ret, flags, handler in rows:
        c.append('    [%d] = {' % p.num)
        c.append('        .proc = %d,' % p.num)
        c.append('        .name = "%s",' % p.name)
        c.append('        .api = %s,' % c_str(api))
        if args:
            c.append('        .args_filter = (xdrproc_t)xdr_%s,' % args)
            c.append('        .args_size = sizeof(%s),' % args)
        else:
            c.append('        .args_filter = MV_XDR_VOID,')
            c.append('        .args_size = 0,')
        if ret:
            c.append('        .ret_filter = (xdrproc_t)xdr_%s,' % ret)
            c.append('        .ret_size = sizeof(%s),' % ret)
        else:
            c.append('        .ret_filter = MV_XDR_VOID,')
            c.append('        .ret_size = 0,')
        c.append('        .flags = %s,' % (' | '.join(flags) if flags else '0'))
        c.append('        .dispatch = %s,' % (handler if handler else 'NULL'))
        c.append('    },')
    c.append('};')
    c.append('')
    c.append('const mvProgramInfo mv%sProgram = {' % Prog)
    c.append('    .program = %s_PROGRAM,' % PROG)
    c.append('    .version = %s_PROTOCOL_VERSION,' % PROG)
    c.append('    .procs = %sProcs,' % prog)
    c.append('    .nprocs = %d,' % nprocs)
    c.append('};')
    c.append('')
    c.append('const char *')
    c.append('mv%sProcToString(int proc)' % Prog)
    c.append('{')
    c.append('    if (proc <= 0 || proc >= %d || %sProcs[proc].proc == 0)' % (nprocs, prog))
    c.append('        return NULL;')
    c.append('    return %sProcs[proc].name;' % prog)
    c.append('}')

    os.makedirs(outdir, exist_ok=True)
    for name, lines in ((hname, h), (cname, c)):
        data = '\n'.join(lines) + '\n'
        dest = os.path.join(outdir, name)
        with open(dest + '.tmp', 'w', encoding='utf-8') as f:
            f.write(data)
        os.replace(dest + '.tmp', dest)


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit('usage: gen_proctable.py INPUT.x OUTDIR')
    generate(sys.argv[1], sys.argv[2])
