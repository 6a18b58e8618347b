#!/usr/bin/env python3
"""pty_drive.py - run a command on a new pty (its controlling terminal) and
answer its prompts: pty_drive.py PROMPT ANSWER [PROMPT ANSWER ...] -- CMD...
Each ANSWER line is typed only once PROMPT has appeared in the output (a
prompt flushes what was typed before it). Prints everything the command
wrote; exits with its status (124 when a prompt never came in 30 s)."""
import os
import pty
import select
import sys
import time

args = sys.argv[1:]
sep = args.index("--")
pairs, cmd = args[:sep], args[sep + 1:]
steps = list(zip(pairs[0::2], pairs[1::2]))
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
out, seen = b"", 0
deadline = time.time() + 30
status = None
while True:
    if steps and steps[0][0].encode() in out[seen:]:
        seen = out.index(steps[0][0].encode(), seen) + len(steps[0][0])
        os.write(fd, steps[0][1].encode() + b"\n")
        steps.pop(0)
        deadline = time.time() + 30
    if time.time() > deadline:
        os.kill(pid, 9)
        sys.stdout.write(out.decode(errors="replace"))
        sys.exit(124)
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b""
        if not data:
            break
        out += data
        continue
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = st
        # what is left in the pty
        try:
            while select.select([fd], [], [], 0.1)[0]:
                data = os.read(fd, 4096)
                if not data:
                    break
                out += data
        except OSError:
            pass
        break
if status is None:
    _, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8)
