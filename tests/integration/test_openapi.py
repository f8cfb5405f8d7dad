#!/usr/bin/env python3
"""docs/openapi.json against a running shelterd, so that the description cannot drift from the
code. The document is read first: OpenAPI 3.0.x with info, paths and components, every $ref
resolves, every path parameter is declared, every /v1 operation needs the bearer token and
documents 401, every error of /v1 is the Error schema, and every example fits its schema.

Then one shelterd (a households file with one household, an admin token file, the block page
and the public pages so that appeals and "Ask my parent" requests can be made, a state
directory, the parents' portal, --test-clock) is driven through EVERY operation the document
lists, with plausible values: households, devices, an appeal filed through the public appeal
form and a request asked from a child's block page, then each decided or answered through the
API, and nonexistent ids where the document says 404. Each answer's status must be one the
operation documents (and the one expected), its media type one it documents, and a JSON body
must fit the documented schema (required properties and types, enums, nullable, items). Every
operation must have answered 2xx at least once; every /v1 operation is called once without a
token (401 documented and returned); every method a path does not list is answered as its
x-unlisted-methods says. A second shelterd without a households file, state directory, portal
or --test-clock gives the 503, 404 and 403 answers of a node that lacks them.

A route removed, a status or a field changed in the code, or an operation added to the
document without the code, fails here."""
import http.client
import json
import os
import re
import shlex
import time
import urllib.parse

from clients import ADMIN_TOKEN
from clients import http as curl
from fake_upstream import FakeUpstream, Rule
from harness import Suite, base_config, free_port

SPEC_PATH = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                          os.pardir, os.pardir, "docs", "openapi.json"))
METHODS = ("get", "put", "post", "patch", "delete")
ALL_METHODS = METHODS + ("head", "options", "trace")
FORWARDED = "198.51.100.44"
KIDS, STRANGER = "127.0.0.2", "127.0.0.99"
NAV = ["Sec-Fetch-Dest: document", "Sec-Fetch-Mode: navigate"]
LISTS = [
    {"id": "parental", "format": "domains", "category": "adult", "entries": ["adult.test"]},
    {"id": "social", "format": "domains", "category": "social-media",
     "entries": ["social.test"]},
]
HOUSEHOLDS = """households:
  kids:
    profile: under-9
    addresses: [127.0.0.2/32]
"""
FILES = {"households.yaml": HOUSEHOLDS, "admin.tokens": f"operator {ADMIN_TOKEN}\n"}


# --- the document -------------------------------------------------------------------------


class Spec:
    def __init__(self, doc):
        self.doc = doc

    def pointer(self, ref):
        """The object a local $ref names ("#/components/schemas/Household"), or None."""
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return None
        node = self.doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            else:
                return None
        return node

    def deref(self, node):
        """node with its $refs followed ({} for one that does not resolve: reported apart)."""
        for _ in range(20):
            if not (isinstance(node, dict) and "$ref" in node):
                return node
            node = self.pointer(node["$ref"]) or {}
        raise ValueError("a $ref cycle")

    def operations(self):
        """[(path, method, operation)] in document order."""
        return [(path, method, item[method]) for path, item in self.doc.get("paths", {}).items()
                for method in ALL_METHODS if method in item]

    def operation(self, path, method):
        return self.doc.get("paths", {}).get(path, {}).get(method.lower())

    def security(self, op):
        return op.get("security", self.doc.get("security", []))

    def parameters(self, path, op):
        item = self.doc["paths"][path]
        return [self.deref(p) for p in item.get("parameters", []) + op.get("parameters", [])]


