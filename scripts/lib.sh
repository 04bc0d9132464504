# Shared shell functions of scripts/run, scripts/test and scripts/train.
# Source it from the project root.

export RASA_TELEMETRY_ENABLED=false
export TF_CPP_MIN_LOG_LEVEL=2
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
# Rasa's training cache stays inside the project (ignored by git).
export RASA_CACHE_DIRECTORY="${RASA_CACHE_DIRECTORY:-$PWD/.rasa/cache}"

VENV=.venv
PY="$VENV/bin/python"
INSTALL_STAMP="$VENV/.okpay-install"

_python_version_ok() {
  "$1" -c 'import sys; sys.exit(0 if (3, 8) <= sys.version_info[:2] <= (3, 10) else 1)' 2>/dev/null
}

# Prints a Python 3.8–3.10 interpreter (3.10 preferred) or explains what to install.
find_python() {
  local candidates=()
  if [ -n "${PYTHON:-}" ]; then
    if _python_version_ok "$PYTHON"; then echo "$PYTHON"; return 0; fi
    echo "error: PYTHON=$PYTHON is not Python 3.8–3.10 (Rasa 3.6 needs one of those)." >&2
    return 1
  fi
  candidates+=(python3.10)
  if command -v pyenv >/dev/null 2>&1; then
    candidates+=("$(pyenv root)"/versions/3.10*/bin/python)
  fi
  candidates+=("$HOME"/.pyenv/versions/3.10*/bin/python /usr/bin/python3.10 /usr/local/bin/python3.10 python3)
  local candidate
  for candidate in "${candidates[@]}"; do
    if command -v "$candidate" >/dev/null 2>&1 && _python_version_ok "$candidate"; then
      command -v "$candidate"
      return 0
    fi
  done
  cat >&2 <<'MSG'
error: no Python 3.10 found. Rasa 3.6.21 runs on Python 3.8–3.10 only.
Install one, for example:
  pyenv install 3.10.13            (with pyenv)
  apt-get install python3.10 python3.10-venv   (Debian/Ubuntu with that package)
or point to an interpreter you have:  PYTHON=/path/to/python3.10 scripts/run
MSG
  return 1
}

# Creates .venv and installs the pinned dependencies when they changed.
ensure_venv() {
  local wanted
  wanted=$(cat requirements.txt requirements-dev.txt constraints.txt | sha256sum | cut -c1-16)
  if [ -x "$PY" ] && [ "$(cat "$INSTALL_STAMP" 2>/dev/null)" = "$wanted" ]; then
    return 0
  fi
  if [ ! -x "$PY" ]; then
    local python
    python=$(find_python) || exit 1
    echo "Creating $VENV with $python"
    "$python" -m venv "$VENV"
  fi
  echo "Installing pinned dependencies (a few minutes the first time)…"
  "$PY" -m pip install --quiet --disable-pip-version-check "pip==24.2" "setuptools==70.3.0" "wheel==0.43.0"
  "$PY" -m pip install --quiet --disable-pip-version-check \
    -r requirements-dev.txt -c constraints.txt
  echo "$wanted" > "$INSTALL_STAMP"
}

TOOLS_VENV=.venv-tools
TOOLS_PY="$TOOLS_VENV/bin/python"

# Creates .venv-tools (kubernetes-validate; see requirements-tools.txt) when its pins changed.
ensure_tools_venv() {
  local wanted stamp="$TOOLS_VENV/.okpay-install"
  wanted=$(sha256sum < requirements-tools.txt | cut -c1-16)
  if [ -x "$TOOLS_PY" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
    return 0
  fi
  if [ ! -x "$TOOLS_PY" ]; then
    local python
    python=$(find_python) || exit 1
    "$python" -m venv "$TOOLS_VENV"
  fi
  "$TOOLS_PY" -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-tools.txt
  echo "$wanted" > "$stamp"
}

# Trains when no model matches the current config, domain, data and NLU code.
ensure_model() {
  local model name
  model=$("$PY" -m bot.model_files path)
  if [ -f "$model" ]; then
    return 0
  fi
  name=$("$PY" -m bot.model_files name)
  echo "Training the model $name (config, domain or data changed; about a minute; log: var/log/train.log)…"
  mkdir -p var/log
  if ! "$PY" -m rasa train --data bot/data --domain domain.yml --config config.yml \
      --out bot/models --fixed-model-name "$name" > var/log/train.log 2>&1; then
    tail -n 40 var/log/train.log >&2
    echo "error: training failed; the whole log is in var/log/train.log" >&2
    exit 1
  fi
  "$PY" -m bot.model_files prune
}

# Installs a Debian package when its program is missing (as root, or with sudo).
ensure_debian_package() {
  local program=$1 package=$2 why=$3
  if [ -x "$program" ]; then
    return 0
  fi
  echo "Installing Debian's $package ($why)…"
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "error: $program is missing; install the Debian package '$package' (apt-get install $package)" >&2
      exit 1
    fi
  fi
  mkdir -p var/log
  local log="var/log/apt-$package.log"
  # RUNLEVEL=1: the package must not start a service of its own (nginx on port 80).
  if ! RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "$package" >"$log" 2>&1; then
    $sudo apt-get update -q >>"$log" 2>&1 || true
    RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "$package" >>"$log" 2>&1 || {
      echo "error: could not install $package; see $log" >&2
      exit 1
    }
  fi
}

# The console's browser tests drive Debian's Chromium (no browser download).
ensure_chromium() {
  ensure_debian_package /usr/bin/chromium chromium "the browser tests"
}

# The replicated deployment's load balancer.
ensure_nginx() {
  ensure_debian_package /usr/sbin/nginx nginx-light "the load balancer of the replicated deployment"
}
