#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""mutate.py - source-level mutation testing of the model (issue 14, item 5).

Generates mutants of core/src/*.c deterministically from --seed with classic
operators, builds each one incrementally in a scratch copy of the tree and
runs a fixed detection pipeline on it, one column per engine:

  zoo       every zoo test of the meson 'zoo' suite (each witness clean on the
            model, and failing as its expect-fail line says with its mutant)
  workload  hvo-cli run on G2, G1, G3 and boot seeds
  unit      the unit test binaries (meson 'unit' suite, without the three
            slow whole-corpus tests, see SLOW_UNIT)
  fuzz      every fuzz target replaying its committed seed corpus (and the
            fuzz suite's "catches" checks)

A test kills a mutant when its verdict (pass/fail) differs from the unmutated
baseline's verdict measured in the same run, or it times out (T) or dies of a
signal (C).  Exit: 0 finished, 2 usage/input/I-O error, 3 nothing checked
(no mutant built), 130 interrupted.
"""
import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

ENGINES = ['zoo', 'workload', 'unit', 'fuzz']
OPERATORS = ['negate-cond', 'drop-stmt', 'swap-stmts', 'off-by-one', 'relax-order', 'skip-call']
# whole-corpus unit tests too slow for a per-mutant run (15-27 s each); the
# zoo and fuzz columns replay the same inputs.
SLOW_UNIT = {'test_check_changed', 'test_ops_bytes', 'test_exit_codes'}
# hvo-cli run seeds: G2 4K, G2 other page sizes, G1, G3 with DAX, bootmem boot
WORKLOAD_RUNS = [
    ['run', '--seed', '1', '--ops', '400'],
    ['run', '--seed', '2', '--ops', '400'],
    ['run', '--seed', '3', '--ops', '400'],
    ['run', '--seed', '0x8000000000000007', '--ops', '400'],
    ['run', '--gen', 'g1', '--seed', '1', '--ops', '400'],
    ['run', '--gen', 'g1', '--seed', '0x8000000000000002', '--ops', '400'],
    ['run', '--seed', '0x4000000000000001', '--ops', '400'],
    ['run', '--seed', '0xc000000000000003', '--ops', '400'],
    ['run', '--seed', '0x2000000000000001', '--ops', '200'],
    ['diff', '--gens', 'g1,g2,g3', '--seed', '1', '--ops', '150'],
]

DECL_RE = re.compile(r'^\s*(?:(?:static|const|volatile|register|unsigned|signed|struct|enum|union)\s+)*'
                     r'[A-Za-z_]\w*(?:\s+|\s*\*+\s*)\**\s*[A-Za-z_]\w*\s*(?:=|;|\[|,)')
KEYWORDS = {'return', 'goto', 'case', 'else', 'do', 'break', 'continue', 'default', 'sizeof'}
CALL_SKIP_RE = re.compile(r'\b(?:\w*(?:flush|free|unlock|synchronize)\w*|\w*_put)\s*\(')
ORDER_RE = re.compile(r'__ATOMIC_(?:ACQUIRE|RELEASE|SEQ_CST|ACQ_REL)\b')
# the sync seam's ordered helpers and their relaxed twins (core/src/internal.h)
SEAM_RELAX = {'load_acquire': 'read_once', 'vm_load_acquire32': 'vm_read32'}


class Interrupted(Exception):
    pass


def mask_source(lines):
    """Each line with comments and string/char literals blanked (same length),
    and whether the line is inside/part of a preprocessor directive."""
    out, pp = [], []
    in_block = False
    in_pp = False
    for ln in lines:
        is_pp = in_pp or (not in_block and ln.lstrip().startswith('#'))
        in_pp = is_pp and ln.rstrip().endswith('\\')
        buf = []
        i, n = 0, len(ln)
        while i < n:
            c = ln[i]
            if in_block:
                if ln.startswith('*/', i):
                    in_block = False
                    buf.append('  ')
                    i += 2
                    continue
                buf.append(' ' if c != '\n' else c)
                i += 1
                continue
            if ln.startswith('/*', i):
                in_block = True
                buf.append('  ')
                i += 2
                continue
            if ln.startswith('//', i):
                buf.append(' ' * (n - i - 1) + ('\n' if ln.endswith('\n') else ' '))
                break
            if c in '"\'':
                q = c
                buf.append(' ')
                i += 1
                while i < n and ln[i] != q:
                    if ln[i] == '\\':
                        buf.append(' ')
                        i += 1
                    if i < n:
                        buf.append(' ')
                        i += 1
                if i < n:
                    buf.append(' ')
                    i += 1
                continue
            buf.append(c)
            i += 1
        out.append(''.join(buf))
        pp.append(is_pp)
    return out, pp