def refs(node, where="$"):
    """Every ($ref, where) in node."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v, where
            else:
                yield from refs(v, f"{where}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from refs(v, f"{where}[{i}]")


_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


def type_ok(value, kind):
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _TYPES[kind])


def problems(spec, value, schema, where="$"):
    """How value fails the schema: type (object, array, string, integer, number, boolean, null
    by nullable), required, properties, additionalProperties, items, enum, pattern, allOf,
    oneOf, anyOf. An empty list: it fits."""
    schema = spec.deref(schema)
    if value is None and schema.get("nullable"):
        return []
    out = []
    for sub in schema.get("allOf", []):
        out += problems(spec, value, sub, where)
    if "oneOf" in schema:
        fits = sum(not problems(spec, value, s, where) for s in schema["oneOf"])
        if fits != 1:
            out.append(f"{where}: fits {fits} of oneOf, not exactly one: {value!r:.80}")
    if "anyOf" in schema and all(problems(spec, value, s, where) for s in schema["anyOf"]):
        out.append(f"{where}: fits none of anyOf: {value!r:.80}")
    kind = schema.get("type")
    if kind is not None:
        if value is None:
            return out + [f"{where}: null, but {kind} and not nullable"]
        if not type_ok(value, kind):
            return out + [f"{where}: {type(value).__name__} {value!r:.80}, not {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"],
                                                                        value):
        out.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                out.append(f"{where}: required {key!r} is missing")
        for key, sub in props.items():
            if key in value:
                out += problems(spec, value[key], sub, f"{where}.{key}")
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key in value:
                if key not in props:
                    out += problems(spec, value[key], extra, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            out += problems(spec, item, schema["items"], f"{where}[{i}]")
    return out


def examples(spec):
    """Every (example, schema, where) of the document: schemas' and media types'."""
    for name, schema in spec.doc.get("components", {}).get("schemas", {}).items():
        if "example" in schema:
            yield schema["example"], schema, f"components.schemas.{name}"
    media_holders, shared = [], set()
    for path, method, op in spec.operations():
        for holder, what in [(op.get("requestBody", {}), "request")] + [
                (r, s) for s, r in op.get("responses", {}).items()]:
            ref = holder.get("$ref")
            if ref in shared:
                continue  # a shared response: checked once
            if ref:
                shared.add(ref)
            media_holders.append((spec.deref(holder), ref or f"{method.upper()} {path} {what}"))
    for holder, where in media_holders:
        for media_type, media in holder.get("content", {}).items():
            if "example" in media and "schema" in media and "json" in media_type:
                yield media["example"], media["schema"], f"{where} {media_type}"


def check_document(t, spec):
    doc = spec.doc
    t.check(isinstance(doc.get("openapi"), str) and re.fullmatch(r"3\.0\.\d+", doc["openapi"]),
            "the document is OpenAPI 3.0.x", doc.get("openapi"))
    info = doc.get("info", {})
    t.check(info.get("title") and info.get("version"), "info has a title and a version", info)
    t.check(doc.get("paths") and doc.get("components", {}).get("schemas"),
            "it has paths and components.schemas")
    broken = [f"{where}: {ref}" for ref, where in refs(doc) if spec.pointer(ref) is None]
    t.check(not broken, f"every $ref resolves ({sum(1 for _ in refs(doc))} of them)",
            "\n".join(broken))
    schemes = doc.get("components", {}).get("securitySchemes", {})
    t.check(schemes.get("bearerAuth", {}).get("type") == "http"
            and schemes["bearerAuth"].get("scheme") == "bearer",
            "securitySchemes.bearerAuth is http bearer", schemes)
    ops = spec.operations()
    ids = [op.get("operationId") for _, _, op in ops]
    t.check(all(ids) and len(ids) == len(set(ids)), f"{len(ids)} operations, each with an "
            "operationId of its own", ids)
    wrong = []
    for path, method, op in ops:
        name = f"{method.upper()} {path}"
        declared = {p["name"] for p in spec.parameters(path, op) if p.get("in") == "path"}
        if declared != set(re.findall(r"\{([^}]+)\}", path)):
            wrong.append(f"{name}: path parameters {sorted(declared)}")
        responses = op.get("responses", {})
        if not any(s.startswith("2") for s in responses):
            wrong.append(f"{name}: no 2xx answer")
        bearer = {"bearerAuth": []} in spec.security(op)
        if path.startswith("/v1/"):
            if not bearer or "401" not in responses:
                wrong.append(f"{name}: not bearer-protected with 401 documented")
            for status, resp in responses.items():
                # A failed reload answers the reload's status, not an Error.
                if status[0] in "45" and (path, status) != ("/v1/lists/reload", "409"):
                    schema = spec.deref(resp).get("content", {}).get("application/json", {}) \
                        .get("schema", {})
                    if schema.get("$ref") != "#/components/schemas/Error":
                        wrong.append(f"{name} {status}: not the Error schema")
        elif bearer:
            wrong.append(f"{name}: needs no token, but documents one")
    for path, item in doc.get("paths", {}).items():
        if not isinstance(item.get("x-unlisted-methods", {}).get("status"), int):
            wrong.append(f"{path}: no x-unlisted-methods status")
    t.check(not wrong, "every operation: path parameters declared, a 2xx, bearer and 401 on "
            "/v1 (none elsewhere), errors as Error; every path: x-unlisted-methods",
            "\n".join(wrong))
    bad, count = [], 0
    for value, schema, where in examples(spec):
        count += 1
        bad += [f"{where}: {p}" for p in problems(spec, value, schema)]
    t.check(count >= 20 and not bad, f"every example fits its schema ({count} examples)",
            "\n".join(bad))


# --- the daemon through the document ------------------------------------------------------


class Reply:
    def __init__(self, op_id, status, headers, text, parsed):
        self.op_id, self.status, self.headers = op_id, status, headers
        self.text, self.json = text, parsed


def request(port, method, target, body=None, headers=None):
    """(status, {lower-case header: value}, text) of one request to 127.0.0.1:port."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, target, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode(
            "utf-8", "replace")
    finally:
        conn.close()


