#!/usr/bin/env python3
"""Turn a JFR recording into a flame graph (SVG) and a short text summary of where time went.

Usage:
  bench/flamegraph.py RECORDING.jfr OUT.svg [--title TEXT] [--threads REGEX]
                      [--collapsed OUT.txt] [--events jdk.ExecutionSample,jdk.NativeMethodSample]
                      [--exclude-idle] [--stack-depth N]

It runs `jfr print --json --stack-depth N --events EVENTS RECORDING.jfr` (JDK 17 `jfr`, or $JFR;
note that jfr print cuts stacks to 5 frames unless told otherwise), spooling the JSON
to a temporary file and decoding it one event at a time (the output can be hundreds of MB).
Each sample becomes a stack "thread-group;Frame.method;...;Frame.method" (root first), where
thread-group is the thread name with numeric parts dropped (nbd-io-3-1 -> nbd-io,
raid5-io-7 -> raid5-io) and frames are SimpleClassName.method (package dropped, nested
classes kept as Outer$Inner). Stacks JFR truncated at its depth limit (recording option
stackdepth, 64 by default; or --stack-depth here) get a "[truncated]" frame under the thread
group, as their real root is unknown.

  --events        JFR event types to read (default: Java execution samples plus native method
                  samples, i.e. threads inside native code such as pread, fsync, epoll_wait)
  --threads       keep only samples whose thread name matches REGEX (re.search)
  --exclude-idle  drop samples whose top frame is a wait (IDLE_FRAMES below)
  --collapsed     also write the collapsed stacks, "stack count" per line (flamegraph.pl format)

The SVG (1200 px wide, root at the bottom, hover a box for its sample count) colours frames
of io.raid5d classes blue and everything else in warm hues. Summary on stdout: total samples,
top 15 self frames (top of stack) and top 10 thread groups.
"""
import argparse
import collections
import colorsys
import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import zlib
from xml.sax.saxutils import escape

DEFAULT_EVENTS = "jdk.ExecutionSample,jdk.NativeMethodSample"
# A sample is idle (for --exclude-idle) when its top frame contains one of these substrings.
IDLE_FRAMES = ["epollWait", "epoll_wait", "EPoll.wait", "Unsafe.park", "Object.wait",
               "Thread.sleep", "ioUringWait", "IoUring.wait", "submitAndWait",
               "UnixDomainSockets.accept0", "Socket.recvAddress", "ServerSocketChannelImpl.accept"]
OUR_PACKAGE = "io.raid5d."
# Thread grouping: drop every "-N" / "_N" / " N" / "#N" component (nbd-io-3-1 -> nbd-io).
THREAD_NUMBER = re.compile(r"[-_ #.]\d+(?=[-_ #.]|$)")
# Hidden classes (lambdas, LambdaForms) are named like pkg.Busy$$Lambda$89+0x00007f36b4009800/1436.
HIDDEN_SUFFIX = re.compile(r"(\+0x[0-9a-fA-F]+)?(/(0x[0-9a-fA-F]+|\d+))?$")
LAMBDA_NUMBER = re.compile(r"\$\$Lambda\$\d+")

WIDTH, ROW, PAD, TOP = 1200, 16, 10, 60
CHAR_PX, FONT = 7, 11
MIN_FRACTION = 0.001  # boxes narrower than this fraction of the width are not drawn


def run_jfr(recording, events, depth):
    """Run `jfr print --json` into a temp file; return it opened for text reading."""
    spool = tempfile.TemporaryFile()
    cmd = [os.environ.get("JFR", "jfr"), "print", "--json", "--stack-depth", str(depth),
           "--events", events, recording]
    try:
        proc = subprocess.run(cmd, stdout=spool, stderr=subprocess.PIPE)
    except FileNotFoundError:
        sys.exit("%s not found (set JFR=/path/to/jdk/bin/jfr)" % cmd[0])
    if proc.returncode != 0:
        sys.exit("jfr print failed (%d): %s" % (proc.returncode, proc.stderr.decode(errors="replace")))
    spool.seek(0)
    return io.TextIOWrapper(spool, encoding="utf-8")


