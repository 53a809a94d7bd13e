#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""time-to-find.py [--time S] [--out FILE] [MUTANT...] - how long libFuzzer
takes to find each zoo mutant, in two columns:

  empty   from an empty corpus
  seeds   from the committed seeds corpus/TARGET/*.bin with every near-copy
          of a zoo witness removed (fuzz/near_copies.py, threshold 0.5)

A mutant counts as found only when a crash shows the invariant its witness
names (the expect-fail lines of corpus/zoo/ID*.ops or sched/ID.sched; a
sanitizer report naming the function of a 'sanitizer:FN' clause counts
too): libFuzzer runs with -fork=1 -ignore_crashes=1, so a crash of another
kind is recorded and the search goes on.  Each crash is replayed once to
read what it shows.  Time: from the start to the matching crash file
(fork mode writes a crash when its job ends: the figure is at a job's
granularity, about a second).  One process, -seed=1, the target's
dictionary and max_len, capped at --time seconds (default 20).

Writes the Markdown table to --out (default reports/time-to-find.md).
Exit: 0 done, 2 usage/I-O/build error, 130 interrupted.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, 'fuzz'))
import near_copies  # noqa: E402

TARGET_OF = {
    'B9': 'fuzz_boot', 'B10': 'fuzz_boot', 'B11': 'fuzz_boot', 'B16': 'fuzz_boot',
    # the boot batch's write-protect (a batch of pre-HVO folios only)
    'wrprotect-noflush': 'fuzz_boot',
    # interleaved zones (kernelcore=mirror): fuzz_boot's C bit 6
    'Z1': 'fuzz_boot',
    'B20a': 'fuzz_dax', 'B20b': 'fuzz_dax', 'B21': 'fuzz_dax', 'B12d': 'fuzz_dax', 'B12e': 'fuzz_dax', 'B25': 'fuzz_dax',
    'B7-G1': 'fuzz_diff', 'B3': 'fuzz_diff',
    'B1': 'fuzz_sched', 'B2': 'fuzz_sched', 'B24': 'fuzz_sched', 'B28': 'fuzz_sched',
    'B1-gp': 'fuzz_sched', 'W1': 'fuzz_sched',
    # weak-memory races: fuzz_sched's weak mode (bit 7 of byte 1) is their only fuzz target
    'B17e': 'fuzz_sched', 'B17f': 'fuzz_sched', 'B6': 'fuzz_sched',
}
THRESHOLD = 0.5


def zoo_mutants():
    """{mutant: (expected IDs, sanitizer functions)} from the witnesses."""
    zoo = os.path.join(TOP, 'corpus', 'zoo')
    files = glob.glob(os.path.join(zoo, '*.ops')) + glob.glob(os.path.join(zoo, 'sched', '*.sched'))
    out = {}
    for f in sorted(files):
        name = os.path.basename(f).rsplit('.', 1)[0]
        mu = re.sub(r'-(on-g1|nohvo|pmd-populate)$', '', name)
        for ln in open(f):
            m = re.match(r'expect-fail\s+(I\d+)(.*)', ln)
            if m:
                ids, fns = out.setdefault(mu, (set(), set()))
                ids.add(m.group(1))
                fns.update(re.findall(r'sanitizer:(\w+)', m.group(2)))
    return out


def with_known(target, mu):
    """mu plus the repair variants of the target's known findings
    (fuzz/known-findings.txt), as ./hvo fuzz runs them: a campaign that
    re-finds S1 first would only time S1."""
    r = subprocess.run([os.path.join(TOP, 'fuzz', 'known.sh'), target], capture_output=True, text=True, check=True)
    rep = r.stdout.split()[0] if r.stdout.split() else ''
    return ','.join(x for x in (mu, rep) if x)


def options(target):
    opts = {}
    for ln in open(os.path.join(TOP, 'corpus', target + '.options')):
        m = re.match(r'\s*(\w+)\s*=\s*(\S+)', ln)
        if m:
            opts[m.group(1)] = m.group(2)
    return opts


def shows(bin_, mu, crash, ids, fns):
    """What a crash file shows with the mutant on: (matches, label)."""
    r = subprocess.run([bin_, crash], env=dict(os.environ, HVO_MUTANTS=mu), capture_output=True, text=True,
                       timeout=60)
    out = r.stderr + r.stdout
    # "FAILURE: op 3 (alloc): I9 pfn=..." (op streams), "FAILURE: oracle: I1: ..." (fuzz_sched),
    # fuzz_diff: "DIVERGENCE: G1: op 0 (alloc): I19 ..." (one generation failed)
    m = re.search(r'(?:FAILURE|DIVERGENCE):[^\n]*?\b(I\d{1,2})\b', out)
    if m:
        return m.group(1) in ids, m.group(1)
    m = re.search(r'ERROR: (\w+Sanitizer): ([\w-]+)', out)
    if m:
        ok = any(re.search(r'in %s\b' % fn, out) for fn in fns)
        return ok, '%s %s' % (m.group(1), m.group(2))
    m = re.search(r'FAILURE: ([^\n]{1,60})', out)
    if m:
        return False, m.group(1).replace('|', '/')
    if 'timeout' in out:
        return False, 'timeout'
    return False, 'other'


def campaign(bld, target, mu, ids, fns, seeds, cap, work):
    """(found, seconds, executions, what the first matching/other crashes show)."""
    shutil.rmtree(work, ignore_errors=True)
    corp = os.path.join(work, 'corpus')
    art = os.path.join(work, 'crashes') + '/'
    os.makedirs(corp)
    os.makedirs(art)
    for s in seeds:
        shutil.copy(s, corp)
    o = options(target)
    bin_ = os.path.join(bld, 'fuzz', target)
    cmd = [bin_, '-seed=1', '-fork=1', '-ignore_crashes=1', '-ignore_timeouts=1', '-ignore_ooms=1',
           '-max_total_time=%d' % cap, '-artifact_prefix=' + art, '-timeout=' + o.get('timeout', '25'),
           '-max_len=' + o.get('max_len', '1024'), '-dict=' + os.path.join(TOP, 'corpus', o['dict']), corp]
    t0 = time.time()
    with open(os.path.join(work, 'engine.log'), 'w') as log:
        p = subprocess.Popen(cmd, cwd=work, env=dict(os.environ, HVO_MUTANTS=with_known(target, mu)), stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
        seen = set()
        found = None
        others = []
        try:
            while p.poll() is None and found is None:
                time.sleep(0.5)
                for c in sorted(glob.glob(art + 'crash-*'), key=os.path.getmtime):
                    if c in seen:
                        continue
                    seen.add(c)
                    ok, what = shows(bin_, with_known(target, mu), c, ids, fns)
                    if ok:
                        found = (os.path.getmtime(c) - t0, what)
                        break
                    others.append(what)
        finally:
            if p.poll() is None:
                os.killpg(p.pid, 9)
            p.wait()
    if found is None:
        for c in sorted(glob.glob(art + 'crash-*'), key=os.path.getmtime):
            if c not in seen:
                ok, what = shows(bin_, with_known(target, mu), c, ids, fns)
                if ok and found is None:
                    found = (os.path.getmtime(c) - t0, what)
                elif not ok:
                    others.append(what)
    execs = ''
    for ln in open(os.path.join(work, 'engine.log'), errors='replace'):
        m = re.search(r'#(\d+)\b', ln)
        if m:
            execs = m.group(1)
    return found, execs, sorted(set(others))


def main(argv):
    ap = argparse.ArgumentParser(prog='time-to-find.py', description=__doc__.split('\n\n')[0])
    ap.add_argument('--time', type=int, default=20, help='seconds per campaign (default 20)')
    ap.add_argument('--out', default=os.path.join(TOP, 'reports', 'time-to-find.md'))
    ap.add_argument('mutants', nargs='*')
    try:
        a = ap.parse_args(argv)
    except SystemExit as e:
        return 0 if e.code == 0 else 2
    if a.time < 1:
        print('time-to-find: --time must be positive', file=sys.stderr)
        return 2
    builds = os.environ.get('HVO_BUILD_ROOT', os.path.join(TOP, 'build'))
    targets = sorted(set(TARGET_OF.values()) | {'fuzz_ops'})
    r = subprocess.run([os.path.join(TOP, 'fuzz', 'fuzz-build.sh'), 'libfuzzer'] + targets,
                       capture_output=True, text=True, env=dict(os.environ, HVO_BUILD_ROOT=builds))
    if r.returncode:
        print(r.stderr, file=sys.stderr)
        return 2
    bld = r.stdout.strip().splitlines()[-1]
    zoo = zoo_mutants()
    names = a.mutants or list(zoo)
    unknown = [n for n in names if n not in zoo]
    if unknown:
        print('time-to-find: no witness names %s' % ', '.join(unknown), file=sys.stderr)
        return 2
    wits = near_copies.witnesses()
    kept, dropped = {}, {}
    for t in targets:
        rows = near_copies.classify(t, wits, THRESHOLD)
        kept[t] = [os.path.join(TOP, 'corpus', t, n) for n, _, _, near in rows if not near]
        dropped[t] = ['%s (%.2f %s)' % (n[:-4], r, w) for n, r, w, near in rows if near]
    work = os.path.join(builds, 'time-to-find')
    rows = []
    t_all = time.time()
    try:
        for mu in names:
            ids, fns = zoo[mu]
            t = TARGET_OF.get(mu, 'fuzz_ops')
            cells = []
            for mode, seeds in (('empty', []), ('seeds', kept[t])):
                found, execs, others = campaign(bld, t, mu, ids, fns, seeds, a.time,
                                                os.path.join(work, '%s-%s' % (mu, mode)))
                cells.append('%.1f' % found[0] if found else '**no** (> %d)' % a.time)
                cells.append(execs)
                cells.append(', '.join(others) if others else '')
            rows.append('| %s | %s | %s | %s |' % (mu, t, '/'.join(sorted(ids)) + ''.join(
                ' or sanitizer in ' + f for f in sorted(fns)), ' | '.join(cells)))
            print('time-to-find: %s %s' % (mu, rows[-1]), flush=True)
    except KeyboardInterrupt:
        print('time-to-find: interrupted; table not written', file=sys.stderr)
        return 130
    total = time.time() - t_all
    if a.mutants and os.path.exists(a.out):
        # the rows of the mutants not re-run stay as they were
        done = {r.split('|')[1].strip() for r in rows}
        old = [l.rstrip('\n') for l in open(a.out) if l.startswith('| ') and l.split('|')[1].strip() in zoo]
        byname = {l.split('|')[1].strip(): l for l in old}
        byname.update({r.split('|')[1].strip(): r for r in rows})
        rows = [byname[n] for n in zoo if n in byname]
        note = ' (rows of %s re-run on that date)' % ', '.join(sorted(done))
    else:
        note = ''
    # the hand-written summary of the last table is kept (its figures name their run)
    summary = ''
    if os.path.exists(a.out):
        text = open(a.out).read()
        if '\n## Summary (by hand)' in text:
            summary = text[text.index('\n## Summary (by hand)'):]
    try:
        with open(a.out + '.tmp', 'w') as f:
            f.write('# Time to find each mutant\n\n')
            f.write('Written by `fuzz/time-to-find.py --time %d` on %s (%.0f s in all)%s, libFuzzer (clang-19,\n'
                    'ASan+UBSan) on the target that reaches each mutant, one process, `-seed=1`,\n'
                    '`-fork=1 -ignore_crashes=1`, the target\'s dictionary, capped at %d s per campaign, on a\n'
                    '2-core machine shared with other work.  Found = a crash showing the invariant the\n'
                    'mutant\'s witnesses name (their `expect-fail` lines), never just any crash; the other\n'
                    'crashes seen are listed.  Time: start to the matching crash file (at the granularity of\n'
                    'a fork-mode job).  Executions: libFuzzer\'s last count.  The known findings of\n'
                    '`fuzz/known-findings.txt` run repaired beside the mutant (S1: V7-boot-fallback-undo on\n'
                    'fuzz_boot, fuzz_ops, fuzz_dax and fuzz_diff), as `./hvo fuzz` runs them.\n\n'
                    '- **empty**: from an empty corpus.\n'
                    '- **seeds**: from the committed seeds `corpus/TARGET/*.bin` minus every near-copy of a\n'
                    '  zoo witness: a seed whose normalised op stream (comments and expect lines dropped,\n'
                    '  numbers replaced by N) has difflib similarity >= %.1f to any `corpus/zoo/*.ops`\n'
                    '  (`fuzz/near_copies.py`).  Removed: %s.  fuzz_boot and fuzz_sched seeds have no\n'
                    '  text form and are all kept.\n\n' % (
                        a.time, time.strftime('%Y-%m-%d', time.gmtime()), total, note, a.time, THRESHOLD,
                        '; '.join('%s: %s' % (t, ', '.join(d)) for t, d in dropped.items() if d)))
            f.write('| mutant | target | expected | empty: time (s) | execs | other crashes '
                    '| seeds: time (s) | execs | other crashes |\n')
            f.write('|---|---|---|---|---|---|---|---|---|\n')
            for r in rows:
                f.write(r + '\n')
            f.write('\nB17e, B17f and B6 (a missing acquire or barrier) are weak-memory races: '
                    'fuzz_sched reaches them only in its weak mode, the scheduler\'s `explore --weak` '
                    'finds them (fuzz/WEAK.md), and B17e also has a TSan stress witness.\n')
            if summary:
                f.write(summary)
    except OSError as e:
        print('time-to-find: %s' % e, file=sys.stderr)
        return 2
    os.replace(a.out + '.tmp', a.out)
    print('time-to-find: %s written' % a.out)
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