class Api:
    """Calls operations of the document on a daemon and checks each answer against it."""

    def __init__(self, t, spec, d):
        self.t, self.spec, self.d = t, spec, d
        self.seen = {}  # (path, method) -> {status}

    def call(self, method, template, params=None, query=None, body=None, raw=None, want=None,
             token=ADMIN_TOKEN, content_type="application/json", note=""):
        """One operation: template is the document's path ("/v1/households/{id}"), params fill
        it, query is a dict, body is JSON (raw: text as it is). want: the status expected.
        """
        t, spec = self.t, self.spec
        path = template
        for name, value in (params or {}).items():
            path = path.replace("{" + name + "}", urllib.parse.quote(str(value), safe="!"))
        target = path + ("?" + urllib.parse.urlencode(query) if query else "")
        shown = f"{method} {target}{note}"
        op = spec.operation(template, method)
        if op is None:
            t.check(False, f"{shown}: {method} {template} is not in the document")
            return Reply(None, None, {}, "", None)
        headers = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (None if body is None else json.dumps(body))
        if data is not None:
            headers["Content-Type"] = content_type
        status, got_headers, text = request(self.d.admin_port, method, target, data, headers)
        self.seen.setdefault((template, method.lower()), set()).add(status)
        responses = op.get("responses", {})
        detail = f"$ {shown}" + (f" {shlex.quote(data) if isinstance(data, str) else data!r}"
                                 if data is not None else "") + f"\n-> {status}\n{text[:600]}"
        expected = f" (want {want})" if want is not None and want != status else ""
        t.check(str(status) in responses and (want is None or status == want),
                f"{shown} -> {status}{expected}: documented for {op['operationId']} "
                f"({', '.join(sorted(responses))})", detail)
        parsed = None
        if str(status) in responses:
            content = spec.deref(responses[str(status)]).get("content", {})
            media = got_headers.get("content-type", "").split(";")[0].strip()
            found = []
            if media not in content:
                found.append(f"media type {media!r} is not documented ({', '.join(content)})")
            elif media == "application/json":
                try:
                    parsed = json.loads(text)
                except ValueError as e:
                    found.append(f"not JSON: {e}")
                else:
                    found += problems(spec, parsed, content[media].get("schema", {}))
            if status == 401:
                realm = got_headers.get("www-authenticate", "")
                if not realm.startswith("Bearer"):
                    found.append(f"WWW-Authenticate is {realm!r}")
            t.check(not found, f"{shown} -> {status}: the {media or 'empty'} body fits the "
                    "document", detail + "\n" + "\n".join(found))
        return Reply(op["operationId"], status, got_headers, text, parsed)


# --- the public pages: an appeal and an "Ask my parent" request ---------------------------


def field(page, name):
    m = re.search(r'name="' + re.escape(name) + r'" value="([^"]*)"', page.body)
    return m.group(1) if m else None


def file_appeal(t, ports, site):
    """An appeal through the public appeal form; its id or None."""
    source = "127.0.0.21"
    form = curl(ports.pub, "/appeal?site=" + urllib.parse.quote(site), source=source)
    data = {"url": field(form, "url") or site, "reporter": "parent",
            "why": "A school project needs it", "contact": "parent@example.test",
            "csrf": field(form, "csrf") or ""}
    r = curl(ports.pub, "/appeal", "POST", data=data, source=source)
    m = re.fullmatch(r"/appeal/case\?id=([0-9A-Z]{8})&s=[0-9A-Z]{26}",
                     r.headers.get("location", ""))
    t.check(r.status == 303 and m, f"an appeal for {site} filed through the public form", r)
    return m.group(1) if m else None


def ask_parent(t, ports, site, source):
    """An access request from a child's block page; its id or None."""
    page = curl(ports.web, "/", host=site, headers=NAV, source=source)
    m = re.search(r'<form class="ask" method="post" action="/\.shelter/ask">\s*'
                  r'<input type="hidden" name="csrf" value="([^"]+)">', page.body)
    r = curl(ports.web, "/.shelter/ask", "POST", host=site, data={"csrf": m.group(1) if m else ""},
             source=source)
    rid = re.fullmatch(r"/\.shelter/ask\?id=([0-9A-Z]{26})", r.headers.get("location", ""))
    t.check(r.status == 303 and rid, f"an 'Ask my parent' request for {site} from {source}",
            f"{page}\n---\n{r}")
    return rid.group(1) if rid else None


# --- the cases ----------------------------------------------------------------------------


def check_node(t, a, ctx):
    for path, kind in (("/healthz", "text/plain"), ("/readyz", "application/json"),
                       ("/metrics", "text/plain")):
        r = a.call("GET", path, token=None, want=200)
        t.check(r.headers.get("content-type", "").startswith(kind), f"GET {path}: {kind}",
                r.headers)


