#!/bin/sh
# `make ace`: DAISY Ace, the EPUB accessibility checker, on dist/oic-book.epub.
# Ace comes from npm (@daisy/ace-cli) into .cache/ace; it drives Debian's Chromium, as
# the browser tests do, so nothing is downloaded but the npm packages. It needs Node.js,
# which is why it is a target of its own and not part of `make test`.
set -eu
epub=${1:-dist/oic-book.epub}
cache=.cache/ace
if ! command -v npm >/dev/null 2>&1; then
  echo "make ace needs Node.js and npm: sudo apt-get install nodejs npm" >&2
  exit 2
fi
if [ ! -x "$cache/node_modules/.bin/ace-cli" ]; then
  mkdir -p "$cache"
  # Electron and Puppeteer would download browsers of their own: Debian's Chromium is used.
  ELECTRON_SKIP_BINARY_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 \
    npm install --prefix "$cache" --no-audit --no-fund --silent @daisy/ace-cli@1.4.6 >&2
fi
report=$(mktemp -d)
trap 'rm -rf "$report"' EXIT INT TERM
PUPPETEER_EXECUTABLE_PATH=/usr/bin/chromium \
  "$cache/node_modules/.bin/ace-cli" --silent --force --outdir "$report" "$epub" >/dev/null
python3 - "$report/report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
found = [
    f"{doc['earl:testSubject']['url']}: {test['earl:test']['dct:title']} "
    f"({test['earl:test']['earl:impact']})"
    for doc in report["assertions"]
    for test in doc.get("assertions", [])
]
print("\n".join(found) or "Ace: no violations", file=sys.stderr)
sys.exit(1 if found else 0)
PY
