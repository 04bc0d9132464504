#!/usr/bin/env bash
# mmdebstrap's customize hook of deploy/base/build-base.sh: puts $PYTHON_HOME (a shared-library Python
# 3.10) under /usr/local of the new root "$1", like the public python image has it.
set -euo pipefail
root=$1
# Only what is needed to run: no tests, no static library, no Tk, none of the host's site-packages (pip
# comes from ensurepip below), no bytecode (written at first import, as in the public image).
tar -C "$PYTHON_HOME" \
  --exclude=./lib/python3.10/test --exclude=./lib/python3.10/idlelib/idle_test \
  --exclude=./lib/python3.10/tkinter --exclude=./lib/python3.10/turtledemo \
  --exclude='./lib/python3.10/lib-dynload/_tkinter*' --exclude='*.a' \
  --exclude='./lib/python3.10/site-packages/*' --exclude='__pycache__' \
  --exclude='./bin/pip*' --exclude='./bin/idle*' --exclude='./bin/2to3*' --exclude=./share \
  -c . | tar -C "$root/usr/local" -x --no-same-owner
chroot "$root" ldconfig
# Scripts name the interpreter they were installed with (pyenv's path): point them at this one.
for script in "$root"/usr/local/bin/*; do
  if [ -f "$script" ] && [ ! -L "$script" ] && [ "$(head -c 2 "$script")" = "#!" ]; then
    sed -i '1s|^#!.*python.*$|#!/usr/local/bin/python3.10|' "$script"
  fi
done
ln -sf python3.10 "$root/usr/local/bin/python3"
ln -sf python3 "$root/usr/local/bin/python"
chroot "$root" /usr/local/bin/python3.10 -m ensurepip --default-pip >/dev/null 2>&1
ln -sf pip3 "$root/usr/local/bin/pip"
find "$root/usr/local" -name __pycache__ -prune -exec rm -rf {} +
# Every extension module a Rasa install imports loads its library.
chroot "$root" /usr/local/bin/python3 -c "import ssl, sqlite3, ctypes, uuid, bz2, lzma, zlib, readline, decimal, hashlib"
