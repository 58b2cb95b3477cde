#!/bin/bash
# downgrade the mcp SDK to 1.x in envs of servers written against the 1.x API, then re-harvest them
cd /work/peers/mcp-harvest; export UV_CACHE_DIR=$PWD/uvcache UV_PYTHON_DOWNLOADS=never
for p in "$@"; do venv/bin/uv pip install -q --python pyenvs/$p/bin/python "mcp<2" >> logs/py-$p.log 2>&1; done
venv/bin/python harvest.py pypi "$@" >> logs/harvest-pypi.jsonl 2>> logs/harvest-pypi.err
