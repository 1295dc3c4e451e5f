#!/usr/bin/env bash
# Install what roomctl needs on a Debian/Ubuntu machine, idempotently:
# system packages (as root; otherwise print the exact apt-get line), then .venv/.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(portaudio19-dev mosquitto mosquitto-clients pulseaudio pulseaudio-utils libasound2-plugins openssl chromium)
PYTHON=${PYTHON:-python3}

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "roomctl needs Python 3.11 or newer; '$PYTHON' is $("$PYTHON" --version 2>&1)." >&2
    exit 1
fi

missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    if [ "$(id -u)" -eq 0 ]; then
        echo "Installing system packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${missing[@]}"
    else
        echo "roomctl needs these system packages. Run:" >&2
        echo "    sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi

if [ ! -x .venv/bin/python ]; then
    echo "Creating .venv/"
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'
echo "Set-up complete: .venv/ has roomctl and its test tools."
