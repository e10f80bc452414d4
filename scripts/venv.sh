# Sourced by scripts/up.sh and scripts/test.sh: make .venv hold apeach-ls (editable) with the
# given extras, running pip only when the package's requirements changed since the last
# install (setup.cfg and pyproject.toml hold them) or the install is missing.
# Usage: ensure_venv 'server,release'
ensure_venv() {
  local extras="$1" venv=.venv
  if [ ! -x "$venv/bin/python" ]; then python3.11 -m venv "$venv" 2>/dev/null || python3 -m venv "$venv"; fi
  local stamp="$venv/.apeach-ls-installed-${extras//,/-}"
  local want
  want="$(cat setup.cfg pyproject.toml | sha256sum | cut -d' ' -f1) $("$venv/bin/python" -V 2>&1)"
  if [ -x "$venv/bin/apeach-ls" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  echo "installing apeach-ls[$extras] into $venv (requirements changed or not installed yet) ..." >&2
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q -e ".[$extras]"
  printf '%s\n' "$want" > "$stamp"
}
