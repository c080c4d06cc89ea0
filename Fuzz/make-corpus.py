#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (Fuzz/corpus/<target>/) from the test vectors.

Sources: the hostile token vectors (Tests/TesseraCoreTests/Vectors/hostile), the official
PASETO/PASERK vectors (Vectors/paseto), the hostile input files of the command-line tests
(Tests/TesseraCLITests/HostileFiles) and a few hand-written settings and revocation files below. Run it from anywhere after the vectors change; it rewrites every corpus folder:
    python3 Fuzz/make-corpus.py
Files are named after the vector they come from, so a corpus diff reads like the vectors'.
Needs the Python `cryptography` package (as generate.py does) to sign revocation lists.
"""
import base64, hashlib, json, os, pathlib, shutil

HERE = pathlib.Path(__file__).resolve().parent
VECTORS = HERE.parent / "Tests" / "TesseraCoreTests" / "Vectors"
CORPUS = HERE / "corpus"
TARGETS = ["token", "claims", "footer", "revocation", "signed-list", "public-key", "secret-key", "settings", "json", "encoding"]

def b64(data): return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
def unb64(text): return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

corpora = {t: {} for t in TARGETS}
def add(target, name, data):
    if isinstance(data, str): data = data.encode()
    if len(data) > 9000: return  # the limits are 8 KiB; far larger seeds only slow every run
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    # Seeds are inputs, not keys: named so that nothing (a person, a secret scanner) takes a throwaway test key for a real one.
    name = name.replace("secret", "sk") + ".seed"
    corpora[target][name] = data

def split_token(token):
    """(message, signature, footer) of a v4.public token, or None when it is not one Python can take apart."""
    parts = token.split(".")
    if len(parts) not in (3, 4) or parts[0] != "v4" or parts[1] != "public": return None
    try:
        body = unb64(parts[2])
        footer = unb64(parts[3]) if len(parts) == 4 and parts[3] else b""
    except Exception:
        return None
    if len(body) <= 64: return None
    return body[:-64], body[-64:], footer

# The footer the claims target uses when none is given after a zero byte.
HOSTILE_KEYS = json.loads((VECTORS / "hostile" / "keys.json").read_text())
KID = HOSTILE_KEYS["trusted"][0]["kid"]
STANDARD_FOOTER = json.dumps({"kid": KID}, separators=(",", ":")).encode()

# --- Hostile token vectors --------------------------------------------------------------
times, names, bodies = set(), set(), set()
for path in sorted((VECTORS / "hostile").glob("*.json")):
    if path.name == "keys.json": continue
    vector = json.loads(path.read_text())
    name, token = vector["name"], vector["token"]
    if len(token) <= 9000: add("token", name, token)
    add("encoding", "time_" + name, b"\x01" + vector["at"].encode())
    parts = split_token(token)
    if parts is None: continue
    message, signature, footer = parts
    bodies.add(token.split(".")[2][:400])
    add("claims", name, message if footer == STANDARD_FOOTER else message + b"\x00" + footer)
    add("json", "claims_" + name, message)
    if footer:
        add("footer", name, footer)
        add("json", "footer_" + name, footer)
    try:
        claims = json.loads(message)
    except Exception:
        continue
    if isinstance(claims, dict):
        for key in ("iat", "exp", "nbf"):
            if isinstance(claims.get(key), str): times.add(claims[key])
        for key in ("jti", "project", "role", "sub", "uid"):
            if isinstance(claims.get(key), str): names.add(claims[key])
    for line in vector.get("revoked", []):
        add("revocation", "line_" + name, line + "\n")
    if vector.get("revoked"):
        add("revocation", "list_" + name, "\n".join(vector["revoked"]) + "\n")

# --- Official PASETO / PASERK vectors ---------------------------------------------------
v4 = json.loads((VECTORS / "paseto" / "v4.json").read_text())
for test in v4["tests"]:
    name, token = test["name"], test.get("token") or ""
    add("token", "official_" + name, token)
    parts = split_token(token)
    if parts:
        message, _, footer = parts
        add("claims", "official_" + name, message + b"\x00" + footer)
        add("json", "official_" + name, message)
        if footer: add("footer", "official_" + name, footer)
    for key in ("public-key-pem",):
        if test.get(key): add("public-key", "official_" + name + "_pem", test[key])
    if test.get("secret-key-pem"): add("secret-key", "official_" + name + "_pem", test["secret-key-pem"])
    if test.get("public-key") and test.get("secret-key-seed") and len(test["public-key"]) == 64:
        seed, public = bytes.fromhex(test["secret-key-seed"]), bytes.fromhex(test["public-key"])
        add("public-key", "official_" + name + "_paserk", "k4.public." + b64(public))
        add("secret-key", "official_" + name + "_paserk", "k4.secret." + b64(seed + public))
        # PKCS#8 v2 (OneAsymmetricKey): seed, then [1] with the public key.
        v2 = bytes.fromhex("3051020101300506032b657004220420") + seed + bytes.fromhex("812100") + public
        pem = "-----BEGIN PRIVATE KEY-----\n" + base64.b64encode(v2).decode() + "\n-----END PRIVATE KEY-----\n"
        add("secret-key", "official_" + name + "_pem_v2", pem)
for file, target in (("k4.public.json", "public-key"), ("k4.pid.json", "public-key"),
                     ("k4.secret.json", "secret-key"), ("k4.sid.json", "secret-key")):
    for test in json.loads((VECTORS / "paseto" / file).read_text())["tests"]:
        if test.get("paserk"): add(target, test["name"], test["paserk"])
# Points of small order: nothing may verify under them (fuzz-public-key checks a universal forgery).
for name, key in [("identity", "01" + "00" * 31), ("zero", "00" * 32),
                  ("order8", "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")]:
    add("public-key", "small_order_" + name, "k4.public." + b64(bytes.fromhex(key)))
    spki = bytes.fromhex("302a300506032b6570032100") + bytes.fromhex(key)
    add("public-key", "small_order_" + name + "_pem",
        "-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(spki).decode() + "\n-----END PUBLIC KEY-----\n")
for entry in HOSTILE_KEYS["trusted"] + HOSTILE_KEYS["untrusted"]:
    add("public-key", "hostile_" + entry["name"], entry["public"] + "\n")
    add("public-key", "hostile_kid_" + entry["name"], entry["kid"])

# --- Revocation lists ---------------------------------------------------------------------
REVOKED_TXT = f"""# revoked.txt: one entry per line
Qm9vb2JhcmJhemJhenF1eA        # a single invitation (jti)
project:talk-2026             # every invitation for a project
key:{KID}      # everything signed by a key
before:2026-11-01T00:00:00Z   # everything issued before an instant
"""
add("revocation", "design_example", REVOKED_TXT)
add("revocation", "empty", "")
add("revocation", "comments_and_blank_lines", "# nothing revoked yet\n\n   \t\n# end")
add("revocation", "crlf_no_final_newline", "AAAAAAAAAAAAAAAAAAAAAA\r\nproject:lab\r\nbefore:2026-05-01T00:00:00.5+02:00")
add("revocation", "revoke_appended", "project:lab\nQm9vb2JhcmJhemJhenF1eA  # revoked 2026-06-01T00:00:00Z: leaked on social media\n")
add("revocation", "bad_line", "project:lab\nnot an entry\n")

def list_claims(iat, entries):
    return json.dumps({"typ": "tessera-revocation-list", "iat": iat, "entries": entries}, separators=(",", ":")).encode()
ENTRIES = ["Qm9vb2JhcmJhemJhenF1eA", "project:talk-2026", "key:" + KID, "before:2026-11-01T00:00:00Z"]
add("signed-list", "claims_design_example", list_claims("2026-06-01T00:00:00Z", ENTRIES))
add("signed-list", "claims_empty", list_claims("2026-06-01T00:00:00Z", []))
add("signed-list", "claims_old", list_claims("2025-12-01T00:00:00Z", ENTRIES[:1]))
add("signed-list", "claims_bad_entry", list_claims("2026-06-01T00:00:00Z", ["nonsense"]))
add("signed-list", "claims_wrong_type", json.dumps({"typ": "x", "iat": "2026-06-01T00:00:00Z", "entries": []}).encode())
add("json", "list_design_example", list_claims("2026-06-01T00:00:00Z", ENTRIES))
try:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    import struct
    def pae(pieces):
        out = struct.pack("<Q", len(pieces))
        for p in pieces: out += struct.pack("<Q", len(p)) + p
        return out
    seed = bytes.fromhex("b4cbfb43df4ce210727d953e4a713307fa19bb7d9f85041438d9e11b942a3774")
    message = list_claims("2026-06-01T00:00:00Z", ENTRIES)
    signature = Ed25519PrivateKey.from_private_bytes(seed).sign(pae([b"v4.public.", message, STANDARD_FOOTER, b""]))
    add("signed-list", "token_design_example", "v4.public." + b64(message + signature) + "." + b64(STANDARD_FOOTER) + "\n")
except ImportError:
    print("make-corpus: no Python cryptography package: the signed-list corpus has claims only")

# --- Settings ---------------------------------------------------------------------------
add("settings", "every_key", """# a site
base_url = "https://invites.example.org/"   # where out/ is published
join_url = 'https://gw.example.org/join/{project}'
audience = "gw.example.org"
issuer = "Lab \\"A\\" \\u00e9"
roles = ["viewer", "editor",]
default_role = "viewer"
default_expiry = "36h"
ledger = "sqlite:state/l.sqlite"

