"""The rules semantics of the config contract, written in Python with Python's own fnmatch
and re, as the reference `ckpt plan` is compared against."""
import fnmatch
import re

DTYPE_ALIASES = {"float": "float32", "double": "float64", "half": "float16", "long": "int64",
                 "int": "int32", "short": "int16"}


def norm_dtype(d):
    d = d.replace("torch.", "")
    return DTYPE_ALIASES.get(d, d)


def matches(m, t, name, aliases):
    if isinstance(m, str):
        m = {"glob": m}
    (kind, v), = m.items()
    if kind == "glob":
        return fnmatch.fnmatchcase(name, v)
    if kind == "regex":
        return re.search(v, name) is not None
    if kind == "name":
        return name == v
    if kind == "prefix":
        return name.startswith(v)
    if kind == "suffix":
        return name.endswith(v)
    if kind == "module":
        return name == v or name.startswith(v + ".")
    if kind == "ndim":
        return len(t["shape"]) == v
    if kind == "dtype":
        return t["dtype"] == norm_dtype(v)
    if kind == "shape":
        return len(t["shape"]) == len(v) and all(d == "*" or d == s for d, s in zip(v, t["shape"]))
    if kind == "numel":
        return v.get("min", float("-inf")) <= t["numel"] <= v.get("max", float("inf"))
    if kind == "alias":
        return any(fnmatch.fnmatchcase(name, g) for g in aliases[v])
    if kind == "all":
        return all(matches(c, t, name, aliases) for c in v)
    if kind == "any":
        return any(matches(c, t, name, aliases) for c in v)
    if kind == "not":
        return not matches(v, t, name, aliases)
    raise ValueError(kind)


def evaluate(tensors, config):
    """tensors: [{name, dtype, shape, numel}] -> (plan rows, rule counts, diagnostics set)."""
    aliases = {k: ([v] if isinstance(v, str) else v) for k, v in config.get("aliases", {}).items()}
    state = [dict(name=t["name"], dropped=False, frozen=False, groups=[], dtype=t["dtype"],
                  last_freeze=None, last_cast=None, renamed_by=None) for t in tensors]
    rules = config.get("rules", [])
    selected = [[] for _ in rules]
    for k, r in enumerate(rules):
        if not r.get("enabled", True):
            continue
        for i, (t, s) in enumerate(zip(tensors, state)):
            if s["dropped"]:
                continue
            if "match" in r and not matches(r["match"], t, s["name"], aliases):
                continue
            if r["action"] == "rename":
                if "regex" in r:
                    if re.search(r["regex"], s["name"]) is None:
                        continue
                    new = re.sub(r["regex"], r["to"], s["name"])
                else:
                    if not s["name"].startswith(r["prefix"]):
                        continue
                    new = r["to"] + s["name"][len(r["prefix"]):]
                s["name"] = new
                s["renamed_by"] = k
            elif r["action"] in ("freeze", "unfreeze"):
                s["frozen"] = r["action"] == "freeze"
                s["last_freeze"] = k
            elif r["action"] == "drop":
                s["dropped"] = True
            elif r["action"] == "group":
                if r["group"] not in s["groups"]:
                    s["groups"].append(r["group"])
            elif r["action"] == "cast":
                s["dtype"] = norm_dtype(r["to"])
                s["last_cast"] = k
            selected[k].append(i)
    diagnostics = set()
    for k, r in enumerate(rules):
        if not r.get("enabled", True):
            continue
        if not selected[k]:
            diagnostics.add(("error", k))
            continue
        visible = False
        for i in selected[k]:
            s = state[i]
            if r["action"] in ("freeze", "unfreeze"):
                visible |= not s["dropped"] and s["last_freeze"] == k
            elif r["action"] == "cast":
                visible |= not s["dropped"] and s["last_cast"] == k
            elif r["action"] == "drop":
                visible = True
            else:
                visible |= not s["dropped"]
        if not visible:
            diagnostics.add(("warning", k))
    seen = {}
    for i, s in enumerate(state):
        if s["dropped"]:
            continue
        if s["name"] in seen:
            j = seen[s["name"]]
            rule = s["renamed_by"] if s["renamed_by"] is not None else state[j]["renamed_by"]
            diagnostics.add(("error", rule))
        else:
            seen[s["name"]] = i
    rows = []
    for s in state:
        rows.append({"name": None if s["dropped"] else s["name"],
                     "frozen": False if s["dropped"] else s["frozen"],
                     "groups": [] if s["dropped"] else s["groups"], "dtype": s["dtype"]})
    counts = [len(sel) for sel in selected]
    return rows, counts, diagnostics
