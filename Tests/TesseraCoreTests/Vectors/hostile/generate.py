#!/usr/bin/env python3
"""Writes the hostile-input token vectors, one JSON file per defect.

An independent implementation (Python `cryptography` + `hashlib`), so the vectors also
cross-check Tessera's own PAE, base64url and k4.pid code. Run it from this folder:
    python3 generate.py
Each file: name, defect, token, at, expect (a Reason raw value or "valid"), exit, and
optionally project, subject, audience, revoked (lines of a revocation list).
"""
import base64, hashlib, json, os, struct
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

# The key of the official vectors 4-S-1..3, trusted by the runner.
TEST_SEED = bytes.fromhex("b4cbfb43df4ce210727d953e4a713307fa19bb7d9f85041438d9e11b942a3774")
# A second key the runner also trusts (for key-confusion cases).
OTHER_SEED = bytes(range(32))
# A key nobody trusts.
STRANGER_SEED = b"\x42" * 32
L = 2**252 + 27742317777372353535851937790883648493

def b64(data): return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
def key(seed): return Ed25519PrivateKey.from_private_bytes(seed)
def pub(seed):
    return key(seed).public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
def pid(seed):
    return "k4.pid." + b64(hashlib.blake2b(("k4.pid.k4.public." + b64(pub(seed))).encode(), digest_size=33).digest())
def le64(n): return struct.pack("<Q", n & 0x7FFFFFFFFFFFFFFF)
def pae(pieces):
    out = le64(len(pieces))
    for p in pieces: out += le64(len(p)) + p
    return out
def footer_for(seed): return json.dumps({"kid": pid(seed)}, separators=(",", ":")).encode()

def sign(message: bytes, seed=TEST_SEED, footer=None, implicit=b""):
    footer = footer_for(seed) if footer is None else footer
    sig = key(seed).sign(pae([b"v4.public.", message, footer, implicit]))
    return message, sig, footer

def assemble(message, sig, footer):
    token = "v4.public." + b64(message + sig)
    return token + ("." + b64(footer) if footer else "")

JTI = "AAAAAAAAAAAAAAAAAAAAAA"  # 16 zero bytes
def claims(**over):
    c = {"jti": JTI, "iat": "2026-05-01T00:00:00Z", "exp": "2026-07-01T00:00:00Z",
         "project": "talk-2026", "role": "viewer"}
    for k, v in over.items():
        if v is None: c.pop(k, None)
        else: c[k] = v
    return json.dumps(c, separators=(",", ":")).encode()

AT = "2026-06-01T00:00:00Z"
vectors = []
def add(name, defect, token, expect, **extra):
    exits = {"valid": 0, "malformed": 10, "unknown_key": 11, "bad_signature": 11, "expired": 12,
             "not_yet_valid": 12, "revoked": 13, "not_for_subject": 14, "not_for_project": 14,
             "not_for_audience": 14}
    v = {"name": name, "defect": defect, "token": token, "at": extra.pop("at", AT), "expect": expect, "exit": exits[expect]}
    v.update(extra)
    vectors.append(v)

good = sign(claims())
add("valid_baseline", "a well-formed invitation, for comparison", assemble(*good), "valid")

# --- Base64url strictness -------------------------------------------------------------
def with_remainder(rem):
    """A valid signed message whose body length % 3 == rem."""
    for pad in range(0, 6):
        m = claims(label="x" * pad)
        msg, sig, f = sign(m)
        if len(msg + sig) % 3 == rem: return msg, sig, f
    raise SystemExit("no length found")

msg, sig, f = with_remainder(1)
body = b64(msg + sig)
add("base64_padding", "the body carries '=' padding, which a lenient decoder would accept",
    "v4.public." + body + "==" + "." + b64(f), "malformed")
alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
last = alphabet.index(body[-1])
assert last & 0xF == 0
add("base64_trailing_bits", "the last character has non-zero unused bits: same bytes, different string",
    "v4.public." + body[:-1] + alphabet[last | 1] + "." + b64(f), "malformed")
msg2, sig2, f2 = with_remainder(2)
body2 = b64(msg2 + sig2)
last2 = alphabet.index(body2[-1])
add("base64_trailing_bits_two", "two unused trailing bits set",
    "v4.public." + body2[:-1] + alphabet[last2 | 2] + "." + b64(f2), "malformed")
