#!/usr/bin/env python3
"""Writes the hostile vectors for delegated keys (DESIGN §11), one JSON file per defect, all
named delegation_*.json, in the same form as generate.py writes (and the same runners read).

Independent of Tessera's Swift code (Python `cryptography` + `hashlib`), as generate.py is.
The root key is the runner's trusted "test" key; the delegated keys (ALICE, BOB) are trusted
by nobody: only a delegation from the root makes their tokens count. Run it from this folder:
    python3 generate_delegation.py
"""
import base64, hashlib, json, struct
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

ROOT = bytes.fromhex("b4cbfb43df4ce210727d953e4a713307fa19bb7d9f85041438d9e11b942a3774")  # trusted ("test")
STRANGER = b"\x42" * 32   # a root nobody trusts
ALICE = b"\x07" * 32      # a project admin's key
BOB = b"\x09" * 32        # another project admin's key

def b64(data): return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
def key(seed): return Ed25519PrivateKey.from_private_bytes(seed)
def pub(seed): return key(seed).public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
def paserk(seed): return "k4.public." + b64(pub(seed))
def pid(seed): return "k4.pid." + b64(hashlib.blake2b(("k4.pid." + paserk(seed)).encode(), digest_size=33).digest())
def le64(n): return struct.pack("<Q", n & 0x7FFFFFFFFFFFFFFF)
def pae(pieces):
    out = le64(len(pieces))
    for p in pieces: out += le64(len(p)) + p
    return out
def compact(obj): return json.dumps(obj, separators=(",", ":")).encode()

def token(message: bytes, seed, footer: bytes):
    sig = key(seed).sign(pae([b"v4.public.", message, footer, b""]))
    return "v4.public." + b64(message + sig) + "." + b64(footer)

def delegation_claims(seed=ALICE, **over):
    c = {"typ": "tessera-delegation", "name": "alice-lab", "key": paserk(seed), "kid": pid(seed),
         "projects": ["talk-2026", "lab"], "roles": ["viewer", "editor"],
         "iat": "2026-04-01T00:00:00Z", "exp": "2026-09-01T00:00:00Z"}
    for k, v in over.items():
        if v is None: c.pop(k, None)
        else: c[k] = v
    return compact(c)

def delegation(seed=ALICE, signer=ROOT, message=None, footer=None, **over):
    message = delegation_claims(seed, **over) if message is None else message
    footer = compact({"kid": pid(signer)}) if footer is None else footer
    return token(message, signer, footer)

JTI = "AAAAAAAAAAAAAAAAAAAAAA"
def claims(**over):
    c = {"jti": JTI, "iat": "2026-05-01T00:00:00Z", "exp": "2026-07-01T00:00:00Z", "project": "talk-2026", "role": "viewer"}
    for k, v in over.items():
        if v is None: c.pop(k, None)
        else: c[k] = v
    return compact(c)

def delegated(dlg, seed=ALICE, kid=None, message=None, footer=None, **over):
    """An invitation signed by `seed`, its footer naming `kid` and carrying `dlg`."""
    footer = compact({"kid": kid or pid(seed), "dlg": dlg}) if footer is None else footer
    return token(claims(**over) if message is None else message, seed, footer)

AT = "2026-06-01T00:00:00Z"
EXITS = {"valid": 0, "malformed": 10, "unknown_key": 11, "bad_signature": 11, "expired": 12, "not_yet_valid": 12,
         "revoked": 13, "not_for_project": 14, "outside_delegation": 14}
vectors = []
def add(name, defect, tok, expect, **extra):
    assert len(tok) <= 8192 or expect == "malformed", name
    v = {"name": "delegation_" + name, "defect": defect, "token": tok, "at": extra.pop("at", AT), "expect": expect, "exit": EXITS[expect]}
    v.update(extra)
    vectors.append(v)

D = delegation()
add("valid", "a project admin's token under a delegation from a trusted root, inside its scope", delegated(D), "valid")
add("valid_second_project_and_role", "the other project and role the delegation names", delegated(D, project="lab", role="editor"), "valid")
limited = delegation(max_expiry=30 * 86400, max_uses=5)
add("valid_within_limits", "exp - iat of 30 days and 5 uses, exactly the limits", delegated(limited, exp="2026-05-31T00:00:00Z", uses=5), "valid",
    at="2026-05-15T00:00:00Z")
add("wrong_project_checked", "a valid delegated token checked for another project", delegated(D), "not_for_project", project="other")

