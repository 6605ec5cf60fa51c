#!/usr/bin/env bash
# Copies the portal's third-party libraries from node_modules (pinned in package.json, installed
# by `npm ci`) into portal/vendor/, which is gitignored: nothing hand-written stands in for them.
set -euo pipefail
cd "$(dirname "$0")/.."
out=portal/vendor
mkdir -p "$out"
copy() { test -f "node_modules/$1" || { echo "missing node_modules/$1: run npm ci" >&2; exit 1; }; cp "node_modules/$1" "$out/$2"; }
copy @azure/msal-browser/lib/msal-browser.min.js msal-browser.min.js
copy uplot/dist/uPlot.iife.min.js uPlot.iife.min.js
copy uplot/dist/uPlot.min.css uPlot.min.css
# Only the browser tests load axe; it is never referenced by the portal's pages.
copy axe-core/axe.min.js axe.min.js
