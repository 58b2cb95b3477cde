"""Shared helpers: extract MCP tool definitions (name, description, inputSchema)
from Python MCP server source (FastMCP `@x.tool()` decorated functions) with the
`ast` module, without running the code; and write labelled jsonl files.

The description is what FastMCP publishes: the function docstring, cleaned with
inspect.cleandoc, or the `description=` keyword of the decorator. Parameters
become JSON-schema properties (type from the annotation, default when literal).
"""
import ast
import inspect
import json
import os
import subprocess

PYTYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean",
           "list": "array", "List": "array", "dict": "object", "Dict": "object"}


def _ann_type(ann):
    if ann is None:
        return None
    if isinstance(ann, ast.Name):
        return PYTYPES.get(ann.id)
    if isinstance(ann, ast.Subscript):
        base = ann.value
        if isinstance(base, ast.Name):
            if base.id in ("Optional",):
                return _ann_type(ann.slice)
            if base.id == "Annotated":
                elts = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
                return _ann_type(elts[0])
            return PYTYPES.get(base.id)
    if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
        return PYTYPES.get(ann.value)
    return None


def _annotated_desc(ann):
    """Description from Annotated[T, Field(description=...)] or Annotated[T, "..."]."""
    if isinstance(ann, ast.Subscript) and isinstance(ann.value, ast.Name) and ann.value.id == "Annotated":
        elts = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else []
        for e in elts[1:]:
            if isinstance(e, ast.Constant) and isinstance(e.value, str):
                return e.value
            if isinstance(e, ast.Call):
                for kw in e.keywords:
                    if kw.arg == "description" and isinstance(kw.value, ast.Constant):
                        return kw.value.value
    return None


def _is_tool_decorator(d):
    f = d.func if isinstance(d, ast.Call) else d
    return isinstance(f, ast.Attribute) and f.attr == "tool"


def extract_tools(src):
    """Yield dicts {name, description, inputSchema, func} for each decorated tool."""
    tree = ast.parse(src)
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        decs = [d for d in node.decorator_list if _is_tool_decorator(d)]
        if not decs:
            continue
        name, desc = node.name, None
        d = decs[0]
        if isinstance(d, ast.Call):
            for kw in d.keywords:
                if kw.arg == "name" and isinstance(kw.value, ast.Constant):
                    name = kw.value.value
                if kw.arg == "description":
                    try:
                        desc = ast.literal_eval(kw.value)
                    except Exception:
                        pass
            if d.args and isinstance(d.args[0], ast.Constant) and isinstance(d.args[0].value, str):
                name = d.args[0].value
        if desc is None:
            ds = ast.get_docstring(node, clean=False)
            desc = inspect.cleandoc(ds) if ds else ""
        args = node.args
        props, required = {}, []
        pos = args.args
        defaults = [None] * (len(pos) - len(args.defaults)) + list(args.defaults)
        allargs = list(zip(pos, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults))
        for a, dflt in allargs:
            if a.arg in ("self", "ctx", "context") :
                continue
            p = {}
            t = _ann_type(a.annotation)
            if t:
                p["type"] = t
            ad = _annotated_desc(a.annotation)
            if ad:
                p["description"] = ad
            if dflt is not None:
                try:
                    p["default"] = ast.literal_eval(dflt)
                except Exception:
                    if isinstance(dflt, ast.Call):
                        for kw in dflt.keywords:
                            if kw.arg == "description" and isinstance(kw.value, ast.Constant):
                                p["description"] = kw.value.value
                            if kw.arg == "default":
                                try:
                                    p["default"] = ast.literal_eval(kw.value)
                                except Exception:
                                    pass
                        if "default" not in p:
                            required.append(a.arg)
            else:
                required.append(a.arg)
            props[a.arg] = p
        schema = {"type": "object", "properties": props}
        if required:
            schema["required"] = required
        out.append({"name": name, "description": desc, "inputSchema": schema, "func": node.name})
    return out


def git_show(gitdir, rev, path):
    return subprocess.run(["git", "--git-dir", gitdir, "show", f"{rev}:{path}"],
                          check=True, capture_output=True).stdout.decode("utf-8", "replace")


def git_ls(gitdir, rev="HEAD"):
    return subprocess.run(["git", "--git-dir", gitdir, "ls-tree", "-r", "--name-only", rev],
                          check=True, capture_output=True, text=True).stdout.split("\n")


def write_jsonl(path, source, label, items):
    """items: dicts with server, tool (name/description/inputSchema), technique.
    Deduplicates identical (name, description, schema); returns count written."""
    seen, n = set(), 0
    with open(path, "w") as f:
        for it in items:
            t = it["tool"]
            key = json.dumps([t["name"], t.get("description", ""), t.get("inputSchema", {})], sort_keys=True)
            if key in seen:
                continue
            seen.add(key)
            n += 1
            # benign ids get a "b" so they never collide with the same source's poisoned ids
            rec = {"id": f"{source}-{n}" if label == "poisoned" else f"{source}-b{n}", "label": label, "source": source,
                   "technique": it.get("technique", ""), "server": it.get("server", ""),
                   "tool": {"name": t["name"], "description": t.get("description", ""),
                            "inputSchema": t.get("inputSchema") or {"type": "object", "properties": {}}}}
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return n


OUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIRROR = "/work/.mirror"


def doc_assignments(src):
    """Descriptions assigned at run time (`func.__doc__ = "..."`, rug pulls):
    list of (func_name, cleaned doc)."""
    out = []
    for node in ast.walk(ast.parse(src)):
        if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Attribute)
                and node.targets[0].attr == "__doc__" and isinstance(node.value, ast.Constant)
                and isinstance(node.targets[0].value, ast.Name)):
            out.append((node.targets[0].value.id, inspect.cleandoc(node.value.value)))
    return out
