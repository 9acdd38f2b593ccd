#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""ptydrive.py - run a program on a pseudo-terminal and answer its prompts.

    ptydrive.py [-t SECONDS] [-w SECONDS] [-x REGEX -s TEXT]... -- PROGRAM [ARG]...

Each -x REGEX waits until the output matches REGEX (since the last match),
then sends the -s TEXT that follows it plus a newline.  A -x with no -s
after it only waits.  The whole transcript goes to stdout; the exit status
is 0 when every -x matched, 1 when one did not (timeout or end of output),
2 for usage errors.  The program is killed at the end either way.
-w waits that long before each answer: a program that turns echo off
with TCSAFLUSH after its prompt (pam_misc's conversation, as in vlock)
would otherwise throw away an answer that came too soon.
For tests only: programs such as login(1) insist on a terminal.
"""
import os
import pty
import re
import select
import signal
import sys
import time


def main(argv):
    timeout = 10.0
    wait = 0.0
    steps = []
    i = 0
    while i < len(argv) and argv[i] != "--":
        if argv[i] == "-t" and i + 1 < len(argv):
            timeout = float(argv[i + 1])
            i += 2
        elif argv[i] == "-w" and i + 1 < len(argv):
            wait = float(argv[i + 1])
            i += 2
        elif argv[i] == "-x" and i + 1 < len(argv):
            steps.append([re.compile(argv[i + 1].encode()), None])
            i += 2
        elif argv[i] == "-s" and i + 1 < len(argv) and steps and steps[-1][1] is None:
            steps[-1][1] = argv[i + 1].encode()
            i += 2
        else:
            print("ptydrive: bad arguments", file=sys.stderr)
            return 2
    cmd = argv[i + 1:]
    if not cmd:
        print("ptydrive: no program", file=sys.stderr)
        return 2

    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)

    out = b""
    pos = 0
    deadline = time.monotonic() + timeout
    status = 0
    eof = False
    for rx, text in steps:
        m = rx.search(out, pos)
        while m is None and not eof:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([fd], [], [], min(left, 0.2))
            if r:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    data = b""
                if not data:
                    eof = True
                out += data
            m = rx.search(out, pos)
        if m is None:
            sys.stdout.write(out.decode(errors="replace"))
            print("\nptydrive: no match for %r" % rx.pattern.decode())
            status = 1
            break
        pos = m.end()
        if text is not None:
            time.sleep(wait)
            os.write(fd, text + b"\n")
    else:
        # Collect what follows the last answer for a moment.
        end = min(deadline, time.monotonic() + 0.3)
        while not eof and time.monotonic() < end:
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    data = b""
                eof = not data
                out += data
        sys.stdout.write(out.decode(errors="replace"))
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
    os.close(fd)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