# --- Who signed the delegation ---------------------------------------------------------------
add("untrusted_root", "the delegation is signed by a key the verifier does not trust", delegated(delegation(signer=STRANGER)), "unknown_key")
add("chained", "a delegated key (alice) delegates to bob: the second delegation's signer is no root",
    delegated(delegation(BOB, signer=ALICE, name="bob-lab"), seed=BOB), "unknown_key")
add("nested", "the delegation's own footer carries a delegation (a chain smuggled inside)",
    delegated(delegation(BOB, signer=ALICE, name="bob-lab", footer=compact({"kid": pid(ALICE), "dlg": D})), seed=BOB), "malformed")
dm = delegation_claims()
tampered = delegation(message=dm)
body = base64.urlsafe_b64decode(tampered.split(".")[2] + "==")
forged = "v4.public." + b64(body[:-64].replace(b'"viewer","editor"', b'"viewer","owners"') + body[-64:]) + "." + tampered.split(".")[3]
add("bad_signature", "the delegation's roles changed after the root signed it", delegated(forged, role="owners"), "bad_signature")
add("signed_by_delegated_key", "the delegation names the root in its footer but alice signed it",
    delegated(token(delegation_claims(), ALICE, compact({"kid": pid(ROOT)}))), "bad_signature")

# --- Which key it certifies ---------------------------------------------------------------
add("kid_swapped", "bob signs and names himself, carrying alice's delegation", delegated(D, seed=BOB), "unknown_key")
add("kid_names_alice_signed_by_bob", "the footer names alice (whom the delegation certifies) but bob signed",
    delegated(D, seed=BOB, kid=pid(ALICE)), "bad_signature")
add("key_kid_mismatch", "the delegation's kid is not the id of its key", delegated(delegation(kid=pid(BOB))), "malformed")
add("payload_changed", "the invitation's role changed after alice signed",
    (lambda t: "v4.public." + b64(base64.urlsafe_b64decode(t.split(".")[2] + "==")[:-64].replace(b"viewer", b"editor")
                                  + base64.urlsafe_b64decode(t.split(".")[2] + "==")[-64:]) + "." + t.split(".")[3])(delegated(D)), "bad_signature")

# --- Scope -------------------------------------------------------------------------------------
add("role_widened", "a role the delegation does not name", delegated(D, role="admin"), "outside_delegation")
add("project_outside_scope", "a project the delegation does not name", delegated(D, project="other"), "outside_delegation")
add("expiry_beyond_max", "exp - iat of 31 days under max_expiry of 30 days", delegated(limited, exp="2026-06-01T00:00:01Z"), "outside_delegation",
    at="2026-05-02T00:00:00Z")
add("no_expiry_under_max", "an invitation without exp under a delegation that limits the expiry", delegated(limited, exp=None, uses=1), "outside_delegation")
add("uses_beyond_max", "6 uses under max_uses of 5", delegated(limited, exp="2026-05-31T00:00:00Z", uses=6), "outside_delegation",
    at="2026-05-15T00:00:00Z")
add("unlimited_uses_under_max", "no uses claim (unlimited) under max_uses of 5", delegated(limited, exp="2026-05-31T00:00:00Z"), "outside_delegation",
    at="2026-05-15T00:00:00Z")

# --- Time and revocation ---------------------------------------------------------------------
add("expired", "the delegation expired before the check", delegated(delegation(exp="2026-05-15T00:00:00Z")), "expired")
add("not_yet_valid", "the delegation is issued after the check", delegated(delegation(iat="2026-06-02T00:00:00Z", exp="2026-12-01T00:00:00Z"),
    iat="2026-05-01T00:00:00Z"), "not_yet_valid")
add("revoked_delegated_key", "key: entry for the delegated key", delegated(D), "revoked", revoked=["key:" + pid(ALICE)])
add("revoked_root_key", "key: entry for the root that signed the delegation", delegated(D), "revoked", revoked=["key:" + pid(ROOT)])

