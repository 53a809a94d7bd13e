# SPDX-License-Identifier: GPL-2.0-only
"""oracle.py - the VM lane's verdict: read each boot's agent channel and console, judge each stream.

usage: oracle.py CONSOLE... (each with CONSOLE.agent, the agent's UART) --kernel LABEL [--boot-status S,S...] [--verbose]
                 [--report FILE] [--expect NAME=TAG,TAG] [--expect-text NAME=REGEX]
                 [--memfree-tol-kb N] [--mem-mib N] [--options TEXT]

A stream FAILs on (tags): bad-page, bug, warning, oops, panic (kernel log lines
attributed to its ops, or console lines while it ran), hang (the VM hit the
timeout while it ran), crash (the VM ended while it ran), memfree-lost (MemFree
after every pool is back at 0 is more than --memfree-tol-kb below the value
before the stream), memmap (nr_memmap_pages + nr_memmap_boot_pages moved by
other than 7 per 2 MiB folio and 4095 per 1 GiB folio optimized or restored),
expect (an "expect rc=" line disagreed), error (the guest could not parse it).
A stream none of whose ops reached the kernel (all skipped or implicit) is
NOTCHECKED.  With --expect NAME=TAGS the stream is a witness: it PASSes when its tags are
exactly TAGS (and every --expect-text regex matches its kernel log), FAILs
otherwise.  NAME=clean expects no tag.

Exit: 0 every stream PASSed, 1 some FAILed, 2 the kernel never reached the
agent or the report could not be written, 3 no stream was checked.
"""
import argparse
import os
import re
import sys

PATTERNS = [  # (tag, regex) - first match wins for a line
    ("bad-page", re.compile(r"BUG: Bad page (state|map)")),
    ("oops", re.compile(r"kernel BUG at|Oops|general protection fault|unable to handle")),
    ("panic", re.compile(r"Kernel panic")),
    ("bug", re.compile(r"BUG:")),
    ("warning", re.compile(r"WARNING:")),
]
PER_FOLIO = {9: 7, 18: 4095}
REAL_KINDS = {"alloc", "alloc_batch", "free", "dissolve", "get", "put", "enable", "demote"}  # vmemmap pages HVO frees per folio (4 KiB pages, 64-byte struct page)


def classify(line):
    for tag, rx in PATTERNS:
        if rx.search(line):
            return tag
    return None


def kv(text):
    out = {}
    for tok in text.split():
        if "=" in tok:
            k, v = tok.split("=", 1)
            out[k] = v
    return out


class Stream:
    def __init__(self, idx, name, header):
        self.idx, self.name, self.header = idx, name, header
        self.records = []      # dicts: idx kind st rc ... text, dmesg (list)
        self.raw = []          # console lines from the kernel while it ran
        self.end = None        # the @@end fields
        self.errors = []
        self.findings = []     # (tag, where, detail)
        self.notes = []

    def tags(self):
        return sorted({t for t, _, _ in self.findings})


TS = re.compile(r"^\[\s*(\d+\.\d+)\]")


def read_lines(path, missing_ok=False):
    try:
        return open(path, encoding="utf-8", errors="replace").read().replace("\r", "").splitlines()
    except FileNotFoundError:
        if missing_ok:
            return []
        print(f"hvo vm: cannot read the console {path}: no such file", file=sys.stderr)
        sys.exit(2)
    except OSError as e:
        print(f"hvo vm: cannot read the console {path}: {e}", file=sys.stderr)
        sys.exit(2)


