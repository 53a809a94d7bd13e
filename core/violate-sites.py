#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""violate-sites.py - every hvo_violate() call site, its invariant and its kind.

  violate-sites.py [--check FILE] [ROOT]

Prints reports/violate-sites.md to stdout: each call site of hvo_violate in
core/src, fuzz and stress (file, function, invariant, message) with its kind
from the table below.  --check FILE compares the output with FILE and exits
1 when they differ (a call site added, removed or moved to another function
without the list being updated: rerun and commit), 2 on a site the table does
not classify or on a usage error, 0 when they agree.
"""
import os
import re
import sys

KINDS = {
    'general': 'a state invariant the checker judges after every operation, for any mutant',
    'op': 'an operation-level equivalence judged around one operation (I8/I9 snapshots in the pool layer)',
    'kernel': "the kernel's own assertion or fault at that place (WARN/BUG, the MMU's RO fault, lockdep)",
    'model': "the model's own consistency (a state the model cannot represent)",
    'shaped': 'written for one mutant\'s symptom, and why it has to stay where it is',
}

# (file, function, invariant) -> (kind, why).  Every site must be here.
TABLE = {
    ('core/src/boot.c', 'read_pageblocks', 15): ('general', 'every boot reader of struct pages (gather, migratetype, zone contiguity) meets only initialised ones; the read is the bug (B9, B11), the end state is clean'),
    ('core/src/check.c', 'check_one_zone', 15): ('general', "a folio's memory lies in one zone, run by run on the allocator's zone map (kernelcore=mirror; Z1)"),
    ('core/src/check.c', 'check_irq_state', 0): ('general', "every CPU's IRQ state and lockdep record balanced at a quiescent point (one host thread)"),
    ('core/src/check.c', 'check_tails', 5): ('general', ''),
    ('core/src/check.c', 'check_tails', 4): ('general', "the checker's own image (oracle_image.c)"),
    ('core/src/check.c', 'check_mapping', 3): ('general', ''),
    ('core/src/check.c', 'check_mapping', 12): ('general', ''),
    ('core/src/check.c', 'check_mapping', 11): ('general', ''),
    ('core/src/check.c', 'check_mapping', 17): ('general', 'conservation of vmemmap pages'),
    ('core/src/check.c', 'check_struct_pages', 1): ('general', ''),
    ('core/src/check.c', 'check_struct_pages', 2): ('general', ''),
    ('core/src/check.c', 'check_folio', 18): ('general', 'the config names the memmap_on_memory nodes (oracle_geo.c)'),
    ('core/src/check.c', 'check_folio', 16): ('general', ''),
    ('core/src/check.c', 'check_folio', 7): ('general', ''),
    ('core/src/check.c', 'check_folio', 4): ('general', ''),
    ('core/src/check.c', 'check_folio', 3): ('general', 'the partial shape only after a reported failed walk'),
    ('core/src/check.c', 'check_batches', 19): ('general', 'from the sync seam\'s count per batch'),
    ('core/src/check.c', 'check', 0): ('general', 'no lock held at a quiescent point'),
    ('core/src/check.c', 'check_wrprotect_flushed', 10): ('general', 'every write-protect pending a flush at a quiescent point (D10)'),
    ('core/src/check_dax.c', 'check_refs', 14): ('general', ''),
    ('core/src/check_dax.c', 'check_page', 1): ('general', ''),
    ('core/src/check_dax.c', 'check_page', 2): ('general', ''),
    ('core/src/check_dax.c', 'check_page', 4): ('general', ''),
    ('core/src/check_dax.c', 'check_section', 3): ('general', ''),
    ('core/src/check_dax.c', 'check_section', 18): ('general', ''),
    ('core/src/check_dax.c', 'check_section', 11): ('general', ''),
    ('core/src/check_pool.c', 'check_pool', 21): ('general', 'the pool counters against the folio table (D7)'),
    ('core/src/check_ro.c', 'report_head', 10): ('general', 'every read-only PTE, spec decode'),
    ('core/src/check_ro.c', 'check_ro_page', 10): ('general', 'every read-only PTE: counts and owner'),
    ('core/src/folio.c', 'check_rolled_back', 9): ('op', 'bytes before and after a failed optimize'),
    ('core/src/folio.c', 'check_restored', 8): ('op', "bytes before and after a restore, tails against the checker's image"),
    ('core/src/folio.c', 'demote_split', 0): ('model', 'the folio\'s allocation cannot be split'),
    ('core/src/hugetlb_vmemmap.c', 'g2_get_tail', 6): ('kernel', 'the table index bound (B18)'),
    ('core/src/hugetlb_vmemmap.c', 'vmemmap_remap_range', 0): ('kernel', "the kernel's VM_BUG_ON / BUG on a bad range or a missing PTE"),
    ('core/src/hugetlb_vmemmap.c', 'vmemmap_restore_pte', 17): ('kernel', 'list_first_entry() on an empty list: an oops where it happens'),
    ('core/src/hugetlb_vmemmap.c', 'folio_precheck', 7): ('kernel', 'VM_WARN_ON_ONCE(!folio_test_hugetlb) (B4)'),
    ('core/src/hugetlb_vmemmap.c', 'folio_precheck', 13): ('kernel', 'VM_WARN_ON_ONCE(folio_ref_count) (I13)'),
    ('core/src/hugetlb_vmemmap.c', 'restore_liveness', 0): ('shaped', 'B26: probes the allocator at the failure, before the partial pages go back; the checker cannot see that state'),
    ('core/src/machine.c', 'mach_free', 12): ('general', 'every free: no stale translation, no double free'),
    ('core/src/machine.c', 'mach_free', 23): ('kernel', "every free: a page of a non-compound block never split_page()d, put_page_testzero's VM_BUG_ON_PAGE on a zero refcount (H4)"),
    ('core/src/shadow.c', 'shadow_compare', 0): ('general', 'identity, pool state, placement predicted from the config'),
    ('core/src/shadow.c', 'overlap', 0): ('general', 'no two live folios share a page'),
    ('core/src/shadow.c', 'shadow_compare', 7): ('general', ''),
    ('core/src/shadow.c', 'shadow_compare', 13): ('general', ''),
    ('core/src/sparse_g3.c', 'tail_put', 14): ('kernel', "put_page()'s VM_BUG_ON on a zero refcount"),
    ('core/src/sparse_g3.c', 'pte_populate', 3): ('model', 'G3 sections are never PMD-mapped'),
    ('core/src/sync.c', 'mlock_irq', 0): ('kernel', 'lockdep: a lock taken twice'),
    ('core/src/lockdep.c', 'lockdep_acquired', 22): ('kernel', 'lockdep: the IRQ-safe hugetlb_lock taken with IRQs on (B15)'),
    ('core/src/lockdep.c', 'hvo_irq_free_huge_folio', 22): ('kernel', 'an interrupt spinning on hugetlb_lock its CPU holds: the self-deadlock (B15)'),
    ('core/src/sync.c', 'synchronize_rcu', 12): ('kernel', 'a grace period that can never end on one CPU'),
    ('core/src/tlb_cpu.c', 'tlb_cpu_translate', 0): ('model', 'more CPUs than the TLB model has room for'),
    ('core/src/tlb_cpu.c', 'tlb_cpu_translate', 12): ('general', 'every access through a stale TLB entry to a freed page'),
    ('core/src/vmemmap.c', 'field_for', 0): ('kernel', 'a fault on an unmapped vmemmap address'),
    ('core/src/vmemmap.c', 'field_for', 10): ('kernel', "the MMU's fault on a write through a read-only PTE"),
    ('core/src/vmemmap.c', 'vm_split_pmd', 0): ('model', 'a PMD block that is not one allocation'),
}

FUNC = re.compile(r'^(?:static\s+)?(?:inline\s+)?[a-z_][\w\s\*]*?\b(\w+)\(')
CALL = re.compile(r'\bhvo_violate\(\s*\w+\s*,\s*(\d+)\s*,')
LIT = re.compile(r'"((?:[^"\\]|\\.)*)"')
# the format: the first string literal and those adjacent to it
FMT = re.compile(r'"(?:[^"\\]|\\.)*"(?:\s*"(?:[^"\\]|\\.)*")*')


def sites(root):
    for d in ('core/src', 'fuzz', 'stress'):
        for fn in sorted(os.listdir(os.path.join(root, d))):
            if not fn.endswith('.c'):
                continue
            rel = d + '/' + fn
            with open(os.path.join(root, rel)) as f:
                text = f.read()
            lines = text.split('\n')
            func = None
            for i, line in enumerate(lines):
                m = FUNC.match(line)
                if m and not line.rstrip().endswith(';'):
                    func = m.group(1)
                for c in CALL.finditer(line):
                    # the message: the call's string literals up to its ');'
                    call = '\n'.join(lines[i:i + 6])
                    call = call[call.index('hvo_violate'):]
                    call = call[:call.index(');')] if ');' in call else call
                    call = re.sub(r'"\s*PRI[diux]64\s*"', 'll', call)
                    fmt = FMT.search(call)
                    msg = ''.join(LIT.findall(fmt.group(0))) if fmt else ''
                    yield rel, func, int(c.group(1)), msg


def render(root):
    out = ['# hvo_violate call sites', '',
           'Generated by `core/violate-sites.py`; the `unit` test `violate-sites` fails',
           'when a call site is added, removed or moved without this list being',
           'regenerated (`core/violate-sites.py > reports/violate-sites.md`).', '',
           'Kinds:', '']
    for k, v in KINDS.items():
        out.append(f'- **{k}**: {v}')
    out += ['', '| file | function | inv | kind | message | why |', '|---|---|---|---|---|---|']
    counts = {k: 0 for k in KINDS}
    missing = []
    for rel, func, inv, msg in sites(root):
        key = (rel, func, inv)
        if key not in TABLE:
            missing.append(key)
            continue
        kind, why = TABLE[key]
        counts[kind] += 1
        msg = msg.replace('|', '\\|')
        out.append(f'| {rel} | {func} | I{inv} | {kind} | {msg} | {why} |')
    out += ['', 'Totals: ' + ', '.join(f'{k} {n}' for k, n in counts.items()) + '.', '']
    return '\n'.join(out), missing


def main(argv):
    check = None
    args = argv[1:]
    if args and args[0] in ('-h', '--help'):
        print(__doc__.strip())
        return 0
    if args and args[0] == '--check':
        if len(args) < 2:
            print('violate-sites: --check needs a file', file=sys.stderr)
            return 2
        check = args[1]
        args = args[2:]
    root = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
    text, missing = render(root)
    if missing:
        for rel, func, inv in missing:
            print(f'violate-sites: {rel} {func} I{inv} is not classified (add it to TABLE)', file=sys.stderr)
        return 2
    if check is None:
        sys.stdout.write(text)
        return 0
    try:
        with open(check) as f:
            have = f.read()
    except OSError as e:
        print(f'violate-sites: {e}', file=sys.stderr)
        return 2
    if have != text:
        print(f'violate-sites: {check} is out of date: run core/violate-sites.py > {check}', file=sys.stderr)
        return 1
    print(f'violate-sites: {check} lists every call site ({text.count(chr(10) + "| core")} sites)')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