def check_households(t, a, ctx):
    smith = {"id": "smith", "profile": "9-12", "time-zone": "Europe/London",
             "addresses": ["127.0.0.3/32"], "cpe-ids": ["cpe-00417"],
             "devices": {"tablet": {"profile": "under-9", "macs": ["02:00:5E:10:00:01"]}}}
    r = a.call("POST", "/v1/households", body=smith, want=201)
    t.check(r.json and r.json["household"]["id"] == "smith" and r.json["changed"] is True,
            "the created household is answered", r.text)
    a.call("POST", "/v1/households", body=smith, want=409)
    a.call("POST", "/v1/households", body={"id": "x1", "addresses": ["127.0.0.2/32"]}, want=409)
    a.call("POST", "/v1/households", body={"id": "a b"}, want=400)
    r = a.call("POST", "/v1/households", body={"id": "x2", "profile": "nine"}, want=400)
    t.check(r.json and r.json.get("reasons"), "a household that does not read: reasons", r.text)
    a.call("POST", "/v1/households", raw="{not json", want=400)
    a.call("POST", "/v1/households", body={"id": "temp", "profile": "adult"}, want=201)

    a.call("GET", "/v1/households", want=200)
    r = a.call("GET", "/v1/households", query={"limit": 1}, want=200)
    t.check(r.json and len(r.json["households"]) == 1 and r.json["next"] == "kids",
            "a page of 1: kids, then next", r.text)
    r = a.call("GET", "/v1/households", query={"limit": 2, "after": "kids"}, want=200)
    t.check(r.json and [h["id"] for h in r.json["households"]] == ["smith", "temp"]
            and r.json["next"] is None, "the next page: smith and temp, the last", r.text)
    a.call("GET", "/v1/households", query={"limit": 0}, want=400)
    a.call("GET", "/v1/households", query={"limit": 501}, want=400)

    r = a.call("GET", "/v1/households/{id}", {"id": "smith"}, want=200)
    t.check(r.json and r.json["devices"]["tablet"]["macs"] == ["02:00:5e:10:00:01"],
            "the household shown, its MAC in canonical form", r.text)
    a.call("GET", "/v1/households/{id}", {"id": "nobody"}, want=404)
    a.call("GET", "/v1/households/{id}", {"id": "bad!id"}, want=404)

    replaced = dict(smith, profile="13-14")
    del replaced["id"]
    r = a.call("PUT", "/v1/households/{id}", {"id": "smith"}, body=replaced, want=200)
    t.check(r.json and r.json["changed"] is True, "PUT replaced smith", r.text)
    r = a.call("PUT", "/v1/households/{id}", {"id": "smith"}, body=replaced, want=200)
    t.check(r.json and r.json["changed"] is False, "the same PUT again: changed false", r.text)
    a.call("PUT", "/v1/households/{id}", {"id": "smith"}, body={"id": "jones"}, want=400)
    a.call("PUT", "/v1/households/{id}", {"id": "smith"}, body={"profile": "nine"}, want=400)
    a.call("PUT", "/v1/households/{id}", {"id": "x3"}, body={"addresses": ["127.0.0.2/32"]},
           want=409)
    a.call("PUT", "/v1/households/{id}", {"id": "bad!id"}, body={}, want=404)

    r = a.call("PATCH", "/v1/households/{id}", {"id": "smith"}, body={"profile": "15-17"},
               content_type="application/merge-patch+json", want=200)
    t.check(r.json and r.json["household"]["profile"] == "15-17",
            "PATCH (application/merge-patch+json) changed the profile", r.text)
    r = a.call("PATCH", "/v1/households/{id}", {"id": "smith"},
               body={"time-zone": None, "devices": {"tablet": {"profile": "9-12"}}}, want=200)
    t.check(r.json and "time-zone" not in r.json["household"]
            and r.json["household"]["devices"]["tablet"] == {
                "profile": "9-12", "macs": ["02:00:5e:10:00:01"]},
            "PATCH (application/json): null removes a key, objects merge", r.text)
    a.call("PATCH", "/v1/households/{id}", {"id": "nobody"}, body={"profile": "adult"}, want=404)
    a.call("PATCH", "/v1/households/{id}", {"id": "smith"}, body={"id": "other"}, want=400)
    a.call("PATCH", "/v1/households/{id}", {"id": "smith"}, body={"profile": "nine"}, want=400)
    a.call("PATCH", "/v1/households/{id}", {"id": "smith"}, raw="[1]", want=400)
    a.call("PATCH", "/v1/households/{id}", {"id": "smith"},
           body={"addresses": ["127.0.0.2/32"]}, want=409)

    r = a.call("DELETE", "/v1/households/{id}", {"id": "temp"}, want=200)
    t.check(r.json and r.json["household"] is None, "DELETE: household null", r.text)
    a.call("DELETE", "/v1/households/{id}", {"id": "temp"}, want=404)