add("base64_padding_footer", "the footer carries '=' padding",
    "v4.public." + b64(good[0] + good[1]) + "." + b64(good[2]) + "=" * ((-len(good[2])) % 3 or 1), "malformed")

def body_with(chars):
    for pad in range(0, 40):
        msg, sig, f = sign(claims(label="~" * pad + "?>"))
        body = b64(msg + sig)
        idx = next((i for i, ch in enumerate(body) if ch in chars), None)
        if idx is not None: return body, idx, f
    raise SystemExit("no body with " + chars)
body, idx, f = body_with("-")
add("base64_plus_instead_of_minus", "standard-alphabet '+' where base64url has '-'",
    "v4.public." + body[:idx] + "+" + body[idx + 1:] + "." + b64(f), "malformed")
body, idx, f = body_with("_")
add("base64_slash_instead_of_underscore", "standard-alphabet '/' where base64url has '_'",
    "v4.public." + body[:idx] + "/" + body[idx + 1:] + "." + b64(f), "malformed")
add("base64_whitespace", "a space inside the body", "v4.public." + b64(good[0] + good[1])[:20] + " " + b64(good[0] + good[1])[20:] + "." + b64(good[2]), "malformed")
add("base64_length_mod4_is_1", "a body whose length is 1 mod 4 cannot be base64",
    "v4.public." + b64(good[0] + good[1]) + "A" * ((1 - len(b64(good[0] + good[1]))) % 4 or 4) + "." + b64(good[2]), "malformed")

# --- Structure ----------------------------------------------------------------------------
add("trailing_dot", "a '.' after the footer (empty fourth part)", assemble(*good) + ".", "malformed")
nf = sign(claims(), footer=b"")
add("trailing_dot_no_footer", "a '.' with no footer after it", assemble(*nf) + ".", "malformed")
add("no_footer", "no footer, so no key id: fails closed", assemble(*nf), "malformed")
add("short_body_signature_only", "the body is exactly 64 bytes: a signature and no claims",
    "v4.public." + b64(good[1]) + "." + b64(good[2]), "malformed")