def iter_events(f, chunk=1 << 22):
    """Yield the objects of recording.events[] from a file, decoding one at a time."""
    decoder, buf = json.JSONDecoder(), ""
    start = re.compile(r'"events"\s*:\s*\[')
    skip = re.compile(r"[\s,]*")
    while not start.search(buf):
        more = f.read(chunk)
        if not more:
            return  # no events at all
        buf += more
    i = start.search(buf).end()
    while True:
        i = skip.match(buf, i).end()
        if i < len(buf) and buf[i] == "]":
            return
        try:
            if i >= len(buf):
                raise ValueError("need more input")
            event, i = decoder.raw_decode(buf, i)
        except ValueError:  # json.JSONDecodeError included: the object is cut off, read on
            more = f.read(chunk)
            if not more:
                raise SystemExit("truncated or malformed JSON from jfr print at: %r" % buf[i:i + 80])
            buf, i = buf[i:] + more, 0
            continue
        yield event


def frame_label(frame):
    """("SimpleClass.method", is it io.raid5d code?) for one JSON stack frame."""
    method = frame.get("method") or {}
    full = HIDDEN_SUFFIX.sub("", (method.get("type") or {}).get("name") or "?").replace("/", ".")
    full = LAMBDA_NUMBER.sub("$$Lambda", full)
    return full.rsplit(".", 1)[-1] + "." + (method.get("name") or "?"), full.startswith(OUR_PACKAGE)


def thread_group(name):
    grouped = THREAD_NUMBER.sub("", name).strip()
    return (grouped or name).replace(";", ":")


def collect(events_file, thread_re, exclude_idle, depth):
    """Return (Counter of collapsed stacks, Counter of self frames, set of our frame labels, stats)."""
    stacks, selfs, ours = collections.Counter(), collections.Counter(), set()
    stats = collections.Counter()
    for ev in iter_events(events_file):
        values = ev.get("values") or {}
        thread = values.get("sampledThread") or {}
        tname = thread.get("javaName") or thread.get("osName") or "unknown"
        trace = values.get("stackTrace")
        if thread_re and not thread_re.search(tname):
            stats["filtered by --threads"] += 1
            continue
        if not trace or not trace.get("frames"):
            stats["without stack trace"] += 1
            continue
        labels = []
        for frame in trace["frames"]:  # top of stack first
            label, is_ours = frame_label(frame)
            labels.append(label)
            if is_ours:
                ours.add(label)
        if exclude_idle and any(s in labels[0] for s in IDLE_FRAMES):
            stats["idle, excluded"] += 1
            continue
        cut = trace.get("truncated") or len(labels) >= depth
        root = [thread_group(tname)] + (["[truncated]"] if cut else [])
        stacks[";".join(root + labels[::-1])] += 1
        selfs[labels[0]] += 1
        stats[ev.get("type", "?")] += 1
    return stacks, selfs, ours, stats


class Node:
    __slots__ = ("count", "children")

    def __init__(self):
        self.count, self.children = 0, {}


def build_tree(stacks):
    root = Node()
    for stack, n in stacks.items():
        node = root
        node.count += n
        for name in stack.split(";"):
            node = node.children.setdefault(name, Node())
            node.count += n
    return root


def colour(name, depth, ours):
    if depth <= 1:  # "all" and the thread groups
        return "rgb(200,200,210)"
    h = zlib.crc32(name.encode())
    hue = (200 + (h % 35)) / 360 if name in ours else ((h % 50) / 360)  # blue vs red..orange
    light = 0.55 + ((h >> 8) % 20) / 100
    sat = 0.70 + ((h >> 16) % 25) / 100
    r, g, b = colorsys.hls_to_rgb(hue, light, sat)
    return "rgb(%d,%d,%d)" % (r * 255, g * 255, b * 255)