def check_devices(t, a, ctx):
    dev = "/v1/households/{id}/devices/{name}"
    r = a.call("PUT", dev, {"id": "smith", "name": "laptop"},
               body={"profile": "13-14", "addresses": ["127.0.0.9/32"]}, want=200)
    t.check(r.json and "laptop" in r.json["household"]["devices"], "PUT a device", r.text)
    a.call("PUT", dev, {"id": "smith", "name": "laptop"}, body={"profile": "nope"}, want=400)
    a.call("PUT", dev, {"id": "smith", "name": "bad!name"}, body={}, want=400)
    a.call("PUT", dev, {"id": "smith", "name": "laptop"}, raw="nope", want=400)
    a.call("PUT", dev, {"id": "nobody", "name": "tv"}, body={}, want=404)
    a.call("PUT", dev, {"id": "smith", "name": "phone"}, body={"addresses": ["127.0.0.2/32"]},
           want=409)
    r = a.call("DELETE", dev, {"id": "smith", "name": "laptop"}, want=200)
    t.check(r.json and "laptop" not in r.json["household"].get("devices", {}),
            "DELETE the device", r.text)
    a.call("DELETE", dev, {"id": "smith", "name": "laptop"}, want=404)
    a.call("DELETE", dev, {"id": "nobody", "name": "laptop"}, want=404)
    a.call("DELETE", dev, {"id": "smith", "name": "bad!name"}, want=400)


def check_profiles(t, a, ctx):
    r = a.call("GET", "/v1/profiles", want=200)
    names = [x["name"] for x in (r.json or {}).get("profiles", [])]
    t.check(names == sorted(names) and {"9-12", "all-lists", "public-wifi"} <= set(names),
            "every preset, in name order", r.text)
    r = a.call("GET", "/v1/profiles", query={"limit": 2}, want=200)
    t.check(r.json and r.json["next"] == names[1], "a page of 2, then next", r.text)
    a.call("GET", "/v1/profiles", query={"limit": 2, "after": names[1]}, want=200)
    a.call("GET", "/v1/profiles", query={"limit": 0}, want=400)
    r = a.call("GET", "/v1/profiles/{name}", {"name": "9-12"}, want=200)
    t.check(r.json and r.json["kind"] == "preset", "a preset shown", r.text)
    a.call("GET", "/v1/profiles/{name}", {"name": "nine"}, want=404)
    own, mine = "/v1/households/{id}/profiles/{name}", {"id": "smith", "name": "homework"}
    r = a.call("PUT", own, mine, body={"base": "9-12", "unblock": ["games"]}, want=200)
    t.check(r.json and "homework" in r.json["household"]["profiles"], "PUT a household's profile",
            r.text)
    r = a.call("PUT", own, mine, body={"colour": "red"}, want=400)
    t.check(r.json and r.json.get("reasons"), "a profile that does not read: reasons", r.text)
    a.call("PUT", own, mine, body={"base": "nine"}, want=400)
    a.call("PUT", own, mine, raw="{", want=400)
    a.call("PUT", own, {"id": "smith", "name": "9-12"}, body={"base": "adult"}, want=400)
    a.call("PUT", own, {"id": "smith", "name": "bad!name"}, body={}, want=400)
    a.call("PUT", own, {"id": "nobody", "name": "homework"}, body={}, want=404)
    a.call("PUT", "/v1/households/{id}/devices/{name}", {"id": "smith", "name": "laptop"},
           body={"profile": "homework"}, want=200)
    r = a.call("GET", "/v1/households/{id}/profiles", {"id": "smith"}, want=200)
    t.check(r.json and r.json["profiles"][0]["used_by"] == ["device laptop"],
            "the household's profiles, with what uses each", r.text)
    a.call("GET", "/v1/households/{id}/profiles", {"id": "nobody"}, want=404)
    a.call("GET", own, mine, want=200)
    a.call("GET", own, {"id": "smith", "name": "none"}, want=404)
    a.call("GET", own, {"id": "smith", "name": "bad!name"}, want=400)
    r = a.call("DELETE", own, mine, want=409)
    t.check(r.json and r.json.get("reasons") == ["device laptop"], "in use: 409 naming it",
            r.text)
    a.call("DELETE", "/v1/households/{id}/devices/{name}", {"id": "smith", "name": "laptop"},
           want=200)
    a.call("DELETE", own, mine, want=200)
    a.call("DELETE", own, mine, want=404)
    a.call("DELETE", own, {"id": "smith", "name": "bad!name"}, want=400)


def check_access_code(t, a, ctx):
    r = a.call("POST", "/v1/households/{id}/access-code", {"id": "smith"}, want=200)
    t.check(r.json and r.json["household"] == "smith" and r.json["expires"] > time.time(),
            "a first-access code for smith", r.text)
    a.call("POST", "/v1/households/{id}/access-code", {"id": "nobody"}, want=404)


