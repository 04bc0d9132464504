#!/usr/bin/env bash
# Builds a local stand-in for the public python:3.10-slim-bookworm image, for machines that reach Debian's
# mirror but no registry of base images:
#   Debian bookworm (minbase, mmdebstrap) + the run-time libraries Python needs + this machine's Python 3.10
#   (pyenv's, built --enable-shared) under /usr/local, with pip from its own ensurepip; imported with podman.
#   deploy/base/build-base.sh            builds it when missing (prints the image name)
#   deploy/base/build-base.sh --force    builds it again
# Environment: OKPAY_BASE_IMAGE (the name, default localhost/okpay-python:3.10-slim-bookworm),
# OKPAY_BASE_PYTHON (the Python installation to copy, default $(pyenv root)/versions/3.10.13).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
source deploy/podman.sh

IMAGE="${OKPAY_BASE_IMAGE:-localhost/okpay-python:3.10-slim-bookworm}"
ensure_podman
if [ "${1:-}" != "--force" ] && podman image exists "$IMAGE"; then
  echo "$IMAGE"
  exit 0
fi

PYTHON_HOME="${OKPAY_BASE_PYTHON:-}"
if [ -z "$PYTHON_HOME" ] && command -v pyenv >/dev/null 2>&1; then
  PYTHON_HOME="$(pyenv root)/versions/3.10.13"
fi
if [ ! -x "$PYTHON_HOME/bin/python3.10" ] || [ ! -e "$PYTHON_HOME/lib/libpython3.10.so.1.0" ]; then
  echo "error: no shared-library Python 3.10 at '${PYTHON_HOME}' (set OKPAY_BASE_PYTHON;" \
       "pyenv: PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install 3.10.13)" >&2
  exit 1
fi

# What python:3.10-slim-bookworm has: certificates, netbase, time zones, and the libraries of Python's
# extension modules (ssl, sqlite3, ctypes, uuid, bz2, lzma, readline, curses, expat, nis).
PACKAGES=ca-certificates,netbase,tzdata,libssl3,libsqlite3-0,libffi8,libuuid1,\
libbz2-1.0,liblzma5,libreadline8,libncursesw6,zlib1g,libexpat1,libnsl2,libtirpc3,libcrypt1
mkdir -p var/log
LOG=var/log/build-base.log
echo "Building $IMAGE from Debian bookworm and $PYTHON_HOME (about a minute; log: $LOG)…" >&2
started=$(date +%s)
# The hook runs on this machine with the new root as $1 (deploy/base/customize.sh copies Python in).
export PYTHON_HOME
TARBALL="$CONTAINERS_DIR/base.tar"
trap 'rm -f "$TARBALL"' EXIT
if ! mmdebstrap --variant=minbase --include="$PACKAGES" \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --customize-hook="$PWD/deploy/base/customize.sh \"\$1\"" \
    bookworm "$TARBALL" >"$LOG" 2>&1; then
  tail -n 20 "$LOG" >&2
  echo "error: building $IMAGE failed; see $LOG" >&2
  exit 1
fi
podman import --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' --change 'ENV PYTHON_VERSION=3.10.13' --change 'CMD ["python3"]' \
  "$TARBALL" "$IMAGE" >>"$LOG" 2>&1
probe_ulimits "$IMAGE"
podman run --rm "$IMAGE" python -c 'import ssl, sqlite3, sys; print(sys.version.split()[0])' >/dev/null
echo "Built $IMAGE in $(( $(date +%s) - started )) s ($(podman image inspect --format '{{.Size}}' "$IMAGE" \
  | awk '{printf "%.0f MB", $1 / 1e6}'))." >&2
echo "$IMAGE"