def balanced(s):
    return s.count('(') == s.count(')') and s.count('[') == s.count(']')


def match_paren(s, i):
    """Index of the ')' matching s[i] == '(' on the same line, or -1."""
    depth = 0
    for j in range(i, len(s)):
        if s[j] == '(':
            depth += 1
        elif s[j] == ')':
            depth -= 1
            if depth == 0:
                return j
    return -1


def is_simple_stmt(masked, pp, k):
    """A one-line statement: not a declaration, not a control line, complete
    on its line and not the continuation of the previous line."""
    s = masked[k].strip()
    if pp[k] or not s.endswith(';') or not balanced(s) or not masked[k].startswith('\t'):
        return False
    first = re.match(r'[A-Za-z_]\w*', s)
    if first and first.group(0) in KEYWORDS | {'if', 'for', 'while', 'switch'}:
        return False
    if s.startswith('}') or s == ';':
        return False
    if DECL_RE.match(s) and not (first and first.group(0) in KEYWORDS):
        return False
    # the previous code line must end a statement or open/close a block
    j = k - 1
    while j >= 0 and not masked[j].strip():
        j -= 1
    if j < 0 or pp[j]:
        return False
    prev = masked[j].strip()
    return prev.endswith((';', '{', '}', ':'))


def sites_for_file(rel, text):
    """Every candidate mutation of one file: (op, line index, new line)."""
    lines = text.splitlines(keepends=True)
    masked, pp = mask_source(lines)
    out = []
    for k, (ln, ms) in enumerate(zip(lines, masked)):
        if pp[k] or not ms.strip() or not ln.startswith('\t'):
            continue
        body = ms.strip()
        # negate-cond: if (...) / while (...) complete on this line
        for mt in re.finditer(r'\b(if|while)\s*\(', ms):
            o = mt.end() - 1
            c = match_paren(ms, o)
            if c < 0:
                continue
            new = ln[:o + 1] + '!(' + ln[o + 1:c] + ')' + ln[c:]
            out.append(('negate-cond', k, new))
        # off-by-one: a relational operator flipped, or a +1/-1 dropped
        if not DECL_RE.match(body) or re.match(r'\s*(if|while|for|return)\b', ms):
            for mt in re.finditer(r'(?<![<>=!\-])(<=|>=|<|>)(?![<>=])', ms):
                op = mt.group(1)
                if op in ('<', '>') and ms[mt.start() - 1:mt.start()] == '-':
                    continue
                flip = {'<': '<=', '<=': '<', '>': '>=', '>=': '>'}[op]
                out.append(('off-by-one', k, ln[:mt.start()] + flip + ln[mt.end():]))
            for mt in re.finditer(r'\s([+-])\s1\b(?![.\w])', ms):
                out.append(('off-by-one', k, ln[:mt.start()] + ln[mt.end():]))
        # relax-order
        for mt in ORDER_RE.finditer(ms):
            out.append(('relax-order', k, ln[:mt.start()] + '__ATOMIC_RELAXED' + ln[mt.end():]))
        for name, relaxed in SEAM_RELAX.items():
            for mt in re.finditer(r'\b%s\s*\(' % name, ms):
                out.append(('relax-order', k, ln[:mt.start()] + relaxed + ln[mt.start() + len(name):]))
        if is_simple_stmt(masked, pp, k):
            indent = ln[:len(ln) - len(ln.lstrip())]
            repl = indent + ';\n'
            if CALL_SKIP_RE.match(body) and not re.match(r'[A-Za-z_]\w*\s*=', body):
                out.append(('skip-call', k, repl))
            elif not body.startswith(('return', 'break', 'continue', 'goto')):
                out.append(('drop-stmt', k, repl))
            # swap with the next line if it is a simple statement too
            if k + 1 < len(lines) and is_simple_stmt(masked, pp, k + 1) and ln != lines[k + 1]:
                nxt = masked[k + 1].strip()
                if not nxt.startswith(('return', 'break', 'continue', 'goto')) and \
                        not body.startswith(('return', 'break', 'continue', 'goto')):
                    out.append(('swap-stmts', k, lines[k + 1] + ln))
    return [{'file': rel, 'op': op, 'line': k + 1, 'old': lines[k] + (lines[k + 1] if op == 'swap-stmts' else ''),
             'new': new} for op, k, new in out]


