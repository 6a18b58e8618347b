#!/usr/bin/env python3
"""frost_peer.py - the wire of `secretctl frost participate` for frost.bats.

  frost_peer.py proxy TYPE OFFSET COMMAND
      run COMMAND (sh -c) as the participant and relay both ways, but flip
      the low bit of byte OFFSET (negative: from the end) of the payload of
      the first frame of TYPE (hex) it sends: a wrong share, a bad signature.
  frost_peer.py proxy-down TYPE OFFSET COMMAND
      the same in the frames the coordinator sends it: a relay that lies.
  frost_peer.py attack CASE GROUP GROUPKEY_HEX ID_A CMD_A ID_B CMD_B
      speak to participant A (and B, to get a second real commitment) as a
      coordinator and misbehave: oversized, truncated, stall (half a frame,
      then nothing: A's read deadline must end it), wrongtype, replay
      (the same package twice in one session), stale (a package with an
      earlier session's commitment). Prints what A answered; exit 0 when A
      refused as it must (an ERROR frame or the end of the stream, and no
      second signature share).
"""
import os
import struct
import subprocess
import sys
import threading
import time

T_SG_BEGIN, T_SG_COMMIT, T_SG_PACKAGE, T_SG_SHARE, T_ERROR = 0x20, 0x21, 0x22, 0x23, 0x7F


def read_exact(f, n):
    b = b""
    while len(b) < n:
        k = f.read(n - len(b))
        if not k:
            return None
        b += k
    return b


def read_frame(f):
    h = read_exact(f, 5)
    if h is None:
        return None, None
    n = struct.unpack(">I", h[:4])[0]
    p = read_exact(f, n - 1) if n > 1 else b""
    if p is None:
        return None, None
    return h[4], p


def frame(t, p):
    return struct.pack(">I", len(p) + 1) + bytes([t]) + p


def relay(src, dst, ftype, offset):
    """Frames from src to dst, the first of ftype (None: none) with a bit flipped."""
    done = False
    while True:
        t, p = read_frame(src)
        if t is None:
            break
        if t == ftype and not done:
            b = bytearray(p)
            b[offset] ^= 1
            p = bytes(b)
            done = True
        try:
            dst.write(frame(t, p))
            dst.flush()
        except BrokenPipeError:
            break


def proxy(ftype, offset, command, down):
    child = subprocess.Popen(["/bin/sh", "-c", command], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE)

    def to_child():
        relay(sys.stdin.buffer, child.stdin, ftype if down else None, offset)
        child.stdin.close()

    threading.Thread(target=to_child, daemon=True).start()
    relay(child.stdout, sys.stdout.buffer, None if down else ftype, offset)
    return child.wait()


def begin(group, gk, ident):
    g = group.encode()
    return frame(T_SG_BEGIN, bytes([len(g)]) + g + gk + struct.pack(">H", ident))


def package(gk, commits, msg):
    """commits: commitment wires (type|ver|suite|id|hiding|binding), any order."""
    body = sorted((c[3:] for c in commits), key=lambda c: c[:2])
    p = bytes([0x02, 1, 1]) + gk + struct.pack(">H", len(body)) + b"".join(body)
    return frame(T_SG_PACKAGE, p + struct.pack(">I", len(msg)) + msg)


def start(cmd):
    return subprocess.Popen(["/bin/sh", "-c", cmd], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)


def commit(proc, group, gk, ident):
    proc.stdin.write(begin(group, gk, ident))
    proc.stdin.flush()
    t, p = read_frame(proc.stdout)
    if t != T_SG_COMMIT:
        raise SystemExit("no commitment from a participant: %r" % (t,))
    return p


def finish(proc):
    try:
        proc.stdin.close()
    except BrokenPipeError:
        pass
    return proc.wait(timeout=20)


def attack(case, group, gk_hex, id_a, cmd_a, id_b, cmd_b):
    gk = bytes.fromhex(gk_hex)
    id_a, id_b = int(id_a), int(id_b)
    a = start(cmd_a)
    t0 = time.monotonic()
    if case in ("oversized", "truncated", "stall", "wrongtype"):
        if case == "oversized":
            a.stdin.write(struct.pack(">I", 0xFFFFFFF0) + bytes([T_SG_BEGIN]) + b"x" * 64)
        elif case in ("truncated", "stall"):
            a.stdin.write(begin(group, gk, id_a)[:20])
        else:
            a.stdin.write(frame(T_SG_SHARE, b"\x03\x01\x01" + b"\x00" * 34))
        try:
            a.stdin.flush()
            if case == "truncated":
                a.stdin.close()
        except BrokenPipeError:
            pass
        # a stalled frame: A's own read deadline ends the session
        t, _ = read_frame(a.stdout)
        rc = finish(a)
        took = time.monotonic() - t0
        print("answer", t, "exit", rc, "after %.1f s" % took)
        # a bound or a type is checked on the header: at once, not when
        # A's read deadline (2 s in frost.bats) runs out
        fast = case == "stall" or took < 1.5
        return 0 if t in (None, T_ERROR) and rc != 0 and fast else 1
    b = start(cmd_b)
    msg = b"frost.bats adversarial message"
    if case == "stale":
        # a commitment of an earlier session of A, then a fresh session
        old = commit(a, group, gk, id_a)
        finish(a)
        a = start(cmd_a)
        commit(a, group, gk, id_a)
        cb = commit(b, group, gk, id_b)
        a.stdin.write(package(gk, [old, cb], msg))
        a.stdin.flush()
        t, p = read_frame(a.stdout)
        rc = finish(a)
        finish(b)
        print("answer", t, p, "exit", rc)
        return 0 if t in (None, T_ERROR) and rc != 0 else 1
    # replay: the same package twice in one session
    ca = commit(a, group, gk, id_a)
    cb = commit(b, group, gk, id_b)
    pk = package(gk, [ca, cb], msg)
    a.stdin.write(pk)
    a.stdin.flush()
    t1, _ = read_frame(a.stdout)
    a.stdin.write(pk)
    a.stdin.flush()
    t2, p2 = read_frame(a.stdout)
    rc = finish(a)
    finish(b)
    print("first", t1, "second", t2, p2, "exit", rc)
    return 0 if t1 == T_SG_SHARE and t2 in (None, T_ERROR) and rc != 0 else 1


def main():
    if len(sys.argv) == 5 and sys.argv[1] in ("proxy", "proxy-down"):
        return proxy(int(sys.argv[2], 16), int(sys.argv[3]), sys.argv[4],
                     sys.argv[1] == "proxy-down")
    if len(sys.argv) == 9 and sys.argv[1] == "attack":
        return attack(*sys.argv[2:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
