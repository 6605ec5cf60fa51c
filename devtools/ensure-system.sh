#!/usr/bin/env bash
# Installs the system packages the demo and tests need, only where they are missing.
# Debian packages by name; runs apt-get only when something is actually absent.
set -euo pipefail

missing=()
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
for pkg in "$@"; do
  case "$pkg" in
    *:*) cmd=${pkg#*:}; name=${pkg%%:*} ;;  # name:command or name:/path, e.g. poppler-utils:pdftoppm
    *) cmd=$pkg; name=$pkg ;;
  esac
  case "$cmd" in
    /*) [ -e "$cmd" ] || missing+=("$name") ;;  # a file the package installs
    *) command -v "$cmd" >/dev/null 2>&1 || missing+=("$name") ;;
  esac
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing system packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