def check_explain(t, a, ctx):
    r = a.call("GET", "/v1/explain", query={"client": KIDS, "site": "adult.test"}, want=200)
    t.check(r.json and r.json["household"] == "kids" and r.json["verdict"] == "block"
            and r.json["list"] == "parental", "explain: kids's under-9 blocks adult.test", r.text)
    r = a.call("GET", "/v1/explain", query={"client": STRANGER, "url": "http://social.test/a/b"},
               want=200)
    t.check(r.json and r.json["household"] is None and r.json["path"] == "/a/b",
            "explain a URL for a stranger", r.text)
    a.call("GET", "/v1/explain", query={"site": "adult.test"}, want=400)
    a.call("GET", "/v1/explain", query={"client": KIDS}, want=400)
    a.call("GET", "/v1/explain", query={"client": KIDS, "site": "a.test", "url": "b.test"},
           want=400)


def check_appeals(t, a, ctx):
    appeal = file_appeal(t, ctx["ports"], "adult.test")
    ctx["appeal"] = appeal or "NOAPPEAL"
    r = a.call("GET", "/v1/appeals", want=200)
    t.check(r.json and any(x["id"] == appeal for x in r.json["appeals"])
            and "contact" not in r.json["appeals"][0], "the open appeal is listed (a summary)",
            r.text)
    for status in ("open", "closed", "all"):
        a.call("GET", "/v1/appeals", query={"status": status}, want=200)
    a.call("GET", "/v1/appeals", query={"status": "pending"}, want=400)
    r = a.call("GET", "/v1/appeals/{id}", {"id": ctx["appeal"]}, want=200)
    t.check(r.json and r.json.get("contact") == "parent@example.test",
            "the appeal in full has its contact", r.text)
    a.call("GET", "/v1/appeals/{id}", {"id": "NOSUCH00"}, want=404)
    decision = "/v1/appeals/{id}/decision"
    a.call("POST", decision, {"id": ctx["appeal"]}, body={"outcome": "uphold"}, want=400)
    a.call("POST", decision, {"id": ctx["appeal"]}, body={"outcome": "maybe", "reason": "x"},
           want=400)
    a.call("POST", decision, {"id": ctx["appeal"]}, raw="{", want=400)
    a.call("POST", decision, {"id": "NOSUCH00"}, body={"outcome": "uphold", "reason": "x"},
           want=404)
    r = a.call("POST", decision, {"id": ctx["appeal"]},
               body={"outcome": "uphold", "reason": "Adult content, listed rightly",
                     "by": "Reviewer"}, want=200)
    t.check(r.json and r.json["status"] == "upheld" and "Reviewer" in r.json["decided_by"],
            "the appeal upheld", r.text)
    a.call("POST", decision, {"id": ctx["appeal"]},
           body={"outcome": "overturn", "reason": "second thoughts"}, want=409)


def check_requests(t, a, ctx):
    rid = ask_parent(t, ctx["ports"], "adult.test", KIDS)
    ctx["request"] = rid or "NOREQUEST"
    r = a.call("GET", "/v1/requests", want=200)
    t.check(r.json and any(q["id"] == rid and q["status"] == "waiting"
                           for q in r.json["requests"]), "the request is waiting", r.text)
    for status in ("waiting", "answered", "all"):
        a.call("GET", "/v1/requests", query={"status": status, "household": "kids"}, want=200)
    a.call("GET", "/v1/requests", query={"status": "pending"}, want=400)
    answer = "/v1/requests/{id}/answer"
    a.call("POST", answer, {"id": ctx["request"]}, body={"answer": "forever"}, want=400)
    a.call("POST", answer, {"id": ctx["request"]}, raw="15m", want=400)
    a.call("POST", answer, {"id": "0" * 26}, body={"answer": "15m"}, want=404)
    r = a.call("POST", answer, {"id": ctx["request"]}, body={"answer": "15m", "by": "Mum"},
               want=200)
    t.check(r.json and r.json["status"] == "allowed" and r.json["until"] > r.json["answered"],
            "the request allowed for 15 minutes", r.text)
    a.call("POST", answer, {"id": ctx["request"]}, body={"answer": "1h"}, want=409)


def check_lists(t, a, ctx):
    r = a.call("GET", "/v1/lists", want=200)
    t.check(r.json and {x["id"] for x in r.json["lists"]} == {"parental", "social"},
            "every list", r.text)
    r = a.call("POST", "/v1/lists/reload", want=200)
    t.check(r.json and r.json["reload"] == "swapped in", "reloaded", r.text)
    r = a.call("POST", "/v1/node/drain", want=200)
    t.check(r.json and r.json["draining"] is True and r.json["status"]["status"] == "draining",
            "draining", r.text)
    r = a.call("GET", "/readyz", token=None, want=503)
    t.check(r.json and r.json["status"] == "draining", "draining: /readyz 503", r.text)
    r = a.call("DELETE", "/v1/node/drain", want=200)
    t.check(r.json and r.json["draining"] is False, "the drain ended", r.text)
    a.call("GET", "/readyz", token=None, want=200)