[gateway]
listen = "127.0.0.1:9000"
redirect = "https://app.example.org/projects/{project}/"
identity_header = "X-Forwarded-User"
trusted_proxies = ["127.0.0.1/32", "::1/128"]
project_from_path = "/projects/{project}/"
""")
add("settings", "empty", "")
add("settings", "crlf", "audience = \"a\"\r\n[gateway]\r\nlisten = '127.0.0.1:1'\r\n")
add("settings", "postgres", "ledger = \"postgres://tessera:secret@127.0.0.1:5432/tessera\"\n")
add("settings", "roles_empty", "roles = []\ndefault_expiry = \"never\"\n")
add("settings", "bad_integer", "base_url = 1_000\n")
add("settings", "bad_table", "[nope]\nx = true\n")
add("settings", "escapes", "issuer = \"tab\\there\\nnewline \\\\ \\u0041\"\n")

# --- JSON extras ------------------------------------------------------------------------
for name, text in [("numbers", '[0,-0,1.5e10,-2E-3,123456789012345678901234567890]'),
                   ("escapes", '{"a\\u00e9":"\\ud83d\\ude00\\n\\/\\"","b":[true,false,null]}'),
                   ("nested", "[" * 20 + "]" * 20), ("many_keys", "{" + ",".join(f'"k{i}":{i}' for i in range(40)) + "}"),
                   ("whitespace", ' \t\n{ "a" : [ 1 , 2 ] }\r\n')]:
    add("json", name, text)

# --- Hostile input files of the command-line tests (Tests/TesseraCLITests/HostileFiles) ---
HOSTILE_FILES = HERE.parent / "Tests" / "TesseraCLITests" / "HostileFiles"
for kind in ("revocation", "public-key", "secret-key", "settings"):
    for path in sorted((HOSTILE_FILES / kind).glob("*")):
        if path.is_file() and path.name != "manifest.json":
            add(kind, "file_" + path.name, path.read_bytes())

# --- Encoding: selector byte 0 base64url, 1 time, 2 span, 3 name ------------------------
for i, body in enumerate(sorted(bodies)[:12]): add("encoding", f"base64_{i}", b"\x00" + body.encode())
for i, time in enumerate(sorted(times) + ["1970-01-01T00:00:00Z", "0000-01-01T00:00:00+00:01", "9999-12-31T23:59:59-23:59",
                                           "2026-06-30T23:59:60Z", "2026-06-01T00:00:00.123456789+05:30"]):
    add("encoding", f"time_{i}", b"\x01" + time.encode())
for span in ["14d", "36h", "90s", "15m", "2w", "60", "never"]: add("encoding", "span_" + span, b"\x02" + span.encode())
for i, name in enumerate(sorted(names)): add("encoding", f"name_{i}", b"\x03" + name.encode())

for target, files in corpora.items():
    folder = CORPUS / target
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, data in sorted(files.items()):
        (folder / name).write_bytes(data)
    print(f"{target}: {len(files)} seeds")
