# Podman on this machine, for the container scripts (deploy/base/build-base.sh, scripts/compose-journey).
# Source it from the project root after scripts/lib.sh.
#
# What it sets, for this project's commands only (the user's global configuration is not touched):
#   CONTAINERS_CONF  var/containers/containers.conf: the runc runtime and ulimits every container gets
#                    (the default runtime fails on these machines, and so does a container without
#                    explicit ulimits). The ulimits are the largest of 65536, 16384, 4096, 1024 that a
#                    container accepts here (the sandbox's hard limits are below 65536).
#   STORAGE_DRIVER   overlay (works here; `export STORAGE_DRIVER=vfs` if a kernel lacks it).

CONTAINERS_DIR=var/containers
export CONTAINERS_CONF="$PWD/$CONTAINERS_DIR/containers.conf"
export STORAGE_DRIVER="${STORAGE_DRIVER:-overlay}"

# podman, podman-compose, runc and mmdebstrap from Debian's packages, when missing.
ensure_podman() {
  ensure_debian_package /usr/bin/podman podman "building and running the container images"
  ensure_debian_package /usr/bin/runc runc "the container runtime that works on these machines"
  ensure_debian_package /usr/bin/podman-compose podman-compose "running deploy/compose.yml"
  ensure_debian_package /usr/bin/mmdebstrap mmdebstrap "building the local base image from Debian packages"
  mkdir -p "$CONTAINERS_DIR"
  if [ ! -f "$CONTAINERS_CONF" ]; then
    _write_containers_conf 65536  # until a base image exists to probe with
  fi
}

_write_containers_conf() {
  cat > "$CONTAINERS_CONF" <<CONF
# Written by deploy/podman.sh: the runtime and limits that work on this machine.
[containers]
default_ulimits = ["nofile=$1:$1", "nproc=$1:$1"]

[engine]
runtime = "runc"
CONF
}

# Keeps the largest ulimits an image's container starts with (probed once, remembered in var/containers).
probe_ulimits() {
  local image=$1 limit
  if [ -f "$CONTAINERS_DIR/ulimits-probed" ]; then
    return 0
  fi
  for limit in 65536 16384 4096 1024; do
    _write_containers_conf "$limit"
    if podman run --rm --network none "$image" true >/dev/null 2>&1; then
      echo "$limit" > "$CONTAINERS_DIR/ulimits-probed"
      return 0
    fi
  done
  echo "error: no container starts here, even with runc and ulimits of 1024; try: podman --runtime runc run --rm $image true" >&2
  exit 1
}