def parse(path):
    """One boot: the agent's protocol from PATH.agent (its own UART), the
    kernel console from PATH.  Console lines printed after the agent came up
    are the kernel's own record of a stream that did not end (a crash or a
    hang, when the agent could not relay them); for a stream that ended the
    agent relayed every kernel log line as @@dmesg already."""
    agent, streams, summary, bootlog, stop = None, [], None, [], None
    cur = None
    summary_deadline = []
    for line in read_lines(path + ".agent", missing_ok=True):
        at = line.find("@@")
        if at < 0:
            continue  # the agent writes only @@ lines; stray output is not evidence
        word, _, rest = line[at:].partition(" ")
        if word == "@@agent":
            agent = kv(rest)
        elif word == "@@bootlog":
            bootlog.append(rest)
        elif word == "@@stream":
            parts = rest.split()
            cur = Stream(int(parts[0]), re.sub(r"^\d{4}-", "", parts[1]), kv(rest))
            streams.append(cur)
        elif word == "@@op" and cur is not None:
            head, _, text = rest.partition(" | ")
            parts = head.split()
            r = kv(head)
            r["idx"], r["kind"], r["text"], r["dmesg_lines"] = parts[0], parts[1], text, []
            for k in ("rc", "h2m", "f2m", "h1g", "f1g", "hvo", "memfree", "pcp", "memmap", "memmap_boot", "dmesg"):
                try:
                    r[k] = int(r[k])
                except (KeyError, ValueError):
                    r[k] = -1
            cur.records.append(r)
        elif word == "@@dmesg" and cur is not None:
            if cur.records:
                cur.records[-1]["dmesg_lines"].append(rest)
            else:
                cur.raw.append(rest)
        elif word == "@@error" and cur is not None:
            cur.errors.append(rest)
        elif word == "@@end" and cur is not None:
            cur.end = kv(rest)
        elif word == "@@summary":
            summary = kv(rest)
        elif word == "@@stop":
            stop = rest
        elif word == "@@deadline":
            summary_deadline.append(rest)
        elif word == "@@fail" and cur is not None:
            cur.notes.append("fail rule: " + rest)
    lines = read_lines(path)
    if agent is not None and streams and streams[-1].end is None:
        try:
            up = float(agent.get("up", "0"))
        except ValueError:
            up = 0.0
        after = False
        for line in lines:
            m = TS.match(line)
            if m:  # a line without a time stamp goes with the line before it
                after = float(m.group(1)) >= up
            if after:
                streams[-1].raw.append(line)
    if summary is not None:
        summary["deadline"] = bool(summary_deadline)
    return agent, streams, summary, bootlog, stop, lines


def where(r):
    if r["idx"] == "start":
        return "before the first op"
    if r["idx"] == "reset":
        return "at the reset after the last op (every pool shrunk to 0)"
    return f"op {r['idx']} `{r['text'].strip()}`"


def check_log(s):
    for r in s.records:
        for d in r["dmesg_lines"]:
            t = classify(d)
            if t:
                s.findings.append((t, where(r), d))
    for d in s.raw:  # the kernel's own console lines (quiet: level < 4 only)
        t = classify(d)
        if t and not any(d.split("] ", 1)[-1] in f[2] for f in s.findings):
            last = s.records[-1] if s.records else None
            s.findings.append((t, ("after " + where(last)) if last else "at stream start", d.strip()))


def solve(dm, grows, ranges):
    """Find restored counts (r9, r18) within ranges with 7*r9 + 4095*r18 = dm - grows."""
    need = dm - grows
    (lo9, hi9), (lo18, hi18) = ranges
    for r18 in range(lo18, hi18 + 1):
        rest = need - PER_FOLIO[18] * r18
        if rest % 7 == 0 and lo9 <= rest // 7 <= hi9:
            return rest // 7, r18
    return None


class PoolBook:
    """How many folios of each order (9: 2 MiB, 18: 1 GiB) in the pools are
    optimized and how many plain, op by op, shared by the two memmap checks.
    step() gives an op's pool changes, whether HVO was on for it, and per
    order the range of optimized folios a shrink can have removed; commit()
    books what the check decided the shrink removed (None: as many
    optimized ones as possible, to resynchronise after a finding)."""

    def __init__(self):
        self.opt = {9: 0, 18: 0}
        self.plain = {9: 0, 18: 0}

    def step(self, prev, r):
        d = {9: r["h2m"] - prev["h2m"], 18: r["h1g"] - prev["h1g"]}
        hvo = r["hvo"] == 1 if r["kind"] != "reset" else prev["hvo"] == 1
        ranges = []
        for o in (9, 18):
            k = -d[o]
            ranges.append((max(0, k - self.plain[o]), min(k, self.opt[o])) if k > 0 else (0, 0))
        return d, hvo, ranges

    def commit(self, d, hvo, removed=None):
        for i, o in enumerate((9, 18)):
            if d[o] > 0:
                (self.opt if hvo else self.plain)[o] += d[o]
            elif d[o] < 0:
                k = -d[o]
                rr = min(k, self.opt[o]) if removed is None else removed[i]
                self.opt[o] -= rr
                self.plain[o] = max(0, self.plain[o] - (k - rr))


