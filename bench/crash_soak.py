#!/usr/bin/python3
"""Client of bench/crash-soak.sh: writes self-describing sectors over NBD, then verifies them
after raid5d was killed with SIGKILL and restarted.

One run of this program is one cycle:
  1. verify: read the whole array and classify every sector against the journal of the
     previous cycle (writes submitted, acknowledged, acknowledged with FUA, flushes);
  2. record what every sector holds now as the new baseline (state-dir/base.q, state.json);
  3. unless --verify-only: write until the connection dies (the driver kills raid5d), journaling
     every event to state-dir/journal-CYCLE.log before it takes effect (S before a write is
     submitted, A when it is acknowledged, FI when a flush is issued, FC when it completed).

Every 512-byte sector written carries a header and a fill derived from it:
  bytes   0..23   magic, seq (the write request's global sequence number), array byte offset
                  (three little-endian 64-bit words)
  bytes  24..503  the 64-byte BLAKE2b digest of the header, repeated
  bytes 504..511  seq, big-endian (so even a tear in the last byte shows)
so a sector read back names the request that wrote it and can be checked whole.

Classification of a sector s, D = the newest durable write of s (FUA-acknowledged, or
acknowledged before a flush that completed; the baseline counts as durable), L = the newest
write submitted for s:
  TORN  not all zeros and not an intact sector written for this offset, or an intact one
        newer than anything submitted for s;
  LOST  intact (or zeros) but older than D;
  ok    D itself, or any write after D, whole ("newer" counts those after D).
In-flight writes never overlap (every sector's writes are totally ordered), so "after D" is
well defined. Output lines are key=value for the driver; exit 1 if TORN or LOST sectors were
found in this cycle's verification, 2 on a usage or connection error.
"""
import argparse
import hashlib
import json
import os
import random
import struct
import sys
import time
from array import array

import nbd

MAGIC = 0x4B414F53_35444941  # "AID5SOAK" read little-endian
SECTOR = 512
ZERO_SECTOR = bytes(SECTOR)
TORN_MARK = -1  # baseline of a sector found torn: not judged again until rewritten
_hdr = struct.Struct('<QQQ')
_tail = struct.Struct('>Q')


def make_sector(seq, off):
    hdr = _hdr.pack(MAGIC, seq, off)
    return hdr + (hashlib.blake2b(hdr, digest_size=64).digest() * 8)[:480] + _tail.pack(seq)


def make_payload(seq, off, nsec):
    return b''.join([make_sector(seq, off + i * SECTOR) for i in range(nsec)])


def log(msg):
    print(msg, flush=True)


class State:
    """The baseline (what each sector held at the last verification) and the run's totals."""

    def __init__(self, state_dir, nsectors):
        self.dir = state_dir
        self.base = array('q', bytes(8 * nsectors))
        self.meta = {'cycle': 0, 'next_seq': 1, 'journal': None, 'totals': {}}
        base_path = os.path.join(state_dir, 'base.q')
        meta_path = os.path.join(state_dir, 'state.json')
        if os.path.exists(meta_path):
            with open(meta_path) as f:
                self.meta = json.load(f)
            with open(base_path, 'rb') as f:
                b = array('q')
                b.frombytes(f.read())
            if len(b) != nsectors:
                raise SystemExit(f'crash_soak: {base_path} has {len(b)} sectors, the array {nsectors}')
            self.base = b

    def add(self, **counts):
        t = self.meta['totals']
        for k, v in counts.items():
            t[k] = t.get(k, 0) + v

    def save(self):
        def atomic(name, data, mode):
            path = os.path.join(self.dir, name)
            with open(path + '.tmp', mode) as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(path + '.tmp', path)
        atomic('base.q', self.base.tobytes(), 'wb')
        atomic('state.json', json.dumps(self.meta, indent=1, sort_keys=True), 'w')


