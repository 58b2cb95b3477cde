#!/bin/bash
# install one npm package into its own prefix
p="$1"; safe=$(echo "$p" | sed 's#^@##; s#/#__#g')
d=/work/peers/mcp-harvest/npm/$safe
mkdir $d 2>/dev/null || exit 0
export PUPPETEER_SKIP_DOWNLOAD=1 PUPPETEER_SKIP_CHROMIUM_DOWNLOAD=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if timeout 300 npm install --prefix $d "$p" --no-audit --no-fund --loglevel=error > /work/peers/mcp-harvest/logs/npm-$safe.log 2>&1; then echo "OK $p"
elif timeout 300 npm install --prefix $d "$p" --ignore-scripts --no-audit --no-fund --loglevel=error >> /work/peers/mcp-harvest/logs/npm-$safe.log 2>&1; then echo "OK-noscripts $p"
else echo "FAIL $p"; fi