def check_memmap(s):
    recs = [r for r in s.records if r["memmap"] >= 0 and r["memmap_boot"] >= 0]
    if len(recs) != len(s.records) or not recs:
        check_free_arith(s)
        return
    book = PoolBook()
    checked = 0
    for prev, r in zip(recs, recs[1:]):
        d, hvo, ranges = book.step(prev, r)
        dm = (r["memmap"] + r["memmap_boot"]) - (prev["memmap"] + prev["memmap_boot"])
        # growth: HVO frees 7 / 4095 vmemmap pages per new folio when on
        grows = sum(-PER_FOLIO[o] * d[o] for o in (9, 18) if d[o] > 0 and hvo)
        # demote: the 2 MiB pages appear with the 1 GiB page gone, optimized when HVO is on
        sol = solve(dm, grows, ranges)
        if sol is None:
            exp = f"{grows + 7 * ranges[0][0] + 4095 * ranges[1][0]}" if ranges[0][0] == ranges[0][1] and \
                ranges[1][0] == ranges[1][1] else "a combination of -7/+7 per 2 MiB and -4095/+4095 per 1 GiB folio"
            s.findings.append(("memmap", where(r),
                               f"nr_memmap_pages+nr_memmap_boot_pages moved by {dm:+d}, expected {exp} "
                               f"(2 MiB pool {d[9]:+d}, 1 GiB pool {d[18]:+d}, hvo={int(hvo)})"))
            book.commit(d, hvo)   # resynchronise on the pool sizes: assume what HVO would have done
            continue
        checked += 1
        book.commit(d, hvo, sol)
    s.notes.append(f"memmap check: {checked} op transitions agreed with 7 per 2 MiB / 4095 per 1 GiB folio")


SIZE_KB = {9: 2048, 18: 1048576}
ARITH_TOL_KB = 160


def check_free_arith(s):
    """No nr_memmap_pages in /proc/vmstat (6.1): MemFree + per-CPU lists must move
    by the pool pages less the vmemmap pages HVO freed (28 kB per 2 MiB folio,
    16380 kB per 1 GiB folio), within ARITH_TOL_KB per op (slab and page-table
    noise).  One 2 MiB folio's 28 kB is inside that tolerance, so the check is
    exact only for batches; a grossly wrong restore or a leak shows."""
    recs = [r for r in s.records if r["memfree"] >= 0]
    book = PoolBook()
    checked = 0
    for prev, r in zip(recs, recs[1:]):
        d, hvo, ranges = book.step(prev, r)
        df = (r["memfree"] + r["pcp"]) - (prev["memfree"] + prev["pcp"])
        base = sum(-SIZE_KB[o] * d[o] + (4 * PER_FOLIO[o] * d[o] if d[o] > 0 and hvo else 0) for o in (9, 18))
        best = None
        for r18 in range(ranges[1][0], ranges[1][1] + 1):
            for r9 in range(ranges[0][0], ranges[0][1] + 1):
                err = abs(df - (base - 4 * PER_FOLIO[9] * r9 - 4 * PER_FOLIO[18] * r18))
                if best is None or err < best[0]:
                    best = (err, r9, r18)
        tol = ARITH_TOL_KB + (1024 if r["kind"] == "reset" else 0)
        if best[0] > tol:
            s.findings.append(("memmap", where(r),
                               f"MemFree+per-CPU lists moved by {df:+d} kB; the pools ({d[9]:+d} x 2 MiB, "
                               f"{d[18]:+d} x 1 GiB, hvo={int(hvo)}) explain it only to {best[0]} kB "
                               f"(tolerance {tol} kB)"))
        else:
            checked += 1
        book.commit(d, hvo, best[1:])
    s.notes.append("memmap check: no nr_memmap_pages/nr_memmap_boot_pages in /proc/vmstat (this kernel); "
                   f"MemFree arithmetic instead: {checked} op transitions agreed within {ARITH_TOL_KB} kB")