# --- Strictness of the delegation itself -----------------------------------------------------
add("exp_missing", "a delegation without exp", delegated(delegation(exp=None)), "malformed")
add("exp_before_iat", "a delegation whose exp is before its iat", delegated(delegation(exp="2026-03-01T00:00:00Z")), "malformed")
add("typ_missing", "no typ: an invitation or list could pass as a delegation", delegated(delegation(typ=None)), "malformed")
add("is_an_invitation", "a root-signed invitation presented as the delegation", delegated(token(claims(), ROOT, compact({"kid": pid(ROOT)}))), "malformed")
add("unknown_claim", "a claim the verifier does not know (a limit it would drop)", delegated(delegation(max_projects=1)), "malformed")
add("projects_empty", "an empty projects list", delegated(delegation(projects=[])), "malformed")
add("projects_string", "projects as a string instead of a list", delegated(delegation(projects="talk-2026")), "malformed")
add("role_name_invalid", "a role name with '/'", delegated(delegation(roles=["viewer", "a/b"])), "malformed")
add("max_uses_zero", "max_uses: 0", delegated(delegation(max_uses=0)), "malformed")
add("max_expiry_string", "max_expiry as a span string instead of seconds", delegated(delegation(max_expiry="30d")), "malformed")
add("time_lowercase_t", "the delegation's exp with a lowercase 't'", delegated(delegation(exp="2026-09-01t00:00:00Z")), "malformed")
dup = delegation_claims()[:-1] + b',"roles":["admin"]}'
add("duplicate_key", "'roles' twice in the delegation: a lenient parser would take either", delegated(delegation(message=dup), role="admin"), "malformed")
good_d = delegation()
parts = good_d.split(".")
alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
pad = 0
while len(base64.urlsafe_b64decode(parts[2] + "==")) % 3 == 0:
    pad += 1
    good_d = delegation(name="alice-lab" + "x" * pad); parts = good_d.split(".")
last = alphabet.index(parts[2][-1])
assert last & 3 == 0
add("base64_trailing_bits", "the delegation's body has non-zero unused bits: same bytes, another string",
    delegated(".".join(parts[:2] + [parts[2][:-1] + alphabet[last | 1], parts[3]])), "malformed")
add("base64_padding", "the delegation's body carries '=' padding", delegated(".".join(parts[:2] + [parts[2] + "=", parts[3]])), "malformed")
add("trailing_dot", "a '.' after the delegation's footer", delegated(D + "."), "malformed")
add("no_footer", "a delegation without a footer naming its root", delegated(D.rsplit(".", 1)[0]), "malformed")
add("footer_extra_member", "the delegation's footer holds a member beside kid",
    delegated(delegation(footer=compact({"kid": pid(ROOT), "x": "y"}))), "malformed")

# Oversized: a delegation of 3073 bytes (one more than the cap); the footer around it stays under its own cap.
def sized(target):
    for count in range(40, 0, -1):
        names = ["p%02d-" % i + "x" * 56 for i in range(count)]
        for extra in range(1, 65):
            candidate = delegation(projects=["talk-2026"] + names + ["q" * extra])
            if len(candidate) == target: return candidate
    raise SystemExit("no delegation of %d bytes" % target)
big = sized(3073)
add("at_size_limit", "a delegation of exactly 3072 bytes is accepted", delegated(sized(3072)), "valid")
add("oversized", "a delegation of 3073 bytes, one more than the cap", delegated(big), "malformed")
add("projects_65", "65 projects, more than a delegation may name", delegated(delegation(projects=["p%d" % i for i in range(65)])), "malformed")
add("footer_oversized", "a footer of more than 3200 bytes around a delegation",
    delegated(D, footer=compact({"kid": pid(ALICE), "dlg": D + "x" * (3300 - len(D))})), "malformed")

# --- The footer of the invitation -----------------------------------------------------------
add("dlg_not_string", "dlg is an object: the footer must stay flat", delegated(D, footer=b'{"kid":"' + pid(ALICE).encode() + b'","dlg":{"t":"x"}}'), "malformed")
add("dlg_duplicate", "dlg twice: a second, wider delegation after the first",
    delegated(D, footer=b'{"kid":"' + pid(ALICE).encode() + b'","dlg":"' + D.encode() + b'","dlg":"' + delegation(roles=["admin"]).encode() + b'"}'), "malformed")
add("footer_extra_member_beside_dlg", "a member beside kid and dlg",
    delegated(D, footer=compact({"kid": pid(ALICE), "dlg": D, "wpk": paserk(ALICE)})), "malformed")
add("without_dlg", "alice's token without its delegation: her key alone is not trusted",
    token(claims(), ALICE, compact({"kid": pid(ALICE)})), "unknown_key")
add("root_token_carrying_malformed_dlg", "a root-signed token whose dlg is not a delegation: refused, not ignored",
    token(claims(), ROOT, compact({"kid": pid(ROOT), "dlg": "v4.public.AAAA"})), "malformed")
add("root_token_carrying_dlg", "a root-signed token carrying a well-formed delegation: the root's own authority counts",
    token(claims(role="admin"), ROOT, compact({"kid": pid(ROOT), "dlg": D})), "valid")

for v in vectors:
    with open(v["name"] + ".json", "w") as fh:
        json.dump(v, fh, indent=2, ensure_ascii=True)
        fh.write("\n")
print(len(vectors), "delegation vectors")