def render_svg(root, out, title, subtitle, ours):
    total = root.count or 1
    scale = (WIDTH - 2 * PAD) / total
    min_px = MIN_FRACTION * WIDTH
    boxes, todo = [], [("all", root, 0, PAD)]  # boxes: (depth, x, width, name, count)
    while todo:  # iterative: stacks can be deeper than Python's recursion limit
        name, node, depth, x = todo.pop()
        boxes.append((depth, x, node.count * scale, name, node.count))
        for child_name in sorted(node.children):
            child = node.children[child_name]
            if child.count * scale >= min_px:
                todo.append((child_name, child, depth + 1, x))
            x += child.count * scale
    depth_max = max(b[0] for b in boxes)
    height = TOP + (depth_max + 1) * ROW + PAD
    parts = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="%d" height="%d" '
             'viewBox="0 0 %d %d" font-family="monospace" font-size="%d">'
             % (WIDTH, height, WIDTH, height, FONT),
             '<rect x="0" y="0" width="100%" height="100%" fill="rgb(248,248,240)"/>',
             '<text x="%d" y="24" font-size="17" text-anchor="middle">%s</text>'
             % (WIDTH // 2, escape(title)),
             '<text x="%d" y="44" text-anchor="middle" fill="rgb(90,90,90)">%s</text>'
             % (WIDTH // 2, escape(subtitle))]
    for depth, x, w, name, count in boxes:
        y = height - PAD - (depth + 1) * ROW
        tip = "%s (%d samples, %.2f%%)" % (name, count, 100.0 * count / total)
        parts.append('<g><title>%s</title><rect x="%.1f" y="%d" width="%.1f" height="%d" '
                     'fill="%s" rx="2"/>' % (escape(tip), x, y, w, ROW - 1,
                                             colour(name, depth, ours)))
        fits = int((w - 6) // CHAR_PX)
        if fits >= 3:
            label = name if len(name) <= fits else name[:fits - 2] + ".."
            parts.append('<text x="%.1f" y="%d">%s</text>' % (x + 3, y + ROW - 4, escape(label)))
        parts.append("</g>")
    parts.append("</svg>")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(parts) + "\n")


def print_summary(total, selfs, stacks, stats):
    print("total samples: %d" % total)
    for key in sorted(stats):
        print("  %-28s %d" % (key, stats[key]))
    if not total:
        return
    print("\ntop self frames (top of stack):")
    for name, n in selfs.most_common(15):
        print("  %6.2f%% %8d  %s" % (100.0 * n / total, n, name))
    groups = collections.Counter()
    for stack, n in stacks.items():
        groups[stack.split(";", 1)[0]] += n
    print("\ntop thread groups:")
    for name, n in groups.most_common(10):
        print("  %6.2f%% %8d  %s" % (100.0 * n / total, n, name))


def main():
    ap = argparse.ArgumentParser(description="JFR recording -> flame graph SVG + summary")
    ap.add_argument("recording")
    ap.add_argument("out_svg")
    ap.add_argument("--title")
    ap.add_argument("--threads", metavar="REGEX", help="keep samples whose thread name matches")
    ap.add_argument("--collapsed", metavar="OUT.txt", help="also write collapsed stacks here")
    ap.add_argument("--events", default=DEFAULT_EVENTS, help="comma-separated JFR event types")
    ap.add_argument("--exclude-idle", action="store_true",
                    help="drop samples whose top frame is a wait (epoll, park, sleep, ...)")
    ap.add_argument("--stack-depth", type=int, default=2048, metavar="N",
                    help="frames per stack to read (default 2048, the most JFR records)")
    args = ap.parse_args()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped into head
    thread_re = re.compile(args.threads) if args.threads else None

    with run_jfr(args.recording, args.events, args.stack_depth) as f:
        stacks, selfs, ours, stats = collect(f, thread_re, args.exclude_idle, args.stack_depth)
    total = sum(stacks.values())
    if args.collapsed:
        with open(args.collapsed, "w", encoding="utf-8") as f:
            for stack in sorted(stacks):
                f.write("%s %d\n" % (stack, stacks[stack]))
    title = args.title or "Flame graph: " + os.path.basename(args.recording)
    subtitle = "%d samples (%s)%s%s; blue = io.raid5d" % (
        total, args.events, ", threads ~ /%s/" % args.threads if args.threads else "",
        ", idle excluded" if args.exclude_idle else "")
    render_svg(build_tree(stacks), args.out_svg, title, subtitle, ours)
    print_summary(total, selfs, stacks, stats)


if __name__ == "__main__":
    main()