def judge(s, status_after, tol_kb):
    check_log(s)
    if s.errors:
        for e in s.errors:
            s.findings.append(("error", "parse", e))
        return
    if s.end is None:
        last = s.records[-1] if s.records else None
        tag = "hang" if status_after == "timeout" else "crash"
        s.findings.append((tag, ("last record: " + where(last)) if last else "before the first record",
                           "the VM " + ("hit the timeout" if tag == "hang" else "ended") + " while this stream ran"))
        return
    check_memmap(s)
    if int(s.end.get("expect_mismatch", 0)):
        for r in s.records:
            if r.get("st") == "mismatch":
                s.findings.append(("expect", where(r), f"the previous op returned {r['rc']}"))
    before, after = int(s.end["memfree_before"]), int(s.end["memfree_after"])
    if before - after > tol_kb:
        s.findings.append(("memfree-lost", "after the reset (every pool at 0)",
                           f"MemFree+per-CPU lists {before} kB before the stream, {after} kB after: {before - after} kB lost "
                           f"(tolerance {tol_kb} kB)"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("console", nargs="+", help="one console per boot, in order")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--boot-status", default="exited")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--report")
    ap.add_argument("--expect", action="append", default=[])
    ap.add_argument("--expect-text", action="append", default=[])
    ap.add_argument("--memfree-tol-kb", type=int, default=1024)
    ap.add_argument("--options", default="")
    ap.add_argument("--label", default="")
    ap.add_argument("--streams", nargs="*", default=[], help="every stream packed, in order")
    a = ap.parse_args()
    expect = dict(e.split("=", 1) for e in a.expect)
    expect_text = {}
    for e in a.expect_text:
        n, rx = e.split("=", 1)
        expect_text.setdefault(n, []).append(rx)

    # one parse per boot; a stream belongs to the boot that ran it
    statuses = a.boot_status.split(",")
    agent, streams, summary, bootlog, stop, lines = None, [], None, [], None, []
    last_of_boot = {}
    ups = []
    for i, con in enumerate(a.console):
        ag, st, su, bl, sp, ln = parse(con)
        status = statuses[i] if i < len(statuses) else statuses[-1]
        if ag is None:
            lines = ln
            break
        agent = agent or ag
        ups.append(ag.get("up", "?"))
        if st and su is None:
            last_of_boot[id(st[-1])] = status
        streams += st
        summary, bootlog, stop, lines = su, bootlog + bl, sp or stop, ln
    out, rep = [], []
    if agent is None:
        tail = "\n".join(l for l in lines[-15:] if l.strip())
        print(f"hvo vm: kernel {a.kernel} did not reach the agent ({a.boot_status}); last console lines:\n{tail}",
              file=sys.stderr)
        return 2
    boot_bad = [l for l in bootlog if classify(l)]
    rc = 0
    ops = 0
    for s in streams:
        last = s.records[-1] if s.records else None
        status = last_of_boot.get(id(s), "exited")
        judge(s, status, a.memfree_tol_kb)
        ops += sum(1 for r in s.records if r["idx"] not in ("start", "reset"))
        tags = s.tags()
        label = s.name
        if s.name in expect:
            want = sorted(t for t in expect[s.name].split(",") if t and t != "clean")
            texts = expect_text.get(s.name, [])
            logs = "\n".join([f[2] for f in s.findings] + s.raw +
                             [d for r in s.records for d in r["dmesg_lines"]])
            missing = [rx for rx in texts if not re.search(rx, logs)]
            ok = tags == want and not missing
            verdict = "PASS" if ok else "FAIL"
            why = (f"expected {','.join(want) or 'clean'}, got {','.join(tags) or 'clean'}"
                   + (f"; text not seen: {missing}" if missing else ""))
        else:
            ok = not tags
            verdict = "PASS" if ok else "FAIL"
            why = "clean" if ok else ",".join(tags)
        s.checked = bool(tags) or any(r["kind"] in REAL_KINDS and r.get("st") == "done" for r in s.records)
        if ok and not tags and not s.checked:
            verdict = "NOTCHECKED"
            why = "no op of this stream reached the kernel (all skipped or implicit)"
        if s.end and s.records and s.checked:
            try:
                n_ops, ms = int(s.end.get("ops", 0)), float(s.end.get("ops_ms", 0))
                if n_ops and ms > 0:
                    why += f" ({n_ops} ops, {n_ops * 1000 / ms:.0f} ops/s)"
            except ValueError:
                pass
        if not ok:
            rc = 1
        first = s.findings[0] if s.findings else None
        line = f"{verdict} {label} [{a.kernel}{(' ' + a.label) if a.label else ''}] {why}"
        if first and (not ok or s.name in expect):
            line += f" -- first: {first[0]} {first[1]}: {first[2][:160]}"
        out.append(line)
        print(line)
        if a.verbose:
            for r in s.records:
                print(f"  {r['idx']:>5} {r['kind']:<14} st={r.get('st', '?'):<8} rc={r['rc']:<4} h2m={r['h2m']} "
                      f"h1g={r['h1g']} hvo={r['hvo']} memfree={r['memfree']}+{r['pcp']} memmap={r['memmap']}"
                      f"+{r['memmap_boot']} dmesg={r['dmesg']} | {r['text'].strip()}")
            for n in s.notes:
                print(f"  note: {n}")
        # report section
        rep.append(f"## {verdict} {s.name}\n")
        rep.append(f"- verdict: {why}")
        if s.end:
            rep.append(f"- ops: {s.end.get('ops')} (done {s.end.get('done')}, skipped {s.end.get('skipped')}, "
                       f"implicit {s.end.get('implicit')}), {s.end.get('ops_ms')} ms; MemFree "
                       f"{s.end.get('memfree_before')} -> {s.end.get('memfree_after')} kB; taint {s.end.get('taint')}")
        for n in s.notes:
            rep.append(f"- {n}")
        if s.findings:
            rep.append("\n| tag | where | detail |\n|---|---|---|")
            for tag in s.tags():  # the first 10 of each tag, then how many more
                of = [f for f in s.findings if f[0] == tag]
                for t, w, d in of[:10]:
                    rep.append(f"| {t} | {w} | `{d[:200].replace('|', '/')}` |")
                if len(of) > 10:
                    rep.append(f"| {tag} | | {len(of) - 10} more |")
            # the kernel log of the first failing op, in full
            fw = s.findings[0][1]
            for r in s.records:
                if where(r) == fw and r["dmesg_lines"]:
                    rep.append(f"\nKernel log of {fw} (first 80 lines):\n\n```")
                    rep.extend(r["dmesg_lines"][:80])
                    rep.append("```")
                    break
        rep.append("\nPer-op records:\n\n```")
        for r in s.records[:300]:
            rep.append(f"{r['idx']} {r['kind']} st={r.get('st')} rc={r['rc']} h2m={r['h2m']} h1g={r['h1g']} "
                       f"hvo={r['hvo']} memfree={r['memfree']}+pcp {r['pcp']} memmap={r['memmap']}+{r['memmap_boot']} "
                       f"dmesg={r['dmesg']} ms={r.get('ms')} | {r['text'].strip()}")
        if len(s.records) > 300:
            rep.append(f"... {len(s.records) - 300} more")
        rep.append("```\n")
    seen = {s.name for s in streams}
    for n in a.streams:
        if n not in seen:
            line = f"NOTRUN {n} [{a.kernel}{(' ' + a.label) if a.label else ''}] the VM " + \
                ("stopped at the time budget" if summary and summary.get("deadline") else
                 f"agent's summary does not list it (streams={summary.get('streams')})" if summary else
                 "ended before it") + " (not checked)"
            out.append(line)
            print(line)
            rep.append(f"## NOTRUN {n}\n")
    if boot_bad:
        print(f"note: the boot log of {a.kernel} has {len(boot_bad)} warning line(s) before the first stream; "
              f"first: {boot_bad[0][:160]}")
    checked = sum(1 for s in streams if getattr(s, "checked", False))
    if not streams or not checked:
        print(f"hvo vm: no stream was checked on {a.kernel}", file=sys.stderr)
        rc = 3 if rc == 0 else rc
    head = [f"# VM lane report: {a.kernel}{(' ' + a.label) if a.label else ''}\n",
            f"- options: {a.options}",
            f"- agent: up at {', '.join(ups)} s after boot ({len(ups)} boot(s)), HVO at boot {agent.get('hvo')}, "
            f"fail_page_alloc {agent.get('fail_page_alloc')}, memmap vmstat {agent.get('memmap_stat')}",
            f"- summary: {summary if summary else 'none (the VM did not finish: ' + a.boot_status + ')'}"]
    if stop:
        head.append(f"- the agent stopped early: {stop}")
    if boot_bad:
        head.append(f"- boot log warnings: {len(boot_bad)}; first: `{boot_bad[0][:200]}`")
    head.append("\n" + "\n".join(f"    {l}" for l in out) + "\n")
    if a.report:
        try:
            with open(a.report, "x") as f:
                f.write("\n".join(head + rep) + "\n")
        except OSError as e:
            print(f"hvo vm: cannot write the report {a.report}: {e}", file=sys.stderr)
            return 2
    return rc


if __name__ == "__main__":
    sys.exit(main())