def replay(journal_path, base):
    """D (newest durable seq) and L (newest submitted seq) per sector, from the journal."""
    durable = array('q', base)
    last = array('q', base)
    writes = {}        # seq -> (first sector, sectors, fua)
    acked = []         # acknowledged seqs, in order of acknowledgement
    made_durable = 0   # acked[:made_durable] are durable (a completed flush covered them)
    flushes = {}       # flush id -> number of acknowledgements before it was issued
    counts = {'submitted': 0, 'acked': 0, 'fua_acked': 0, 'failed': 0, 'flushes': 0, 'max_seq': 0}

    def mark_durable(seq):
        a, n, _ = writes[seq]
        for s in range(a, a + n):
            if durable[s] < seq:
                durable[s] = seq

    if journal_path is None or not os.path.exists(journal_path):
        return durable, last, counts
    with open(journal_path) as f:
        for line in f:
            p = line.split()
            if not p or not line.endswith('\n'):
                continue  # an unfinished last line: the event it records did not happen yet
            kind = p[0]
            if kind == 'S':
                seq, a, n, fua = int(p[1]), int(p[2]), int(p[3]), p[4] == '1'
                writes[seq] = (a, n, fua)
                last[a:a + n] = array('q', [seq]) * n
                counts['submitted'] += 1
                counts['max_seq'] = max(counts['max_seq'], seq)
            elif kind == 'A':
                seq = int(p[1])
                acked.append(seq)
                counts['acked'] += 1
                if writes[seq][2]:
                    counts['fua_acked'] += 1
                    mark_durable(seq)
            elif kind == 'E':
                counts['failed'] += 1
            elif kind == 'FI':
                flushes[int(p[1])] = int(p[2])
            elif kind == 'FC':
                upto = flushes[int(p[1])]
                counts['flushes'] += 1
                while made_durable < upto:
                    mark_durable(acked[made_durable])
                    made_durable += 1
    return durable, last, counts


def verify(h, st, cycle, chunk_bytes, max_report):
    size = h.get_size()
    nsectors = size // SECTOR
    durable, last, jcounts = replay(st.meta.get('journal') and os.path.join(st.dir, st.meta['journal']), st.base)
    c = {'checked': 0, 'torn': 0, 'lost': 0, 'ok_durable': 0, 'ok_newer': 0, 'zero': 0, 'skipped': 0}
    reports = 0
    newbase = st.base
    unpack = _hdr.unpack_from
    for start in range(0, size, chunk_bytes):
        buf = h.pread(min(chunk_bytes, size - start), start)
        first = start // SECTOR
        n = len(buf) // SECTOR
        all_zero = buf.count(0) == len(buf)
        for i in range(n):
            s = first + i
            if last[s] == TORN_MARK:
                c['skipped'] += 1  # torn before and not written since
                continue
            p = i * SECTOR
            torn = False
            if all_zero or buf[p:p + SECTOR] == ZERO_SECTOR:
                q = 0
            else:
                magic, q, off = unpack(buf, p)
                if magic != MAGIC or off != s * SECTOR or buf[p:p + SECTOR] != make_sector(q, off):
                    torn = True
            c['checked'] += 1
            verdict = None
            if torn:
                verdict = 'TORN'
            elif q > last[s]:
                verdict = 'TORN'  # intact, but no write of that seq was submitted for this sector
            elif q < durable[s]:
                verdict = 'LOST'
            if verdict:
                c[verdict.lower()] += 1
                if reports < max_report:
                    reports += 1
                    sec = bytes(buf[p:p + SECTOR])
                    m, hq, hoff = unpack(sec, 0)
                    tq = _tail.unpack_from(sec, 504)[0]
                    log(f'{verdict} cycle={cycle} sector={s} offset={s * SECTOR} durable_seq={durable[s]} '
                        f'last_seq={last[s]} baseline_seq={st.base[s]} header=(magic={m:#x} seq={hq} offset={hoff}) '
                        f'tail_seq={tq} first_bad_byte={first_bad_byte(sec, s)}')
                newbase[s] = TORN_MARK if verdict == 'TORN' and torn else q
                continue
            if q == 0:
                c['zero'] += 1
            if q == durable[s]:
                c['ok_durable'] += 1
            else:
                c['ok_newer'] += 1
            newbase[s] = q
    st.base = newbase
    return c, jcounts


