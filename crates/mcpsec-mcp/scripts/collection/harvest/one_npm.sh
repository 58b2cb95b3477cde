#!/bin/bash
# install, harvest, then delete one npm package (disk is tight)
cd /work/peers/mcp-harvest; p="$1"; safe=$(echo "$p" | sed 's#^@##; s#/#__#g')
rm -rf npm/$safe; r=$(./install_npm.sh "$p"); echo "$r" >> logs/npm-install-status3.txt
case "$r" in OK*) venv/bin/python harvest.py npm "$p" >> logs/harvest-npm.jsonl 2>> logs/harvest-npm.err;; esac
rm -rf npm/$safe
