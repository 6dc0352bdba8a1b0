"""test_install.py BUILD_DIR SOURCE_DIR: cmake --install into a temporary
prefix, then use what was installed: every binary's --version, a plan from
the installed examples, the man pages, the bash completion, the systemd
units (systemd-analyze verify), and placerd under a notify socket and a
journal stream as systemd would run it (READY=1, STATUS=, STOPPING=1;
<N> priorities on its log lines)."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BUILD, SRC = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=120,
                          **kw)


tmp = tempfile.mkdtemp(prefix="placer-install-")
try:
    pfx = os.path.join(tmp, "prefix")
    r = run(["cmake", "--install", BUILD, "--prefix", pfx])
    check(r.returncode == 0, "cmake --install (%s)" % r.stderr.strip()[-300:])
    b = os.path.join(pfx, "bin")
    for exe in ("placer", "placerd", "placer-agent"):
        r = run([os.path.join(b, exe), "--version"])
        check(r.returncode == 0 and r.stdout.startswith(exe + " "),
              "installed %s --version (%s)" % (exe, r.stdout.strip()))
    ex = os.path.join(pfx, "share/doc/placer/examples")
    r = run([os.path.join(b, "placer"), "plan", "--cluster",
             os.path.join(ex, "fat-tree-k4.json"),
             os.path.join(ex, "vepc-attach.json")])
    check(r.returncode == 0 and "ADMITTED" in r.stdout,
          "the installed placer plans the installed example")
    # man pages: present and rendered by man(1)
    for page, sec in (("placer", "1"), ("placerd", "8"), ("placer-agent", "8")):
        path = os.path.join(pfx, "share/man/man" + sec, page + "." + sec)
        ok = os.path.exists(path)
        if ok and shutil.which("man"):
            r = run(["man", "-l", path], env=dict(os.environ, MANWIDTH="80",
                                                  MANPAGER="cat", PAGER="cat"))
            ok = r.returncode == 0 and "SYNOPSIS" in r.stdout and page in r.stdout
        check(ok, "man page %s(%s)" % (page, sec))
    # bash completion: it loads and completes the commands and options
    comp = os.path.join(pfx, "share/bash-completion/completions/placer")
    script = ("source %s; COMP_WORDS=(placer su); COMP_CWORD=1; _placer; "
              "echo ${COMPREPLY[@]}; COMP_WORDS=(placerd --log-level ''); "
              "COMP_CWORD=2; _placerd; echo ${COMPREPLY[@]}" % comp)
    r = run(["bash", "-c", script])
    lines = r.stdout.split("\n")
    check(r.returncode == 0 and lines[0].split() == ["submit"]
          and lines[1].split() == ["error", "warn", "info", "debug"],
          "bash completion (%r)" % r.stdout)
    # the units name the installed binaries and pass systemd-analyze verify
    units = os.path.join(pfx, "lib/systemd/system")
    with open(os.path.join(units, "placerd.service")) as f:
        text = f.read()
    check("ExecStart=%s/placerd --config %s/etc/placer/placerd.conf" % (b, pfx)
          in text and "Type=notify" in text, "placerd.service names the prefix")
    if shutil.which("systemd-analyze"):
        inst = os.path.join(tmp, "placer-agent@h1.service")
        shutil.copy(os.path.join(units, "placer-agent@.service"), inst)
        for u in (os.path.join(units, "placerd.service"), inst):
            r = run(["systemd-analyze", "verify", u],
                    env=dict(os.environ,
                             MANPATH=os.path.join(pfx, "share/man") + ":"))
            check(r.returncode == 0, "systemd-analyze verify %s (%s)"
                  % (os.path.basename(u), r.stderr.strip()))
    else:
        print("SKIP systemd-analyze: not installed")
    # placerd as systemd runs it: a notify socket, stderr on the journal
    ns = os.path.join(tmp, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(ns)
    sock.settimeout(20)
    conf = os.path.join(tmp, "placerd.conf")
    with open(conf, "w") as f:
        f.write("[placerd]\ndb = %s/p.db\nlisten = ipc://%s/c.sock\n"
                "agents-listen = ipc://%s/a.sock\n" % (tmp, tmp, tmp))
    log = open(os.path.join(tmp, "placerd.log"), "w")
    st = os.fstat(log.fileno())
    env = dict(os.environ, NOTIFY_SOCKET=ns,
               JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
    p = subprocess.Popen([os.path.join(b, "placerd"), "--config", conf],
                         stdout=log, stderr=log, env=env)
    msgs = []
    try:
        while not any("READY=1" in m for m in msgs):
            msgs.append(sock.recv(4096).decode())
    except socket.timeout:
        pass
    ready = " ".join(msgs)
    check("READY=1" in ready and "STATUS=serving ipc://" in ready,
          "placerd notifies READY=1 with its STATUS (%r)" % ready)
    p.send_signal(signal.SIGTERM)
    stopping = ""
    try:
        stopping = sock.recv(4096).decode()
    except socket.timeout:
        pass
    rc = p.wait(timeout=30)
    check(rc == 0 and "STOPPING=1" in stopping,
          "placerd notifies STOPPING=1 and exits 0 (%d, %r)" % (rc, stopping))
    log.close()
    lines = [l for l in open(os.path.join(tmp, "placerd.log")) if l.strip()]
    check(lines and all(l[0] == "<" and l[2] == ">" for l in lines)
          and any(l.startswith("<6>serving") for l in lines),
          "on the journal, log lines carry priorities (%r)" % lines[:2])
finally:
    shutil.rmtree(tmp, ignore_errors=True)
if failures:
    print("%d checks failed" % len(failures))
    sys.exit(1)
print("all install checks passed")