def first_bad_byte(sec, s):
    """Where a sector stops being the write its header names (for the report of a tear)."""
    m, q, off = _hdr.unpack_from(sec, 0)
    want = make_sector(q, s * SECTOR)
    for i in range(SECTOR):
        if sec[i] != want[i]:
            return i
    return -1


class Writer:
    def __init__(self, h, journal, rng, nsectors, next_seq, args):
        self.h, self.j, self.rng, self.nsectors, self.args = h, journal, rng, nsectors, args
        self.seq = next_seq
        self.in_flight = {}   # seq -> (first sector, end sector)
        self.flights = 0      # flushes in flight
        self.acks = 0
        self.flush_id = 0
        self.c = {'submitted': 0, 'acked': 0, 'fua_acked': 0, 'failed': 0, 'flushes_issued': 0,
                  'flushes': 0, 'bytes': 0}
        self.dead = False

    def pick(self):
        """A random extent not overlapping any write in flight (None if none found quickly)."""
        r = self.rng
        for _ in range(50):
            x = r.random()
            lo, hi = self.args.min_write // SECTOR, self.args.max_write // SECTOR
            if x < 0.2:
                n = r.randint(1, 8)
            elif x < 0.5:
                n = r.randint(9, 127)
            else:
                n = r.randint(min(128, hi), hi)
            n = min(max(n, lo), hi)
            if r.random() < 0.3:  # 4 KiB aligned start (the rest start at any sector)
                a = r.randrange(0, (self.nsectors - n) // 8 + 1) * 8
            else:
                a = r.randrange(0, self.nsectors - n + 1)
            b = a + n
            if all(b <= fa or a >= fb for fa, fb in self.in_flight.values()):
                return a, n
        return None

    def write_done(self, seq, fua, err):
        del self.in_flight[seq]
        if err.value == 0:
            self.acks += 1
            self.c['acked'] += 1
            if fua:
                self.c['fua_acked'] += 1
            self.j.write(f'A {seq}\n')
        else:
            self.c['failed'] += 1
            self.j.write(f'E {seq} {err.value}\n')
            self.dead = True
        return 1

    def flush_done(self, fid, err):
        self.flights -= 1
        if err.value == 0:
            self.c['flushes'] += 1
            self.j.write(f'FC {fid}\n')
        else:
            self.j.write(f'FE {fid} {err.value}\n')
            self.dead = True
        return 1

    def submit_write(self):
        ext = self.pick()
        if ext is None:
            return False
        a, n = ext
        seq = self.seq
        self.seq += 1
        fua = self.rng.random() < self.args.fua
        data = make_payload(seq, a * SECTOR, n)
        self.j.write(f'S {seq} {a} {n} {1 if fua else 0}\n')
        self.j.flush()  # in the file before the server can have it
        self.in_flight[seq] = (a, a + n)
        self.c['submitted'] += 1
        self.c['bytes'] += n * SECTOR
        self.h.aio_pwrite(nbd.Buffer.from_bytearray(data), a * SECTOR,
                          completion=lambda err, seq=seq, fua=fua: self.write_done(seq, fua, err),
                          flags=nbd.CMD_FLAG_FUA if fua else 0)
        return True

    def submit_flush(self):
        self.flush_id += 1
        fid = self.flush_id
        self.j.write(f'FI {fid} {self.acks}\n')
        self.j.flush()
        self.flights += 1
        self.c['flushes_issued'] += 1
        self.h.aio_flush(completion=lambda err, fid=fid: self.flush_done(fid, err))

    def run(self, deadline):
        h = self.h
        try:
            while not self.dead and time.monotonic() < deadline:
                while len(self.in_flight) < self.args.depth:
                    if self.rng.random() < self.args.flush:
                        self.submit_flush()
                    if not self.submit_write():
                        break
                h.poll(1000)
                self.j.flush()
            while h.aio_in_flight() > 0:  # time is up (no kill came): let what is in flight finish
                h.poll(1000)
        except nbd.Error:
            pass  # the server went away (killed): in-flight commands failed
        finally:
            self.j.flush()
        return self.c


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--uri', required=True)
    ap.add_argument('--state-dir', required=True)
    ap.add_argument('--cycle', type=int, required=True)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--verify-only', action='store_true')
    ap.add_argument('--ready-file', help='created once verification is done and writing starts')
    ap.add_argument('--depth', type=int, default=32, help='writes in flight (default 32)')
    ap.add_argument('--min-write', type=int, default=512, help='smallest write in bytes (default 512)')
    ap.add_argument('--max-write', type=int, default=256 * 1024, help='largest write in bytes (default 256 KiB)')
    ap.add_argument('--fua', type=float, default=0.1, help='share of writes with FUA (default 0.1)')
    ap.add_argument('--flush', type=float, default=0.03, help='chance of a FLUSH before a write (default 0.03)')
    ap.add_argument('--max-seconds', type=float, default=120, help='stop writing after this long (default 120)')
    ap.add_argument('--verify-chunk', type=int, default=4 << 20)
    ap.add_argument('--max-report', type=int, default=20, help='TORN/LOST sectors described per cycle')
    args = ap.parse_args()

    h = nbd.NBD()
    for attempt in range(50):
        try:
            h.connect_uri(args.uri)
            break
        except nbd.Error as e:
            if attempt == 49:
                print(f'crash_soak: cannot connect to {args.uri}: {e}', file=sys.stderr)
                return 2
            h = nbd.NBD()
            time.sleep(0.2)
    size = h.get_size()
    nsectors = size // SECTOR
    st = State(args.state_dir, nsectors)

    t0 = time.monotonic()
    v, j = verify(h, st, args.cycle, args.verify_chunk, args.max_report)
    log(f'verify cycle={args.cycle} journal={st.meta.get("journal")} submitted={j["submitted"]} '
        f'acked={j["acked"]} fua_acked={j["fua_acked"]} flushes={j["flushes"]} '
        f'checked={v["checked"]} torn={v["torn"]} lost={v["lost"]} ok_durable={v["ok_durable"]} '
        f'ok_newer={v["ok_newer"]} zero={v["zero"]} skipped={v["skipped"]} '
        f'seconds={time.monotonic() - t0:.2f}')
    st.add(verifications=1, sectors_checked=v['checked'], torn=v['torn'], lost=v['lost'],
           ok_newer=v['ok_newer'])
    st.meta['cycle'] = args.cycle
    st.meta['next_seq'] = max(st.meta['next_seq'], j['max_seq'] + 1)
    bad = v['torn'] + v['lost'] > 0

    if args.verify_only:
        st.meta['journal'] = None
        st.save()
    else:
        name = f'journal-{args.cycle:04d}.log'
        st.meta['journal'] = name
        st.save()
        rng = random.Random(args.seed * 1000003 + args.cycle)
        with open(os.path.join(args.state_dir, name), 'w') as jf:
            w = Writer(h, jf, rng, nsectors, st.meta['next_seq'], args)
            if args.ready_file:
                open(args.ready_file, 'w').close()
            t1 = time.monotonic()
            c = w.run(t1 + args.max_seconds)
            jf.flush()
            os.fsync(jf.fileno())
        st.meta['next_seq'] = w.seq
        st.add(writes=c['submitted'], acked=c['acked'], fua_acked=c['fua_acked'],
               flushes=c['flushes'], bytes_written=c['bytes'])
        st.save()
        log(f'write cycle={args.cycle} submitted={c["submitted"]} acked={c["acked"]} '
            f'fua_acked={c["fua_acked"]} failed={c["failed"]} flushes_issued={c["flushes_issued"]} '
            f'flushes={c["flushes"]} mib={c["bytes"] / 1048576:.1f} seconds={time.monotonic() - t1:.2f}')
    t = st.meta['totals']
    log('totals ' + ' '.join(f'{k}={t[k]}' for k in sorted(t)))
    try:
        h.shutdown()
    except nbd.Error:
        pass
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