def check_audit(t, a, ctx):
    r = a.call("GET", "/v1/audit", want=200)
    actions = {e["action"] for e in (r.json or {}).get("entries", [])}
    want = {"household.create", "household.replace", "household.patch", "household.delete",
            "device.put", "device.delete", "profile.put", "profile.delete",
            "account.access-code", "appeal.decide",
            "request.answer", "lists.reload", "node.drain", "node.undrain"}
    t.check(want <= actions, "the changes made are audited", sorted(actions))
    r = a.call("GET", "/v1/audit", query={"limit": 3}, want=200)
    t.check(r.json and len(r.json["entries"]) == 3, "limit 3: three entries", r.text)
    a.call("GET", "/v1/audit", query={"limit": 0}, want=400)
    a.call("GET", "/v1/audit", query={"limit": 1001}, want=400)


def check_self_test(t, a, ctx):
    r = a.call("GET", "/v1/self-test", want=200)
    t.check(r.json and r.json["signature"] and isinstance(r.json["passed"], bool),
            "a signed self-test report", r.text)
    if r.json:
        v = a.call("POST", "/v1/self-test/verify", body=r.json, want=200)
        t.check(v.json and v.json["valid"] is True, "the report verifies", v.text)
    a.call("POST", "/v1/self-test/verify", body={"checks": []}, want=400)


def check_transparency(t, a, ctx):
    r = a.call("GET", "/v1/transparency", want=200)
    t.check(r.json and r.json["period"]["days"] == 30 and r.json["appeals"]["received"] >= 1,
            "the transparency report: the last 30 days, with the appeals filed here", r.text)
    r = a.call("GET", "/v1/transparency", query={"from": "2026-02-30"}, want=400)
    a.call("GET", "/v1/transparency", query={"from": "2020-01-01", "to": "2022-01-01"}, want=400)
    r = a.call("GET", "/v1/transparency.csv", query={"from": "2020-01-01", "to": "2020-01-31"},
               want=200)
    t.check(r.text.startswith("section,list,category,measure,value\r\n")
            and "period,,,complete,false\r\n" in r.text,
            "the CSV of an old period: a header row, marked incomplete", r.text)
    a.call("GET", "/v1/transparency.csv", query={"to": "2020-13-01"}, want=400)


def check_test_clock(t, a, ctx):
    r = a.call("POST", "/v1/test/clock", body={"advance": 0}, want=200)
    t.check(r.json and abs(r.json["now"] - time.time()) < 120, "the daemon's clock", r.text)
    a.call("POST", "/v1/test/clock", body={"advance": "1m"}, want=400)


def params_for(path, ctx):
    if path.startswith("/v1/appeals/"):
        return {"id": ctx.get("appeal", "NOSUCH00")}
    if path.startswith("/v1/requests/"):
        return {"id": ctx.get("request", "0" * 26)}
    return {k: v for k, v in (("id", "smith"), ("name", "tablet")) if "{" + k + "}" in path}


def check_unlisted_methods(t, a, ctx):
    """Every method a path does not list: the status its x-unlisted-methods gives."""
    for path, item in a.spec.doc["paths"].items():
        want = item.get("x-unlisted-methods", {}).get("status")
        target = path
        for name, value in params_for(path, ctx).items():
            target = target.replace("{" + name + "}", urllib.parse.quote(value, safe=""))
        got = {}
        for method in METHODS:
            if method in item:
                continue
            headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            status, _, _ = request(a.d.admin_port, method.upper(), target,
                                      "{}" if method != "get" else None, headers)
            got[method.upper()] = status
        t.check(got and all(s == want for s in got.values()),
                f"{path}: the unlisted methods {', '.join(got)} -> {want}", got)


def check_no_token(t, a, ctx):
    """Every /v1 operation without a token, and one with a wrong token: 401."""
    for path, method, op in a.spec.operations():
        if not path.startswith("/v1/"):
            continue
        body = {} if "requestBody" in op else None
        a.call(method.upper(), path, params_for(path, ctx), body=body, token=None, want=401)
    a.call("GET", "/v1/households", token="x" * 40, want=401, note=" (a wrong token)")


def check_coverage(t, a, bare):
    ops = a.spec.operations()
    missing = [f"{m.upper()} {p}" for p, m, _ in ops
               if not any(str(s).startswith("2") for s in a.seen.get((p, m), ()))]
    t.check(not missing, f"every one of the {len(ops)} operations answered 2xx at least once",
            "\n".join(missing))
    untried = []
    for p, m, op in ops:
        seen = a.seen.get((p, m), set()) | bare.seen.get((p, m), set())
        left = sorted(s for s in op["responses"] if int(s) not in seen)
        if left:
            untried.append(f"{m.upper()} {p}: {', '.join(left)}")
    print("documented, not provoked in this run (a store outage, a failed reload, no "
          "configuration in force):\n" + "\n".join("    " + u for u in untried), flush=True)