def all_sites(src):
    sites = []
    d = os.path.join(src, 'core', 'src')
    for name in sorted(os.listdir(d)):
        if name.endswith('.c'):
            with open(os.path.join(d, name)) as f:
                sites += sites_for_file('core/src/' + name, f.read())
    return sites


def order_sites(sites, seed):
    """Deterministic order: each operator's sites shuffled by the seed, then
    taken round-robin over the operators (so every operator is sampled)."""
    rng = random.Random(seed)
    by_op = {op: [s for s in sites if s['op'] == op] for op in OPERATORS}
    for op in OPERATORS:
        rng.shuffle(by_op[op])
    out = []
    while any(by_op.values()):
        for op in OPERATORS:
            if by_op[op]:
                out.append(by_op[op].pop(0))
    return out


def mutant_key(m):
    """Stable across line shifts: file, operator, old and new text."""
    h = hashlib.sha1((m['file'] + '\0' + m['op'] + '\0' + m['old'].strip() + '\0' + m['new'].strip()).encode())
    return h.hexdigest()[:12]


def diff_lines(m):
    old = [l.rstrip('\n') for l in m['old'].splitlines()]
    new = [l.rstrip('\n') for l in m['new'].splitlines()]
    return ['- ' + l.strip() for l in old] + ['+ ' + l.strip() for l in new]


def apply(text, m):
    lines = text.splitlines(keepends=True)
    k = m['line'] - 1
    n = len(m['old'].splitlines())
    if ''.join(lines[k:k + n]) != m['old']:
        # a fixture names its site by text: the unique place the old text is
        at = [i for i in range(len(lines)) if ''.join(lines[i:i + n]) == m['old']]
        if len(at) != 1:
            raise ValueError('%s:%d: the source does not match the mutant (%d places hold its text)' % (
                m['file'], m['line'], len(at)))
        k = at[0]
        m['line'] = k + 1
    return ''.join(lines[:k]) + m['new'] + ''.join(lines[k + n:])


# ---------------------------------------------------------------------------
# running

_current = set()


