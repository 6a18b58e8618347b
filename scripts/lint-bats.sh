#!/bin/sh
# lint-bats.sh - rejects bats assertions that cannot fail. Under bats a test
# body runs with set -e, which ignores a command negated with '!' and every
# command of an && list but the last: `! grep x f` and `[ a ] && [ b ]`
# (when not the test's last line) pass whatever they find. Write
# `run ! grep x f`, `[[ ... ]]`, two lines, or end the list with `|| false`.
#   usage: scripts/lint-bats.sh FILE.bats...   (exit 1 on any finding)
# Allowed: `! cmd` and `a && b` as the condition of if/while/until/elif,
# inside [[ ]], (( )), $( ) and quotes, and `cmd && break|continue|return|
# exit|VAR=value` (a conditional action, not an assertion).
set -eu
[ "$#" -gt 0 ] || { echo "usage: $0 FILE.bats..." >&2; exit 2; }
exec python3 - "$@" <<'PY'
import re, sys

ACTIONS = re.compile(r"^(break|continue|return|exit)\b|^[A-Za-z_][A-Za-z_0-9]*(\[[^]]*\])?\+?=")
LEADERS = {"then", "do", "else", "{", "(", "time"}
COND = {"if", "while", "until", "elif"}
bad = 0


def commands(body):
    """Yield (line number, [top-level words]) of each simple command list."""
    i, n, line = 0, len(body), 0
    words, word, start = [], "", None
    heredocs = []
    depth_sub = 0  # $( ) and ( ) nesting skipped as opaque
    dbl = 0        # [[ ]] nesting

    def flush_word():
        nonlocal word
        if word:
            words.append(word)
            word = ""

    while i < n:
        c = body[i]
        if c == "\n":
            flush_word()
            if heredocs:  # skip heredoc bodies
                j = i + 1
                while heredocs:
                    end = heredocs[0]
                    k = body.find("\n", j)
                    k = n if k < 0 else k
                    if body[j:k].strip("\t") == end:
                        heredocs.pop(0)
                    j = k + 1
                    if j >= n:
                        break
                i = j - 1
            if words and words[-1] in ("&&", "||", "|"):
                i += 1
                continue
            if words:
                yield start, words
            words, start = [], None
            i += 1
            continue
        if c == "\\" and i + 1 < n and body[i + 1] == "\n":
            i += 2
            continue
        if start is None and not c.isspace():
            start = body.count("\n", 0, i)
        if c == "#" and not word:
            while i < n and body[i] != "\n":
                i += 1
            continue
        if c == "'":
            j = body.index("'", i + 1)
            word += "Q"
            i = j + 1
            continue
        if c == '"' or (c == "$" and body[i + 1:i + 2] == "("):
            # a double-quoted string or $( ): skip to its matching end
            j, stack = i + (2 if c == "$" else 1), ['"' if c == '"' else ")"]
            while stack:
                d = body[j]
                if d == "\\":
                    j += 2
                    continue
                top = stack[-1]
                if top == '"':
                    if d == '"':
                        stack.pop()
                    elif d == "$" and body[j + 1] == "(":
                        stack.append(")")
                        j += 1
                elif top == "'":
                    if d == "'":
                        stack.pop()
                else:
                    if d == ")":
                        stack.pop()
                    elif d == "(":
                        stack.append(")")
                    elif d == '"':
                        stack.append('"')
                    elif d == "'":
                        stack.append("'")
                j += 1
            word += "Q"
            i = j
            continue
        if c == "<" and body.startswith("<<", i) and not body.startswith("<<<", i):
            m = re.match(r"<<-?\s*(['\"]?)([A-Za-z_]\w*)\1", body[i:])
            if m:
                heredocs.append(m.group(2))
                flush_word()
                i += m.end()
                continue
        if c in " \t":
            flush_word()
            i += 1
            continue
        if c in ";&|":
            two = body[i:i + 2]
            flush_word()
            if two in ("&&", "||"):
                words.append(two)
                i += 2
                continue
            if c == ";" and not dbl:
                if words:
                    yield start, words
                words, start = [], None
                i += 1
                continue
            words.append(c)
            i += 1
            continue
        word += c
        if word == "[[":
            dbl += 1
        elif word == "]]":
            dbl = max(0, dbl - 1)
        i += 1
    flush_word()
    if words:
        yield start, words


def check(path):
    global bad
    text = open(path).read()
    for m in re.finditer(r'^@test [^\n]*\{\n(.*?)^\}$', text, re.S | re.M):
        first = text.count("\n", 0, m.start(1)) + 1
        for off, ws in commands(m.group(1)):
            lineno = first + off
            k = 0
            while k < len(ws) and ws[k] in LEADERS:
                k += 1
            ws = ws[k:]
            if not ws or ws[0] in COND:
                continue
            if ws[0] == "!":
                print(f"{path}:{lineno}: bare '!' command: set -e ignores it; use 'run ! ...' or [[ ]]")
                bad = 1
                continue
            # the && list: strip [[ ]] insides, then look at each && operand
            flat, inside = [], 0
            for w in ws:
                if w == "[[":
                    inside += 1
                elif w == "]]":
                    inside -= 1
                elif not inside:
                    flat.append(w)
                    continue
                flat.append("X")
            tail = " ".join(flat[-2:])
            if tail in ("|| false", "|| return", "|| exit") or (
                    len(flat) >= 3 and flat[-3] == "||" and flat[-2] in ("return", "exit")):
                continue
            for j, w in enumerate(flat):
                if w == "&&":
                    rhs = " ".join(flat[j + 1:])
                    if not ACTIONS.match(rhs):
                        print(f"{path}:{lineno}: '&&' list as an assertion: set -e ignores all "
                              f"but its last command; split it or end it with '|| false'")
                        bad = 1
                        break


for p in sys.argv[1:]:
    check(p)
sys.exit(bad)
PY