add("short_body", "the body is shorter than a signature", "v4.public." + b64(b"\x00" * 40) + "." + b64(good[2]), "malformed")
add("empty_body", "nothing between the header and the footer", "v4.public.." + b64(good[2]), "malformed")
add("wrong_version_v3", "a v3.public header", assemble(*good).replace("v4.public.", "v3.public.", 1), "malformed")
add("wrong_purpose_local", "a v4.local header on a public token", assemble(*good).replace("v4.public.", "v4.local.", 1), "malformed")
add("header_uppercase", "V4.PUBLIC. instead of v4.public.", assemble(*good).replace("v4.public.", "V4.PUBLIC.", 1), "malformed")
# Padded with an unknown claim: a label that long would be refused for its own sake.
big = sign(claims(padding="x" * 6000))
t = assemble(*big)
pad_needed = 8193 - len(t)
big = sign(claims(padding="x" * (6000 + pad_needed * 3 // 4)))
t = assemble(*big)
while len(t) < 8193:
    big = sign(claims(padding="x" * (len(json.loads(big[0])["padding"]) + 1))); t = assemble(*big)
while len(t) > 8193:
    big = sign(claims(padding="x" * (len(json.loads(big[0])["padding"]) - 1))); t = assemble(*big)
if len(t) == 8193:
    add("token_oversized", "a correctly signed token of 8 KiB + 1 byte: refused before decoding", t, "malformed")
while len(t) > 8192:
    big = sign(claims(padding="x" * (len(json.loads(big[0])["padding"]) - 1))); t = assemble(*big)
add("token_at_size_limit", "a correctly signed token of exactly 8 KiB is accepted", t, "valid")
add("token_far_oversized", "a 100 KiB token", "v4.public." + "A" * 100_000, "malformed")

# --- Payload --------------------------------------------------------------------------------
add("payload_array", "the payload is a JSON array", assemble(*sign(b'["jti","project"]')), "malformed")
add("payload_string", "the payload is a JSON string", assemble(*sign(b'"hello"')), "malformed")
add("payload_not_json", "the payload is not JSON", assemble(*sign(b"jti=AAAA&project=x")), "malformed")
dup = claims()[:-1] + b',"role":"admin"}'
add("payload_duplicate_key", "'role' appears twice: a lenient parser would take either", assemble(*sign(dup)), "malformed")
dup_esc = claims()[:-1] + b',"r\\u006fle":"admin"}'
add("payload_duplicate_key_escaped", "'role' twice, once spelled with a \\u escape", assemble(*sign(dup_esc)), "malformed")
add("payload_not_utf8", "a claim string holds the byte 0xFF",
    assemble(*sign(claims(label="x")[:-2] + b'\xff"}')), "malformed")
add("payload_lone_surrogate", "a claim string holds a lone UTF-16 surrogate escape",
    assemble(*sign(claims(label="x")[:-2] + b'\\ud800"}')), "malformed")
add("payload_bom", "a byte-order mark before the JSON object", assemble(*sign(b"\xef\xbb\xbf" + claims())), "malformed")
add("payload_trailing_garbage", "bytes after the JSON object", assemble(*sign(claims() + b"x")), "malformed")
nested = claims()[:-1] + b',"deep":' + b"[" * 200 + b"]" * 200 + b"}"
add("payload_deeply_nested", "200 nested arrays in an unknown claim", assemble(*sign(nested)), "malformed")
add("payload_unknown_claims_kept", "unknown claims are ignored, not refused",
    assemble(*sign(claims(x_note="hi", x_obj={"a": [1, 2]}))), "valid")
add("claim_missing_jti", "no jti", assemble(*sign(claims(jti=None))), "malformed")
add("claim_missing_project", "no project", assemble(*sign(claims(project=None))), "malformed")
add("claim_jti_path_characters", "a jti with '/' and '..' that would escape out/i/",
    assemble(*sign(claims(jti="../../etc/passwd/AAAAA"))), "malformed")
add("claim_jti_too_long", "a jti of 65 characters, past the 64 other issuers may use", assemble(*sign(claims(jti="A" * 65))), "malformed")
add("claim_jti_too_short", "a jti of 15 characters, short enough to guess", assemble(*sign(claims(jti="A" * 15))), "malformed")
add("claim_jti_uuid", "a UUID as jti, as other issuers mint: accepted", assemble(*sign(claims(jti="0f8fad5b-d9cb-469f-a165-70867728950e"))), "valid")
add("claim_jti_uuid_revoked", "a UUID jti listed in the revocation list", assemble(*sign(claims(jti="0f8fad5b-d9cb-469f-a165-70867728950e"))), "revoked",
    revoked=["0f8fad5b-d9cb-469f-a165-70867728950e"])
add("claim_project_slash", "a project name with '/'", assemble(*sign(claims(project="a/b"))), "malformed")
add("claim_project_dotdot", "the project name '..'", assemble(*sign(claims(project=".."))), "malformed")
add("claim_project_non_ascii", "a non-ASCII project name", assemble(*sign(claims(project="caf\u00e9"))), "malformed")
add("claim_role_empty", "an empty role", assemble(*sign(claims(role=""))), "malformed")
add("claim_uses_negative", "uses: -1", assemble(*sign(claims(uses=-1))), "malformed")
add("claim_uses_zero", "uses: 0", assemble(*sign(claims(uses=0))), "malformed")
add("claim_uses_string", "uses: \"5\"", assemble(*sign(claims(uses="5"))), "malformed")
add("claim_uses_fraction", "uses: 1.5", assemble(*sign(claims(uses=1.5))), "malformed")
add("claim_anon_string", "anon: \"true\"", assemble(*sign(claims(anon="true"))), "malformed")
add("claim_project_number", "project: 7", assemble(*sign(claims(project=7))), "malformed")

# --- Times -----------------------------------------------------------------------------------
add("time_lowercase_t", "exp with a lowercase 't'", assemble(*sign(claims(exp="2026-07-01t00:00:00Z"))), "malformed")
add("time_lowercase_z", "exp with a lowercase 'z'", assemble(*sign(claims(exp="2026-07-01T00:00:00z"))), "malformed")
add("time_no_offset", "exp without Z or an offset", assemble(*sign(claims(exp="2026-07-01T00:00:00"))), "malformed")
add("time_number", "exp as a Unix number", assemble(*sign(claims(exp=1782864000))), "malformed")
add("time_invalid_date", "exp on 2026-02-30", assemble(*sign(claims(exp="2026-02-30T00:00:00Z"))), "malformed")
add("time_space_separator", "a space instead of 'T'", assemble(*sign(claims(exp="2026-07-01 00:00:00Z"))), "malformed")
add("time_offset_accepted", "an offset shifts the instant: 02:00+02:00 is midnight UTC, still valid",
    assemble(*sign(claims(exp="2026-06-01T02:00:30+02:00"))), "valid")
add("time_fraction_accepted", "fractional seconds are accepted", assemble(*sign(claims(exp="2026-07-01T00:00:00.123456789Z"))), "valid")
add("expired", "exp is a day before the check", assemble(*sign(claims(exp="2026-05-31T00:00:00Z"))), "expired")
add("expired_within_leeway", "exp 30 s before the check is inside the 60 s leeway",
    assemble(*sign(claims(exp="2026-05-31T23:59:30Z"))), "valid")
add("expired_beyond_leeway", "exp 61 s before the check", assemble(*sign(claims(exp="2026-05-31T23:58:59Z"))), "expired")
add("not_before_future", "nbf a day after the check", assemble(*sign(claims(nbf="2026-06-02T00:00:00Z"))), "not_yet_valid")
add("issued_in_future", "iat a day after the check", assemble(*sign(claims(iat="2026-06-02T00:00:00Z"))), "not_yet_valid")
add("nbf_equals_check_time", "nbf exactly at the check time is valid (inclusive)",
    assemble(*sign(claims(nbf="2026-06-01T00:00:00Z"))), "valid")
add("no_expiry", "no exp: minted with --expires never", assemble(*sign(claims(exp=None))), "valid")

# --- Footer ----------------------------------------------------------------------------------
def with_footer(fbytes): return assemble(*sign(claims(), footer=fbytes))
add("footer_nested", "the footer's kid is an object", with_footer(b'{"kid":{"k4.pid":"x"}}'), "malformed")
add("footer_nested_extra", "a nested object beside kid", with_footer(b'{"kid":"' + pid(TEST_SEED).encode() + b'","x":{"a":1}}'), "malformed")
add("footer_extra_member", "a member other than kid", with_footer(b'{"kid":"' + pid(TEST_SEED).encode() + b'","wpk":"k4.public.x"}'), "malformed")
add("footer_oversized", "a 513-byte footer", with_footer(b'{"kid":"' + pid(TEST_SEED).encode() + b'","p":"' + b"x" * (513 - 67) + b'"}'), "malformed")
add("footer_not_json", "a plain-text footer", with_footer(pid(TEST_SEED).encode()), "malformed")
add("footer_public_key_as_kid", "the footer carries a k4.public key instead of an id",
    with_footer(json.dumps({"kid": "k4.public." + b64(pub(TEST_SEED))}, separators=(",", ":")).encode()), "malformed")
add("footer_duplicate_kid", "kid twice: the second names another trusted key",
    with_footer(b'{"kid":"' + pid(TEST_SEED).encode() + b'","kid":"' + pid(OTHER_SEED).encode() + b'"}'), "malformed")
add("unknown_kid", "signed by a key that is not trusted; its own kid in the footer", assemble(*sign(claims(), seed=STRANGER_SEED)), "unknown_key")
add("kid_of_other_trusted_key", "names another trusted key than the one that signed: must not verify",
    assemble(*sign(claims(), footer=footer_for(OTHER_SEED))), "bad_signature")
add("footer_swapped_after_signing", "a valid token whose footer was replaced by another trusted key's id",
    "v4.public." + b64(good[0] + good[1]) + "." + b64(footer_for(OTHER_SEED)), "bad_signature")

# --- Signature --------------------------------------------------------------------------------
msg, sig, f = good
s = int.from_bytes(sig[32:], "little") + L
add("signature_s_plus_l", "S + L: the same signature in non-canonical form (malleability)",
    assemble(msg, sig[:32] + s.to_bytes(32, "little"), f), "bad_signature")
add("signature_flipped_bit", "one bit of the signature flipped", assemble(msg, sig[:10] + bytes([sig[10] ^ 1]) + sig[11:], f), "bad_signature")
add("payload_changed", "the role changed after signing", assemble(msg.replace(b"viewer", b"admins"), sig, f), "bad_signature")
add("signature_zero", "an all-zero signature", assemble(msg, b"\x00" * 64, f), "bad_signature")
aud = sign(claims(aud="gw.example.org"))
add("audience_valid", "aud as an ordinary signed claim, empty implicit assertion (standard PASETO)", assemble(*aud), "valid", audience="gw.example.org")
add("audience_changed", "aud changed after signing: the signed claims no longer match",
    assemble(aud[0].replace(b"gw.example.org", b"gw.example.com"), aud[1], aud[2]), "bad_signature", audience="gw.example.com")
add("audience_as_implicit_assertion", "signed with the audience as a hidden implicit assertion, which no other library supplies",
    assemble(*sign(claims(aud="gw.example.org"), implicit=b"gw.example.org")), "bad_signature", audience="gw.example.org")
add("audience_unexpected", "a token for an audience, at a verifier configured without one", assemble(*aud), "not_for_audience")
add("audience_other", "a correctly signed invitation for another audience", assemble(*aud), "not_for_audience", audience="other.example.org")
add("audience_missing", "the verifier requires an audience the invitation lacks", assemble(*good), "not_for_audience", audience="gw.example.org")

# --- Policy -------------------------------------------------------------------------------------
add("revoked_by_id", "its jti is listed", assemble(*good), "revoked", revoked=[JTI])
add("revoked_by_project", "its project is listed", assemble(*good), "revoked", revoked=["# pause the talk", "project:talk-2026"])
add("revoked_by_key", "its key is listed", assemble(*good), "revoked", revoked=["key:" + pid(TEST_SEED)])
add("revoked_by_before", "issued before the cut-off", assemble(*good), "revoked", revoked=["before:2026-05-02T00:00:00Z"])
add("not_revoked_before_earlier", "a cut-off before its issue time does not revoke it", assemble(*good), "valid", revoked=["before:2026-04-01T00:00:00Z"])
add("wrong_project", "checked for another project", assemble(*good), "not_for_project", project="other")
targeted = sign(claims(sub="alice@example.org"))
add("targeted_right_subject", "a targeted invitation presented by its subject", assemble(*targeted), "valid", subject="alice@example.org")
add("targeted_wrong_subject", "a targeted invitation presented by someone else", assemble(*targeted), "not_for_subject", subject="mallory@example.org")
add("anon_with_sub", "anon on a targeted invitation is contradictory", assemble(*sign(claims(sub="a@b.c", anon=True))), "malformed")

# --- Beyond DESIGN §3: names, numbers, times, text and shapes a careless parser gets wrong ---
add("claim_jti_empty", "an empty jti", assemble(*sign(claims(jti=""))), "malformed")
add("claim_jti_encoded_dotdot", "a jti of 22 characters that percent-decodes to a path", assemble(*sign(claims(jti="..%2F..%2Fetc%2Fpasswd"))), "malformed")
add("claim_jti_dot", "a jti with a dot, outside A-Z a-z 0-9 _ -", assemble(*sign(claims(jti="AAAAAAAAAAAAAAAAAAAAA."))), "malformed")
add("claim_project_too_long", "a project name of 65 characters", assemble(*sign(claims(project="p" * 65))), "malformed")
add("claim_project_dot", "the project name '.'", assemble(*sign(claims(project="."))), "malformed")
add("claim_project_backslash", "a project name with a backslash", assemble(*sign(claims(project="a\\b"))), "malformed")
add("claim_project_nul", "a project name with a NUL", assemble(*sign(claims(project="talk\u0000"))), "malformed")
add("claim_project_fullwidth", "a project name in fullwidth letters that look like ASCII", assemble(*sign(claims(project="\uff54\uff41\uff4c\uff4b"))), "malformed")
add("claim_role_slash", "a role with '/'", assemble(*sign(claims(role="admin/../owner"))), "malformed")
add("claim_role_non_ascii", "a role with a Cyrillic 'a' that looks like the Latin one", assemble(*sign(claims(role="\u0430dmin"))), "malformed")
add("claim_role_array", "role: [\"viewer\",\"admin\"]", assemble(*sign(claims(role=["viewer", "admin"]))), "malformed")
add("claim_uses_huge", "uses: 2^63, beyond any counter", assemble(*sign(claims(uses=2**63))), "malformed")
add("claim_uses_exponent", "uses: 1e2 written with an exponent", assemble(*sign(claims().replace(b'"role":"viewer"', b'"role":"viewer","uses":1e2'))), "malformed")
add("claim_uses_bool", "uses: true", assemble(*sign(claims(uses=True))), "malformed")
add("claim_uses_negative_zero", "uses: -0", assemble(*sign(claims().replace(b'"role":"viewer"', b'"role":"viewer","uses":-0'))), "malformed")
add("claim_uses_null", "uses: null", assemble(*sign(claims().replace(b'"role":"viewer"', b'"role":"viewer","uses":null'))), "malformed")
add("claim_iat_missing", "no iat", assemble(*sign(claims(iat=None))), "malformed")
add("claim_exp_null", "exp: null is not 'never'", assemble(*sign(claims().replace(b'"exp":"2026-07-01T00:00:00Z"', b'"exp":null'))), "malformed")
add("claim_aud_array", "aud as an array, as JWT allows", assemble(*sign(claims(aud=["gw.example.org"]))), "malformed")
add("claim_sub_empty", "an empty subject", assemble(*sign(claims(sub=""))), "malformed")
add("claim_sub_control_character", "a subject with an escape character (terminal injection)", assemble(*sign(claims(sub="alice\u001b[2K@example.org"))), "malformed")
add("claim_sub_too_long", "a subject of 257 bytes", assemble(*sign(claims(sub="a" * 245 + "@example.org"))), "malformed")
add("claim_label_control_character", "a label that would rewrite the terminal it is shown on",
    assemble(*sign(claims(label="talk\u001b[1A\u001b[2Ksignature  valid"))), "malformed")
add("claim_label_c1_control", "a label with a C1 control (U+009B, a one-byte CSI)", assemble(*sign(claims(label="talk\u009b2J"))), "malformed")
add("claim_label_huge", "a label of 1001 bytes: longer than a page heading should carry", assemble(*sign(claims(label="L" * 1001))), "malformed")
add("claim_label_at_limit", "a label of exactly 1000 bytes (500 two-byte characters, and a tab) is accepted", assemble(*sign(claims(label="\u00e9" * 499 + "\t."))), "valid")
add("claim_label_non_ascii", "a label in Japanese is free text", assemble(*sign(claims(label="\u8b1b\u6f14 2\u53f7\u5ba4"))), "valid")
add("claim_typ_revocation_list", "a signed revocation list presented as an invitation",
    assemble(*sign(json.dumps({"typ": "tessera-revocation-list", "iat": "2026-05-01T00:00:00Z", "entries": []}, separators=(",", ":")).encode())), "malformed")
add("claim_uid_differs_from_sub", "uid and sub name different people", assemble(*sign(claims(sub="a@example.org", uid="b@example.org"))), "malformed")

add("time_leap_second_accepted", "exp at a leap second (23:59:60) is read as the next second", assemble(*sign(claims(exp="2026-06-30T23:59:60Z"))), "valid")
add("time_hour_24", "exp at hour 24", assemble(*sign(claims(exp="2026-07-01T24:00:00Z"))), "malformed")
add("time_minute_60", "exp at minute 60", assemble(*sign(claims(exp="2026-07-01T00:60:00Z"))), "malformed")
add("time_offset_out_of_range", "an offset of +24:00", assemble(*sign(claims(exp="2026-07-01T00:00:00+24:00"))), "malformed")
add("time_offset_no_colon", "an offset without its colon", assemble(*sign(claims(exp="2026-07-01T00:00:00+0200"))), "malformed")
add("time_empty_fraction", "a '.' with no digits", assemble(*sign(claims(exp="2026-07-01T00:00:00.Z"))), "malformed")
add("time_fraction_ten_digits", "a fraction of 10 digits", assemble(*sign(claims(exp="2026-07-01T00:00:00.0123456789Z"))), "malformed")
add("time_two_digit_year", "a two-digit year", assemble(*sign(claims(exp="26-07-01T00:00:00Z"))), "malformed")
add("time_five_digit_year", "a five-digit year", assemble(*sign(claims(exp="+20260-07-01T00:00:00Z"))), "malformed")
add("time_february_29_non_leap", "exp on 2027-02-29", assemble(*sign(claims(exp="2027-02-29T00:00:00Z"))), "malformed")
add("time_unicode_digits", "exp in fullwidth digits", assemble(*sign(claims(exp="\uff12\uff10\uff12\uff16-07-01T00:00:00Z"))), "malformed")
add("time_trailing_space", "exp with a trailing space", assemble(*sign(claims(exp="2026-07-01T00:00:00Z "))), "malformed")
add("time_date_only", "exp as a date without a time", assemble(*sign(claims(exp="2026-07-01"))), "malformed")
add("time_far_future_accepted", "exp in 9999 is valid", assemble(*sign(claims(exp="9999-12-31T23:59:59Z"))), "valid")
add("time_exp_before_iat", "exp before iat: expired whatever the clock says", assemble(*sign(claims(iat="2026-05-01T00:00:00Z", exp="2026-04-01T00:00:00Z"))), "expired")

add("payload_huge_number", "an unknown claim holding 1e400: valid JSON, never converted", assemble(*sign(claims().replace(b'"role":"viewer"', b'"role":"viewer","x":1e400'))), "valid")
add("payload_nan", "an unknown claim holding NaN, which is not JSON", assemble(*sign(claims().replace(b'"role":"viewer"', b'"role":"viewer","x":NaN'))), "malformed")
add("payload_leading_zero", "an unknown claim holding 01, which is not JSON", assemble(*sign(claims().replace(b'"role":"viewer"', b'"role":"viewer","x":01'))), "malformed")
add("payload_nul_in_key", "a claim name with a NUL that a C string would cut to 'role'", assemble(*sign(claims().replace(b'"role":"viewer"', b'"role":"viewer","role\\u0000":"admin"'))), "valid")
add("payload_raw_control_in_string", "a raw tab inside a string", assemble(*sign(claims().replace(b'"viewer"', b'"view\ter"'))), "malformed")
add("payload_deeply_nested_objects", "17 nested objects in an unknown claim", assemble(*sign(claims().replace(b'"role":"viewer"', b'"role":"viewer","x":' + b'{"a":' * 17 + b'1' + b'}' * 17))), "malformed")
add("payload_single_quotes", "a JavaScript object, not JSON", assemble(*sign(claims().replace(b'"', b"'"))), "malformed")
add("payload_comment", "a comment inside the JSON", assemble(*sign(claims().replace(b'{"jti"', b'{/*x*/"jti"'))), "malformed")

add("footer_kid_local_id", "a k4.lid (a symmetric key id) as kid", with_footer(b'{"kid":"k4.lid.' + b64(b"\x00" * 33).encode() + b'"}'), "malformed")
add("footer_kid_number", "kid: 7", with_footer(b'{"kid":7}'), "malformed")
add("footer_kid_too_short", "a k4.pid with a 32-byte hash", with_footer(b'{"kid":"k4.pid.' + b64(b"\x00" * 32).encode() + b'"}'), "malformed")

add("token_nul_byte", "a NUL byte inside the body", assemble(*good)[:30] + "\u0000" + assemble(*good)[31:], "malformed")
add("token_fullwidth_period", "a fullwidth full stop where the footer's '.' belongs", "v4.public." + b64(good[0] + good[1]) + "\uff0e" + b64(good[2]), "malformed")
add("token_header_twice", "the header repeated", "v4.public." + assemble(*good), "malformed")
add("token_two_tokens", "two tokens joined by a space", assemble(*good) + " " + assemble(*good), "malformed")
add("token_crlf_inside", "a CR LF inside the body", assemble(*good)[:40] + "\r\n" + assemble(*good)[40:], "malformed")

for v in vectors:
    with open(v["name"] + ".json", "w") as fh:
        json.dump(v, fh, indent=2, ensure_ascii=True)
        fh.write("\n")

keys = {"trusted": [{"name": "test", "public": "k4.public." + b64(pub(TEST_SEED)), "kid": pid(TEST_SEED)},
                    {"name": "other", "public": "k4.public." + b64(pub(OTHER_SEED)), "kid": pid(OTHER_SEED)}],
        "untrusted": [{"name": "stranger", "public": "k4.public." + b64(pub(STRANGER_SEED)), "kid": pid(STRANGER_SEED)}]}
with open("keys.json", "w") as fh:
    json.dump(keys, fh, indent=2); fh.write("\n")
print(len(vectors), "vectors")