def run_one(cmd, env, timeout, cwd):
    """(verdict, seconds): 'pass', 'fail', 'timeout' or 'crash'."""
    t0 = time.monotonic()
    e = dict(os.environ)
    e.update(env)
    p = subprocess.Popen(cmd, cwd=cwd, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    _current.add(p)
    try:
        rc = p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        return 'timeout', time.monotonic() - t0
    finally:
        _current.discard(p)
    if rc < 0 or rc >= 128:
        return 'crash', time.monotonic() - t0
    return ('pass' if rc == 0 else 'fail'), time.monotonic() - t0


def collect_tests(bld, engines):
    out = subprocess.run(['meson', 'introspect', bld, '--tests'], capture_output=True, text=True, check=True)
    tests = []
    for t in json.loads(out.stdout):
        suites = [s.split(':')[-1] for s in t['suite']]
        name = t['name']
        if name.startswith('zoo-stress-'):
            continue  # TSan witnesses: they need the tsan build (stress/zoo_stress.sh)
        if 'zoo' in suites:
            eng = 'zoo'
        elif 'unit' in suites and name not in SLOW_UNIT:
            eng = 'unit'
        elif 'fuzz' in suites and ('replay-seeds' in name or '-catches-' in name):
            eng = 'fuzz'
        else:
            continue
        tests.append({'engine': eng, 'name': name, 'cmd': t['cmd'], 'env': t.get('env') or {},
                      'cwd': t.get('workdir') or bld})
    cli = os.path.join(bld, 'fuzz', 'hvo-cli')
    for r in WORKLOAD_RUNS:
        tests.append({'engine': 'workload', 'name': ' '.join(r), 'cmd': [cli] + r, 'env': {}, 'cwd': bld})
    return [t for t in tests if t['engine'] in engines]


def run_pipeline(tests, timeouts, jobs):
    """verdict per test name, each test once, two at a time."""
    with ThreadPoolExecutor(max_workers=jobs) as ex:
        futs = {t['name']: ex.submit(run_one, t['cmd'], t['env'], timeouts.get(t['name'], 120), t['cwd'])
                for t in tests}
        return {n: f.result() for n, f in futs.items()}


def copy_tree(top, dst):
    """Mirror the tree's files into dst, copying only what changed (so the
    scratch build stays incremental) and deleting what the tree no longer
    has (a renamed file must not linger and take a mutant)."""
    files = subprocess.run(['git', '-C', top, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
                           capture_output=True, check=True).stdout.split(b'\0')
    keep = set()
    for f in files:
        if not f:
            continue
        f = f.decode()
        s = os.path.join(top, f)
        if not os.path.isfile(s):
            continue
        keep.add(f)
        d = os.path.join(dst, f)
        os.makedirs(os.path.dirname(d), exist_ok=True)
        if not os.path.exists(d) or open(s, 'rb').read() != open(d, 'rb').read():
            shutil.copy2(s, d)
    for root, _, names in os.walk(dst):
        for n in names:
            rel = os.path.relpath(os.path.join(root, n), dst)
            if rel not in keep:
                os.remove(os.path.join(root, n))


def ninja(bld, log, targets=()):
    with open(log, 'w') as f:
        return subprocess.run(['ninja', '-C', bld] + list(targets), stdout=f,
                              stderr=subprocess.STDOUT).returncode == 0


def build_targets(bld, tests):
    """The executables the tests run (only these are relinked per mutant);
    a test argument that names a file in the build folder but is no build
    target (an output the test writes) is left out."""
    out = subprocess.run(['meson', 'introspect', bld, '--targets'], capture_output=True, text=True, check=True)
    built = {f for t in json.loads(out.stdout) for f in t['filename']}
    return sorted({os.path.relpath(c, bld) for t in tests for c in t['cmd'] if c in built})


def main(argv):
    ap = argparse.ArgumentParser(prog='./hvo mutate', description=__doc__.split('\n\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog='Exit: 0 finished, 2 usage/input/I-O error, 3 nothing checked, 130 interrupted.')
    ap.add_argument('--count', type=int, default=20, help='mutants to build and judge (default 20)')
    ap.add_argument('--seed', type=int, default=1, help='picks the mutants (default 1)')
    ap.add_argument('--engines', default=','.join(ENGINES), help='comma list of: ' + ', '.join(ENGINES))
    ap.add_argument('--mutants', metavar='FILE',
                    help='judge the mutants listed in FILE (JSON list of {file,op,line,old,new}) '
                         'before the generated ones')
    ap.add_argument('--equivalent', metavar='FILE',
                    help='keys of mutants judged equivalent by hand (one per line, # comments); '
                         'default mutate/equivalent.txt')
    ap.add_argument('--work', metavar='DIR', help='scratch directory (default build/mutate)')
    ap.add_argument('--out', metavar='FILE', help='also write the results as JSON lines to FILE')
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--list', action='store_true', help='print the candidate sites per operator and exit')
    try:
        a = ap.parse_args(argv)
    except SystemExit as e:
        return 0 if e.code == 0 else 2
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    engines = [e for e in a.engines.split(',') if e]
    if a.count < 0 or a.jobs < 1 or any(e not in ENGINES for e in engines) or not engines:
        print('hvo mutate: bad --count, --jobs or --engines (known: %s)' % ', '.join(ENGINES), file=sys.stderr)
        return 2
    work = os.path.abspath(a.work or os.path.join(os.environ.get('HVO_BUILD_ROOT', os.path.join(top, 'build')),
                                                   'mutate'))
    eqfile = a.equivalent or os.path.join(top, 'mutate', 'equivalent.txt')
    equivalent = set()
    try:
        if os.path.exists(eqfile):
            for l in open(eqfile):
                l = l.split('#')[0].strip()
                if l:
                    equivalent.add(l.split()[0])
        planted = json.load(open(a.mutants)) if a.mutants else []
    except (OSError, ValueError) as e:
        print('hvo mutate: %s' % e, file=sys.stderr)
        return 2

    sites = all_sites(top)
    if a.list:
        for op in OPERATORS:
            print('%-12s %d sites' % (op, sum(1 for s in sites if s['op'] == op)))
        return 0
    for m in planted:
        m['planted'] = True
    queue = planted + order_sites(sites, a.seed)
    target = len(planted) + a.count

    src = os.path.join(work, 'src')
    bld = os.path.join(work, 'bld')
    try:
        os.makedirs(work, exist_ok=True)
        copy_tree(top, src)
    except OSError as e:
        print('hvo mutate: cannot copy the tree to %s: %s' % (src, e), file=sys.stderr)
        return 2
    if not os.path.exists(os.path.join(bld, 'build.ninja')):
        r = subprocess.run(['meson', 'setup', bld, src, '-Dbuildtype=debugoptimized'],
                           env=dict(os.environ, CC='gcc'), capture_output=True, text=True)
        if r.returncode:
            print(r.stdout[-2000:] + r.stderr[-2000:], file=sys.stderr)
            print('hvo mutate: meson setup failed in %s' % bld, file=sys.stderr)
            return 2
    log = os.path.join(work, 'ninja.log')
    tests = collect_tests(bld, engines)
    targets = build_targets(bld, tests)
    if not ninja(bld, log, targets):
        print('hvo mutate: the unmutated tree does not build (%s)' % log, file=sys.stderr)
        return 2
    t0 = time.monotonic()
    base = run_pipeline(tests, {}, a.jobs)
    base_s = time.monotonic() - t0
    # a mutant's test gets 4x its baseline time, at least 3 s
    timeouts = {n: max(3.0, 4 * s) for n, (v, s) in base.items()}
    per_engine = {e: sum(1 for t in tests if t['engine'] == e) for e in engines}
    bad = [n for n, (v, s) in base.items() if v != 'pass']
    print('hvo mutate: seed %d, %d sites (%s), baseline %d tests in %.1f s%s' % (
        a.seed, len(sites), ', '.join('%s %d' % (op, sum(1 for s in sites if s['op'] == op)) for op in OPERATORS),
        len(tests), base_s, (', baseline failures (kept as reference): ' + ', '.join(bad)) if bad else ''))
    print('engines: ' + ', '.join('%s (%d tests)' % (e, per_engine[e]) for e in engines))
    print('cells: . survived, K verdict changed, T timeout, C crash (signal); stillborn mutants are replaced')
    hdr = '%-5s %-12s %-28s ' % ('id', 'operator', 'site') + ' '.join('%-8s' % e for e in engines) + ' result  secs'
    print(hdr)
    sys.stdout.flush()

    results = []
    stillborn = 0
    interrupted = False
    outf = open(a.out, 'w') if a.out else None
    qi = 0
    try:
        while len(results) < target and qi < len(queue):
            m = queue[qi]
            qi += 1
            t1 = time.monotonic()
            path = os.path.join(src, m['file'])
            try:
                orig = open(path).read()
                mutated = apply(orig, m)
            except (OSError, ValueError) as e:
                print('hvo mutate: %s' % e, file=sys.stderr)
                return 2
            with open(path, 'w') as f:
                f.write(mutated)
            try:
                if not ninja(bld, log, targets):
                    stillborn += 1
                    if outf:
                        outf.write(json.dumps({'stillborn': True, 'file': m['file'], 'line': m['line'],
                                               'op': m['op'], 'diff': diff_lines(m)}) + '\n')
                    if m.get('planted'):
                        print('hvo mutate: planted mutant %s:%d does not compile' % (m['file'], m['line']),
                              file=sys.stderr)
                        return 2
                    continue
                got = run_pipeline(tests, timeouts, a.jobs)
            finally:
                with open(path, 'w') as f:
                    f.write(orig)
            cells = {}
            killers = {}
            for e in engines:
                c = '.'
                for t in tests:
                    if t['engine'] != e:
                        continue
                    v = got[t['name']][0]
                    if v == base[t['name']][0]:
                        continue
                    cc = {'timeout': 'T', 'crash': 'C'}.get(v, 'K')
                    if c == '.' or cc in 'TC':
                        c = cc
                    killers.setdefault(e, []).append('%s:%s' % (t['name'], v))
                cells[e] = c
            key = mutant_key(m)
            killed = any(c != '.' for c in cells.values())
            res = 'killed' if killed else ('equiv' if key in equivalent else 'SURVIVED')
            r = {'id': 'M%03d' % (len(results) + 1), 'key': key, 'file': m['file'], 'line': m['line'],
                 'op': m['op'], 'planted': bool(m.get('planted')), 'cells': cells, 'result': res,
                 'killers': {e: v[:3] for e, v in killers.items()}, 'diff': diff_lines(m),
                 'secs': round(time.monotonic() - t1, 1)}
            results.append(r)
            site = '%s:%d' % (m['file'].replace('core/src/', ''), m['line'])
            print('%-5s %-12s %-28s ' % (r['id'], m['op'], site) + ' '.join('%-8s' % cells[e] for e in engines) +
                  ' %-7s %.1f' % (res, r['secs']))
            sys.stdout.flush()
            if outf:
                outf.write(json.dumps(r) + '\n')
                outf.flush()
    except KeyboardInterrupt:
        for p in list(_current):
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
        print('hvo mutate: interrupted after %d mutants; the summary of those follows' % len(results),
              file=sys.stderr)
        interrupted = True
    finally:
        if outf:
            outf.close()
    # leave the scratch build unmutated (a mutant's file is already restored)
    ninja(bld, log, targets)

    n = len(results)
    killed = sum(1 for r in results if r['result'] == 'killed')
    eq = sum(1 for r in results if r['result'] == 'equiv')
    print()
    print('per engine (kills): ' + ', '.join('%s %d' % (e, sum(1 for r in results if r['cells'][e] != '.'))
                                             for e in engines))
    for op in OPERATORS:
        rs = [r for r in results if r['op'] == op]
        if rs:
            print('operator %-12s %3d mutants, %3d killed' % (op, len(rs), sum(1 for r in rs if r['result'] == 'killed')))
    denom = n - eq
    print('mutants %d, stillborn %d (replaced), equivalent %d, killed %d' % (n, stillborn, eq, killed))
    print('score: killed / (total - stillborn - equivalent) = %d / %d = %s' % (
        killed, denom, ('%.1f%%' % (100.0 * killed / denom)) if denom else 'n/a'))
    surv = [r for r in results if r['result'] == 'SURVIVED']
    if surv:
        print('survivors:')
        for r in surv:
            print('  %s %s %s:%d key=%s' % (r['id'], r['op'], r['file'], r['line'], r['key']))
            for d in r['diff']:
                print('      ' + d)
    if interrupted:
        return 130
    if n == 0:
        print('hvo mutate: no mutant built', file=sys.stderr)
        return 3
    return 0


if __name__ == '__main__':
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
