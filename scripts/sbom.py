#!/usr/bin/env python3
"""CycloneDX 1.5 SBOM of the authorizer's `bootstrap` for one target, from `cargo metadata`.

    sbom.py TARGET_TRIPLE ZIP OUT.json

Lists every crate the build links for TARGET_TRIPLE (normal and build dependencies
reachable from the authorizer crate, dev-dependencies excluded) with its version, purl and
the registry's SHA-256 from Cargo.lock, plus the zip's own SHA-256. The output depends only
on the commit (timestamp: SOURCE_DATE_EPOCH; serial number: derived from the zip's hash),
so it is reproducible like the zip.
"""
import hashlib
import json
import os
import subprocess
import sys
import time
import tomllib
import uuid


def main(argv):
    if len(argv) != 4:
        sys.exit("usage: sbom.py TARGET_TRIPLE ZIP OUT.json")
    triple, zip_path, out = argv[1:]
    crate_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "authorizer")
    meta = json.loads(subprocess.check_output(
        ["cargo", "metadata", "--format-version", "1", "--locked", "--filter-platform", triple],
        cwd=crate_dir))
    with open(os.path.join(crate_dir, "Cargo.lock"), "rb") as f:
        checksums = {(p["name"], p["version"]): p.get("checksum") for p in tomllib.load(f)["package"]}
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    root = meta["resolve"]["root"]

    # Walk normal and build edges only: dev-dependencies are not in the binary.
    seen, todo, edges = set(), [root], {}
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        deps = [d["pkg"] for d in nodes[node]["deps"]
                if any(k["kind"] in (None, "build") for k in d["dep_kinds"])]
        edges[node] = sorted(set(deps))
        todo.extend(deps)

    def ref(pid):
        p = packages[pid]
        return f"pkg:cargo/{p['name']}@{p['version']}"

    with open(zip_path, "rb") as f:
        zip_sha = hashlib.sha256(f.read()).hexdigest()
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    top = packages[root]
    components = []
    for pid in sorted(seen - {root}, key=ref):
        p = packages[pid]
        c = {"type": "library", "bom-ref": ref(pid), "name": p["name"], "version": p["version"],
             "purl": ref(pid)}
        if p.get("license"):
            c["licenses"] = [{"expression": p["license"]}]
        sha = checksums.get((p["name"], p["version"]))
        if sha:
            c["hashes"] = [{"alg": "SHA-256", "content": sha}]
        components.append(c)
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'sha256:' + zip_sha)}",
        "version": 1,
        "metadata": {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch)),
            "component": {
                "type": "application", "bom-ref": ref(root), "name": "bootstrap",
                "version": top["version"], "purl": ref(root),
                "description": f"{top['name']} Lambda bootstrap for {triple}",
                "hashes": [{"alg": "SHA-256", "content": zip_sha}],
            },
        },
        "components": components,
        "dependencies": [{"ref": ref(n), "dependsOn": [ref(d) for d in edges[n]]}
                         for n in sorted(seen, key=ref)],
    }
    with open(out, "w") as f:
        json.dump(bom, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"sbom: {out}: {len(components)} components")


if __name__ == "__main__":
    main(sys.argv)