def check_bare_node(t, a, ctx):
    """A node without a households file, state directory, portal or --test-clock, and with a
    stale legal list (unready)."""
    r = a.call("GET", "/readyz", token=None, want=503)
    t.check(r.json and r.json["status"] == "unready" and r.json["ready"] is False,
            "a stale legal list: /readyz unready", r.text)
    r = a.call("GET", "/v1/lists", want=200)
    t.check(r.json and r.json["status"] == "unready"
            and any(x["id"] == "hotline" and x["stale"] for x in r.json["lists"]),
            "/v1/lists: 200 whatever the state, the legal list stale", r.text)
    a.call("GET", "/v1/households", want=200)
    a.call("GET", "/v1/households/{id}", {"id": "smith"}, want=404)
    a.call("POST", "/v1/households", body={"id": "z"}, want=503)
    a.call("PUT", "/v1/households/{id}", {"id": "z"}, body={}, want=503)
    a.call("PATCH", "/v1/households/{id}", {"id": "z"}, body={"profile": "adult"}, want=503)
    a.call("DELETE", "/v1/households/{id}", {"id": "z"}, want=503)
    a.call("PUT", "/v1/households/{id}/devices/{name}", {"id": "z", "name": "tv"}, body={},
           want=503)
    a.call("DELETE", "/v1/households/{id}/devices/{name}", {"id": "z", "name": "tv"}, want=503)
    a.call("POST", "/v1/households/{id}/access-code", {"id": "z"}, want=404)
    a.call("GET", "/v1/households/{id}/profiles", {"id": "z"}, want=404)
    a.call("PUT", "/v1/households/{id}/profiles/{name}", {"id": "z", "name": "p"},
           body={"base": "adult"}, want=503)
    a.call("DELETE", "/v1/households/{id}/profiles/{name}", {"id": "z", "name": "p"}, want=503)
    a.call("GET", "/v1/audit", want=404)
    a.call("POST", "/v1/test/clock", body={"advance": 1}, want=403)


# --- the daemons --------------------------------------------------------------------------


class Ports:
    def __init__(self):
        self.web, self.pub, self.portal = (free_port(("127.0.0.1",)) for _ in range(3))


def full_config(up, ports):
    return base_config(
        up.addr, lists=LISTS,
        subscribers={"file": "{dir}/households.yaml", "default-profile": "adult"},
        blocking={"appeal-url": f"http://127.0.0.1:{ports.pub}/appeal"},
        web={"block-listen": [f"127.0.0.1:{ports.web}"],
             "public-listen": [f"127.0.0.1:{ports.pub}"], "organisation": "Test ISP"},
        admin={"token-file": "{dir}/admin.tokens",
               "self-test": {"block": ["social.test"], "allow": ["open.test"]}},
        portal={"listen": [f"127.0.0.1:{ports.portal}"]},
        **{"list-updates": {"state-directory": "{dir}/state"}})


def with_test_clock(wrapped):
    """Runs the daemon with --test-clock (a launcher script in its directory)."""
    d = wrapped.d
    launcher = d.path("shelterd-test-clock")
    with open(launcher, "w") as f:
        f.write(f"#!/bin/sh\nexec {shlex.quote(os.path.abspath(d.binary))} --test-clock \"$@\"\n")
    os.chmod(launcher, 0o755)
    d.binary = launcher
    return wrapped


CASES = [("node", check_node), ("households", check_households), ("devices", check_devices),
         ("profiles", check_profiles), ("access code", check_access_code),
         ("explain", check_explain),
         ("appeals", check_appeals), ("requests", check_requests), ("lists", check_lists),
         ("audit", check_audit), ("self-test", check_self_test),
         ("transparency", check_transparency), ("test clock", check_test_clock), ("unlisted methods", check_unlisted_methods), ("no token", check_no_token)]


def main(t):
    started = time.monotonic()
    with open(SPEC_PATH) as f:
        spec = Spec(json.load(f))
    with t.case("document"):
        check_document(t, spec)
    with FakeUpstream(default=Rule(a=(FORWARDED,))) as up:
        ports = Ports()
        with with_test_clock(t.shelterd(full_config(up, ports), FILES)) as d:
            api = Api(t, spec, d)
            t.run_cases(CASES, api, {"ports": ports})
        stale = {"id": "hotline", "format": "domains", "category": "csam", "legal": True,
                 "authority": "Test Hotline", "path": "{dir}/hotline.txt", "max-age": "1h"}
        bare_cfg = base_config(up.addr, lists=LISTS + [stale],
                               admin={"token-file": "{dir}/admin.tokens"})
        wrapped = t.shelterd(bare_cfg, {"admin.tokens": FILES["admin.tokens"],
                                        "hotline.txt": "csam.test\n"})
        past = time.time() - 3 * 3600
        os.utime(wrapped.d.path("hotline.txt"), (past, past))
        with wrapped as d:
            bare = Api(t, spec, d)
            t.run_cases([("bare node", check_bare_node)], bare, {})
    with t.case("coverage"):
        check_coverage(t, api, bare)
    print(f"run time {time.monotonic() - started:.1f} s", flush=True)


if __name__ == "__main__":
    Suite("openapi").main(main)
