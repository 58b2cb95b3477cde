#!/bin/bash
p="$1"; d=/work/peers/mcp-harvest/pyenvs/$p
UV=/work/peers/mcp-harvest/venv/bin/uv
export UV_CACHE_DIR=/work/peers/mcp-harvest/uvcache
log=/work/peers/mcp-harvest/logs/py-$p.log
export UV_PYTHON_DOWNLOADS=never; $UV venv -q -p /root/.pyenv/versions/3.12.1/bin/python $d > $log 2>&1
if timeout 400 $UV pip install -q --python $d/bin/python "$p" >> $log 2>&1; then echo "OK $p"; else rm -rf $d; $UV venv -q -p /root/.pyenv/versions/3.13.0/bin/python $d >> $log 2>&1; if timeout 400 $UV pip install -q --python $d/bin/python "$p" >> $log 2>&1; then echo "OK313 $p"; else echo "FAIL $p"; fi; fi
