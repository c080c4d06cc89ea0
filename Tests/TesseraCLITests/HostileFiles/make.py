#!/usr/bin/env python3
"""Writes the hostile input files, one per defect and named after it, and one manifest.json per kind.

Run it from this folder:  python3 make.py
Needs Python 3 with `cryptography` (as ../../TesseraCoreTests/Vectors/hostile/generate.py does);
the outputs are committed, so the tests need neither.

Kinds, and what HostileFileTests does with each file:
  revocation/  written as revoked.txt;        tessera-verify check --json TOKEN
  public-key/  written as keys/main.public.pem; tessera-verify check --json TOKEN
               ("run": "import": tessera keys import FILE --name imported)
  secret-key/  written as keys/main.secret.pem (mode 0600 unless "mode"); tessera mint
               ("run": "import": tessera keys import FILE --name imported)
  settings/    written as tessera.toml;         tessera mint, then tessera-verify check --json TOKEN
TOKEN is an invitation for project "hostile", role "r", minted with site.secret.pem (a test key,
never used elsewhere); other.public.pem is the public key of another.

A manifest maps each file to:
  defect   what is wrong with it, in words
  exit     the exit code
  error    a substring of the error line on standard error (and of check's JSON detail),
           with the file's line number where the parser knows one ("revoked.txt:3:")
  reason   check --json's "reason" ("granted" for {"granted":true})
  output   a substring of standard output (for commands that succeed)
  mode     the file's mode, in octal
  run      "import": the file goes to `tessera keys import` instead of the kind's command
  public   secret-key only: "other" puts other.public.pem beside the secret key instead of the site's
  check    settings only: what check --json answers, when not the same failure as mint
  token    public-key only: check this token instead of the site's
  seconds  a hang guard: the best of three runs must take less than this (wall time, debug build; not a benchmark)
  generate instead of a committed file (too big to commit): head + repeat… + tail, at least
           `bytes` long; "{id}" in repeat becomes a fresh invitation id each time
"""
import base64, hashlib, json, os, random, shutil

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa, x25519

HERE = os.path.dirname(os.path.abspath(__file__))

SITE_SEED = hashlib.sha256(b"tessera hostile files: the site key").digest()
OTHER_SEED = hashlib.sha256(b"tessera hostile files: another key").digest()


def b64url(data): return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
def pub(seed):
    return ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
def pid(seed):
    return "k4.pid." + b64url(hashlib.blake2b(("k4.pid.k4.public." + b64url(pub(seed))).encode(), digest_size=33).digest())
def paserk_public(raw): return "k4.public." + b64url(raw)
def paserk_secret(seed, public=None): return "k4.secret." + b64url(seed + (pub(seed) if public is None else public))

SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")
PKCS8_PREFIX = bytes.fromhex("302e020100300506032b657004220420")
PKCS8_V2_PREFIX = bytes.fromhex("3051020101300506032b657004220420")
def spki(raw): return SPKI_PREFIX + raw
def pkcs8(seed): return PKCS8_PREFIX + seed
def pkcs8_v2(seed, public): return PKCS8_V2_PREFIX + seed + bytes.fromhex("812100") + public
def pem(der, label, width=64, newline="\n"):
    body = base64.b64encode(der).decode()
    lines = [body[i:i + width] for i in range(0, len(body), width)]
    return newline.join([f"-----BEGIN {label}-----"] + lines + [f"-----END {label}-----"]) + newline

SITE_PUBLIC_PEM = pem(spki(pub(SITE_SEED)), "PUBLIC KEY")
SITE_SECRET_PEM = pem(pkcs8(SITE_SEED), "PRIVATE KEY")
OTHER_PUBLIC_PEM = pem(spki(pub(OTHER_SEED)), "PUBLIC KEY")
OTHER_SECRET_PEM = pem(pkcs8(OTHER_SEED), "PRIVATE KEY")
BOM = "\ufeff"


def deterministic_rsa(bits=2048):
    """An RSA key from a fixed seed, so that running this script again writes the same files."""
    rng = random.Random(7)
    def probable_prime(n):
        if n < 2: return False
        for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
            if n % p == 0: return n == p
        d, r = n - 1, 0
        while d % 2 == 0: d, r = d // 2, r + 1
        for _ in range(32):
            x = pow(rng.randrange(2, n - 1), d, n)
            if x in (1, n - 1): continue
            for _ in range(r - 1):
                x = pow(x, 2, n)
                if x == n - 1: break
            else: return False
        return True
    def prime(half):
        while True:
            candidate = rng.getrandbits(half) | (3 << (half - 2)) | 1
            if probable_prime(candidate) and candidate % 65537 != 1: return candidate
    p, q = prime(bits // 2), prime(bits // 2)
    n, e = p * q, 65537
    d = pow(e, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), rsa.RSAPublicNumbers(e, n))
    return numbers.private_key()

def private_pem(key, form=serialization.PrivateFormat.PKCS8, encryption=None):
    return key.private_bytes(serialization.Encoding.PEM, form, encryption or serialization.NoEncryption()).decode()
def public_pem(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

RSA = deterministic_rsa()
EC = ec.derive_private_key(int.from_bytes(hashlib.sha256(b"p-256").digest(), "big") % (2**255), ec.SECP256R1())
X25519 = x25519.X25519PrivateKey.from_private_bytes(hashlib.sha256(b"x25519").digest())
ED448 = ed448.Ed448PrivateKey.from_private_bytes(hashlib.sha512(b"ed448").digest()[:57])

# What `openssl pkey -pubout -text` writes: the PEM block, then a description of the key.
def openssl_text(raw, kind):
    rows = [":".join(f"{b:02x}" for b in raw[i:i + 15]) for i in range(0, len(raw), 15)]
    return f"ED25519 {kind}-Key:\n{'priv' if kind == 'Private' else 'pub'}:\n" + "".join(f"    {r}{':' if i < len(rows) - 1 else ''}\n" for i, r in enumerate(rows))

# An Ed25519 key whose SPKI base64 holds '+' or '/', to write it in the base64url alphabet instead.
def key_with_plus_or_slash():
    for i in range(1000):
        seed = hashlib.sha256(b"alphabet %d" % i).digest()
        text = base64.b64encode(spki(pub(seed))).decode()
        if "+" in text or "/" in text: return seed
URL_ALPHABET_SEED = key_with_plus_or_slash()

SMALL_ORDER_IDENTITY = bytes([1]) + bytes(31)
SMALL_ORDER_ZERO = bytes(32)

def forged_token(raw):
    """A token for project hostile that claims the key `raw` signed it, with the signature R = identity, S = 0."""
    kid = "k4.pid." + b64url(hashlib.blake2b(("k4.pid." + paserk_public(raw)).encode(), digest_size=33).digest())
    claims = json.dumps({"jti": "AAAAAAAAAAAAAAAAAAAAAA", "iat": "2026-01-01T00:00:00Z", "exp": "2999-01-01T00:00:00Z",
                         "project": "hostile", "role": "admin"}, separators=(",", ":")).encode()
    footer = json.dumps({"kid": kid}, separators=(",", ":")).encode()
    return "v4.public." + b64url(claims + SMALL_ORDER_IDENTITY + bytes(32)) + "." + b64url(footer)

kinds = {}
def add(kind, name, content, defect, **expect):
    """content: str (written as UTF-8), bytes, or None for a file the test generates."""
    if content is not None:
        kinds.setdefault(kind, {})[name] = (content, dict(defect=defect, **expect))
    else:
        kinds.setdefault(kind, {})[name] = (None, dict(defect=defect, **expect))

# ---------------------------------------------------------------------------------------------
# revocation: the token is for project "hostile"; "project:hostile" revokes it, so a list that
# fails to parse must answer 2 where a list that parses answers 13, and never 0.
R = "revocation"
REVOKE = "project:hostile\n"
def bad_line(name, line, defect, error, **more):
    add(R, name, REVOKE + line, defect, exit=2, reason="error", error=error, **more)
def refused(line_number, text):
    return f'revoked.txt:{line_number}: "{text}" is not'

add(R, "accepted_empty_file.txt", "", "control: an empty list revokes nothing", exit=0, reason="granted")
add(R, "accepted_project_entry.txt", REVOKE, "control: project:NAME revokes the project's invitations", exit=13, reason="revoked")
add(R, "accepted_key_entry.txt", f"key:{pid(SITE_SEED)}\n", "control: key:k4.pid.… revokes what the key signed", exit=13, reason="revoked")
add(R, "accepted_before_with_offset.txt", "before:2999-01-01T00:00:00+02:00\n", "control: before:TIME with an offset", exit=13, reason="revoked")
add(R, "accepted_comments_tabs_and_blank_lines.txt", "# list\n\n\t\n  project:hostile\t# paused  \n", "comments, tabs and blank lines around an entry", exit=13, reason="revoked")
add(R, "accepted_no_final_newline.txt", "# list\nproject:hostile", "the last line has no newline", exit=13, reason="revoked")
add(R, "accepted_crlf_line_ends.txt", b"# list\r\nAAAAAAAAAAAAAAAAAAAAAA\r\nproject:hostile\r\n", "CRLF line ends (Windows editors): accepted", exit=13, reason="revoked")
add(R, "accepted_bom_at_start.txt", (BOM + "project:hostile\n").encode(), "a UTF-8 byte order mark starts the file (Windows editors): skipped", exit=13, reason="revoked")
add(R, "accepted_invalid_utf8_in_comment.txt", b"# caf\xe9 (Latin-1)\nproject:hostile\n", "invalid UTF-8 inside a comment, which is never read", exit=13, reason="revoked")

bad_line("malformed_entry.txt", "not an entry\n", "a line that is no entry", refused(2, "not an entry"))
bad_line("unknown_prefix_user.txt", "user:x\n", "an unknown prefix", refused(2, "user:x"))
bad_line("prefix_uppercase.txt", "PROJECT:hostile\n", "a prefix in capitals", refused(2, "PROJECT:hostile"))
bad_line("before_lowercase_t.txt", "before:2026-01-01t00:00:00Z\n", "before: with a lowercase t", refused(2, "before:2026-01-01t00:00:00Z") + " an RFC 3339 time")
bad_line("before_lowercase_z.txt", "before:2026-01-01T00:00:00z\n", "before: with a lowercase z", refused(2, "before:2026-01-01T00:00:00z"))
bad_line("before_no_offset.txt", "before:2026-01-01T00:00:00\n", "before: without Z or an offset", refused(2, "before:2026-01-01T00:00:00"))
bad_line("before_date_only.txt", "before:2026-01-01\n", "before: with a date only", refused(2, "before:2026-01-01"))
bad_line("before_space_for_t.txt", "before:2026-01-01 00:00:00Z\n", "before: with a space for T", refused(2, "before:2026-01-01 00:00:00Z"))
bad_line("before_month_13.txt", "before:2026-13-01T00:00:00Z\n", "before: in month 13", refused(2, "before:2026-13-01T00:00:00Z"))
bad_line("before_empty.txt", "before:\n", "before: and nothing", refused(2, "before:"))
bad_line("key_not_a_pid.txt", f"key:{paserk_public(pub(SITE_SEED))}\n", "key: with a k4.public instead of its k4.pid", refused(2, f"key:{paserk_public(pub(SITE_SEED))}") + " a k4.pid key id")
bad_line("key_bad_base64.txt", "key:k4.pid." + "!" * 44 + "\n", "key: with characters outside base64url", refused(2, "key:k4.pid." + "!" * 44))
bad_line("key_too_short.txt", f"key:{pid(SITE_SEED)[:-1]}\n", "key: one character short", refused(2, f"key:{pid(SITE_SEED)[:-1]}"))
bad_line("key_version_3.txt", "key:k3.pid." + pid(SITE_SEED)[7:] + "\n", "key: with a k3.pid", refused(2, "key:k3.pid." + pid(SITE_SEED)[7:]))
bad_line("project_with_slash.txt", "project:a/b\n", "project: with a slash", refused(2, "project:a/b") + " a valid project name")
bad_line("project_dotdot.txt", "project:..\n", "project: ..", refused(2, "project:.."))
bad_line("project_dot.txt", "project:.\n", "project: .", refused(2, "project:."))
bad_line("project_empty.txt", "project:\n", "project: and nothing", refused(2, "project:"))
bad_line("project_65_characters.txt", "project:" + "p" * 65 + "\n", "a project name one character too long", 'revoked.txt:2: "project:' + "p" * 52 + "…\" is not")
bad_line("project_space_after_colon.txt", "project: hostile\n", "a space after project:", refused(2, "project: hostile"))
bad_line("id_15_characters.txt", "A" * 15 + "\n", "an invitation id one character shorter than the 16 any issuer's id has", refused(2, "A" * 15) + " an invitation id")
bad_line("id_65_characters.txt", "A" * 65 + "\n", "an invitation id one character longer than 64", 'revoked.txt:2: "' + "A" * 60 + "…\" is not")
bad_line("id_with_padding.txt", "A" * 22 + "==\n", "an invitation id with base64 padding", refused(2, "A" * 22 + "=="))
bad_line("id_standard_base64_alphabet.txt", "AAAAAAAAAAAAAAAAAAA+/A\n", "an invitation id with + and /", refused(2, "AAAAAAAAAAAAAAAAAAA+/A"))
add(R, "accepted_ids_of_other_issuers.txt", "0f8fad5b-d9cb-469f-a165-70867728950e\n01ARZ3NDEKTSV4RRFFQ69G5FAV\nAAAAAAAAAAAAAAAAAAAAAB\n" + REVOKE,
    "ids other issuers mint (a UUID, a ULID, 22 characters that are not 16 bytes): accepted as entries", exit=13, reason="revoked")
bad_line("id_cyrillic_lookalike.txt", "AAAAAAAAAAAAAAAAAAAAA\u0410\n", "an invitation id ending in a Cyrillic А", refused(2, "AAAAAAAAAAAAAAAAAAAAA\u0410"))
bad_line("two_entries_on_one_line.txt", "AAAAAAAAAAAAAAAAAAAAAA BBBBBBBBBBBBBBBBBBBBBA\n", "two entries on one line", refused(2, "AAAAAAAAAAAAAAAAAAAAAA BBBBBBBBBBBBBBBBBBBBBA"))
add(R, "accepted_member_entry.txt", "member:hostile:alice@example.org\nmember:other:github%3A1%23x%20y\n",
    "control: member:PROJECT:SUBJECT entries parse, and remove only that subject (a check without one is granted)", exit=0, reason="granted")
bad_line("member_no_subject.txt", "member:hostile:\n", "member: with an empty subject", refused(2, "member:hostile:") + " member:PROJECT:SUBJECT")
bad_line("member_no_colon.txt", "member:hostile\n", "member: with a project and no subject", refused(2, "member:hostile"))
bad_line("member_project_with_slash.txt", "member:a/b:alice\n", "member: with a project name that is not one", refused(2, "member:a/b:alice"))
bad_line("member_bad_percent_escape.txt", "member:hostile:alice%2\n", "member: with a % not followed by two hex digits", refused(2, "member:hostile:alice%2"))
bad_line("member_percent_not_hex.txt", "member:hostile:alice%zz\n", "member: with %zz", refused(2, "member:hostile:alice%zz"))
bad_line("member_raw_non_ascii_subject.txt", "member:hostile:al\u0456ce@example.org\n", "member: with a raw non-ASCII byte (a Cyrillic і) that must be escaped", refused(2, "member:hostile:al\u0456ce@example.org"))
bad_line("member_escaped_control_character.txt", "member:hostile:alice%0A\n", "member: whose subject decodes to a control character", refused(2, "member:hostile:alice%0A"))
bad_line("member_escaped_invalid_utf8.txt", "member:hostile:alice%FF\n", "member: whose subject decodes to invalid UTF-8", refused(2, "member:hostile:alice%FF"))
add(R, "nul_byte.txt", (REVOKE + "AAAAAAAAAAAAAAAAAAAAAA\x00\n").encode(), "a NUL byte after an id", exit=2, reason="error", error=refused(2, "AAAAAAAAAAAAAAAAAAAAAA\\u0000"))
add(R, "escape_sequence_in_entry.txt", (REVOKE + "\x1b[2K\x1b[1Agranted\n").encode(), "terminal escape sequences in a line, which the error quotes", exit=2, reason="error", error='revoked.txt:2: "\\u001b[2K\\u001b[1Agranted" is not')
add(R, "lone_cr_between_entries.txt", (REVOKE + "AAAAAAAAAAAAAAAAAAAAAA\rproject:other\n").encode(), "a lone CR (old Mac line end) joins two entries into one line", exit=2, reason="error", error='revoked.txt:2: "AAAAAAAAAAAAAAAAAAAAAA\\u000dproject:other" is not')
add(R, "invalid_utf8_in_entry.txt", REVOKE.encode() + b"project:caf\xe9\n", "invalid UTF-8 in an entry", exit=2, reason="error", error="revoked.txt:2: not valid UTF-8")
add(R, "utf16_encoded.txt", ("\ufeff" + REVOKE).encode("utf-16-le"), "the list saved as UTF-16", exit=2, reason="error", error="revoked.txt:1: not valid UTF-8")
add(R, "bom_in_middle.txt", (REVOKE + BOM + "AAAAAAAAAAAAAAAAAAAAAA\n").encode(), "a byte order mark at the start of the second line", exit=2, reason="error", error=refused(2, "\\ufeffAAAAAAAAAAAAAAAAAAAAAA"))
add(R, "line_of_1mb.txt", None, "a line of a million characters: refused, and quoted only in part", exit=2, reason="error",
    error='revoked.txt:2: "' + "A" * 60 + "…\" is not", generate=dict(head=REVOKE, repeat="A", bytes=1 << 20, tail="\n"))
add(R, "oversized_17mb.txt", None, "17 MiB, above the 16 MiB a list may have", exit=2, reason="error", error="revoked.txt: cannot read revoked.txt: too large",
    generate=dict(head=REVOKE, repeat="# a comment line to fill the file up with text\n", bytes=17 << 20, tail=""))
add(R, "entries_200000.txt", None, "200,000 invitation ids: loaded without a hang (a guard, not a benchmark: about 0.45 s in a quiet debug build)", exit=13, reason="revoked", seconds=20.0,
    generate=dict(head="# many entries\n", repeat="{id}\n", bytes=200_000 * 23, tail=REVOKE))

# ---------------------------------------------------------------------------------------------
# public-key: the file is keys/main.public.pem, the only key of a verifier checking a token that
# site.secret.pem signed; so a file that is read right grants (exit 0), and any other key is exit 2.
P = "public-key"
PUB = "keys/main.public.pem: "
def bad_public(name, content, defect, error):
    add(P, name, content, defect, exit=2, reason="error", error="cannot load the keys folder: " + PUB + error)
NOT_ED25519 = "holds no valid Ed25519 key"
NO_BLOCK = "holds no PEM block (-----BEGIN PUBLIC KEY----- … -----END PUBLIC KEY-----)"
BAD_BASE64 = "holds a PEM block that is not valid base64"
site_lines = SITE_PUBLIC_PEM.splitlines()

add(P, "accepted_site_key.public.pem", SITE_PUBLIC_PEM, "control: the site's key as openssl writes it", exit=0, reason="granted")
add(P, "accepted_crlf_line_ends.public.pem", SITE_PUBLIC_PEM.replace("\n", "\r\n"), "CRLF line ends", exit=0, reason="granted")
add(P, "accepted_bom_at_start.public.pem", BOM + SITE_PUBLIC_PEM, "a UTF-8 byte order mark before the block: skipped", exit=0, reason="granted")
add(P, "accepted_openssl_text_after_block.public.pem", SITE_PUBLIC_PEM + openssl_text(pub(SITE_SEED), "Public"),
    "what openssl pkey -pubout -text writes: the block, then explanatory text (RFC 7468 §5.2)", exit=0, reason="granted")
add(P, "accepted_text_before_block.public.pem", "Subject: the site's signing key\n\n" + SITE_PUBLIC_PEM, "explanatory text before the block", exit=0, reason="granted")
add(P, "accepted_base64_in_short_lines.public.pem", pem(spki(pub(SITE_SEED)), "PUBLIC KEY", width=16), "the base64 wrapped at 16 characters", exit=0, reason="granted")

bad_public("rsa_2048.public.pem", public_pem(RSA), "an RSA key", NOT_ED25519)
bad_public("ec_p256.public.pem", public_pem(EC), "an EC P-256 key", NOT_ED25519)
bad_public("x25519.public.pem", public_pem(X25519), "an X25519 (key agreement) key", NOT_ED25519)
bad_public("ed448.public.pem", public_pem(ED448), "an Ed448 key", NOT_ED25519)
bad_public("private_key_in_public_file.public.pem", SITE_SECRET_PEM, "the site's secret key where its public key belongs",
           'holds a "PRIVATE KEY" PEM block where a "PUBLIC KEY" one belongs')
bad_public("k4_secret_in_public_file.public.pem", paserk_secret(SITE_SEED) + "\n", "a k4.secret PASERK where a PEM public key belongs", NO_BLOCK)
bad_public("k4_public_in_public_file.public.pem", paserk_public(pub(SITE_SEED)) + "\n", "a k4.public PASERK where a PEM public key belongs", NO_BLOCK)
bad_public("two_blocks_same_key.public.pem", SITE_PUBLIC_PEM + SITE_PUBLIC_PEM, "the same key twice", "holds more than one PEM block")
bad_public("two_blocks_second_key_differs.public.pem", SITE_PUBLIC_PEM + OTHER_PUBLIC_PEM, "the site's key, then another one a reader might take", "holds more than one PEM block")
bad_public("two_blocks_rsa_first.public.pem", public_pem(RSA) + SITE_PUBLIC_PEM, "an RSA key, then the site's key", "holds more than one PEM block")
bad_public("base64_garbage.public.pem", "\n".join([site_lines[0], site_lines[1][:10] + "!" + site_lines[1][11:], site_lines[2]]) + "\n", "a character outside base64", BAD_BASE64)
bad_public("base64_missing_padding.public.pem", "\n".join([site_lines[0], site_lines[1].rstrip("="), site_lines[2]]) + "\n", "the base64 without its padding", BAD_BASE64)
bad_public("base64_padding_in_middle.public.pem", "\n".join([site_lines[0], site_lines[1][:8] + "=" + site_lines[1][9:], site_lines[2]]) + "\n", "a = inside the base64", BAD_BASE64)
bad_public("base64url_alphabet.public.pem", pem(spki(pub(URL_ALPHABET_SEED)), "PUBLIC KEY").replace("+", "-").replace("/", "_"),
           "the base64url alphabet (- and _) where PEM uses + and /", BAD_BASE64)
bad_public("space_inside_base64.public.pem", "\n".join([site_lines[0], site_lines[1][:10] + " " + site_lines[1][10:], site_lines[2]]) + "\n", "a space inside the base64", BAD_BASE64)
bad_public("nul_byte_in_base64.public.pem", "\n".join([site_lines[0], site_lines[1][:10] + "\x00" + site_lines[1][10:], site_lines[2]]) + "\n", "a NUL byte inside the base64", BAD_BASE64)
bad_public("label_certificate.public.pem", SITE_PUBLIC_PEM.replace("PUBLIC KEY", "CERTIFICATE"), "the key under a CERTIFICATE label",
           'holds a "CERTIFICATE" PEM block where a "PUBLIC KEY" one belongs')
bad_public("label_lowercase.public.pem", SITE_PUBLIC_PEM.replace("PUBLIC KEY", "public key"), "the label in lowercase",
           'holds a "public key" PEM block where a "PUBLIC KEY" one belongs')
bad_public("label_ed25519_public_key.public.pem", SITE_PUBLIC_PEM.replace("PUBLIC KEY", "ED25519 PUBLIC KEY"), "a made-up ED25519 PUBLIC KEY label",
           'holds a "ED25519 PUBLIC KEY" PEM block where a "PUBLIC KEY" one belongs')
bad_public("begin_end_labels_differ.public.pem", SITE_PUBLIC_PEM.replace("END PUBLIC KEY", "END PRIVATE KEY"), "BEGIN PUBLIC KEY closed by END PRIVATE KEY", NO_BLOCK)
bad_public("no_end_line.public.pem", "\n".join(site_lines[:2]) + "\n", "the END line is missing", NO_BLOCK)
bad_public("empty.public.pem", "", "an empty file", NO_BLOCK)
bad_public("utf16_encoded.public.pem", ("\ufeff" + SITE_PUBLIC_PEM).encode("utf-16-le"), "the key saved as UTF-16", NO_BLOCK)
bad_public("spki_key_31_bytes.public.pem", pem(bytes([0x30, 0x29]) + SPKI_PREFIX[2:10] + bytes([0x20, 0x00]) + pub(SITE_SEED)[:31], "PUBLIC KEY"), "an SPKI holding 31 key bytes", NOT_ED25519)
bad_public("spki_trailing_der_byte.public.pem", pem(spki(pub(SITE_SEED)) + b"\x00", "PUBLIC KEY"), "a byte after the SPKI", NOT_ED25519)
add(P, "small_order_identity.public.pem", pem(spki(SMALL_ORDER_IDENTITY), "PUBLIC KEY"),
    "the identity point, and a token anyone can make for it: the signature (R = identity, S = 0) verifies for every message",
    exit=11, reason="bad_signature", error="signature", token=forged_token(SMALL_ORDER_IDENTITY))
add(P, "small_order_zero.public.pem", pem(spki(SMALL_ORDER_ZERO), "PUBLIC KEY"), "a point of order 4 (32 zero bytes), and a token made for it",
    exit=11, reason="bad_signature", error="signature", token=forged_token(SMALL_ORDER_ZERO))
add(P, "oversized_20mb.public.pem", None, "20 MiB: the key, then text", exit=2, reason="error", error="cannot load the keys folder: cannot read keys/main.public.pem: too large",
    generate=dict(head=SITE_PUBLIC_PEM, repeat="explanatory text\n", bytes=20 << 20, tail=""))

def imported(name, content, defect, error=None, exit=2, output=None):
    expect = dict(run="import", exit=exit)
    if error: expect["error"] = name + ": " + error
    if output: expect["output"] = output
    add(P, name, content, defect, **expect)
NOT_PUBLIC = "not an Ed25519 public key (SPKI PEM or k4.public)"
SITE_PAS = paserk_public(pub(SITE_SEED))
imported("accepted_k4_public.paserk", SITE_PAS + "\n", "control: a k4.public", exit=0, output=f"imported public key imported ({pid(SITE_SEED)})")
imported("accepted_k4_public_crlf_and_bom.paserk", (BOM + SITE_PAS + "\r\n").encode(), "a k4.public after a byte order mark, with CRLF", exit=0, output=f"imported public key imported ({pid(SITE_SEED)})")
imported("k3_public.paserk", "k3.public." + b64url(bytes([2]) + hashlib.sha384(b"p384").digest()) + "\n", "a version 3 (P-384) public key",
         "a k3.public PASERK is not an Ed25519 key for v4.public tokens")
imported("k4_local.paserk", "k4.local." + b64url(hashlib.sha256(b"local").digest()) + "\n", "a k4.local symmetric key", "a k4.local PASERK is not an Ed25519 key")
imported("k4_pid.paserk", pid(SITE_SEED) + "\n", "a key id instead of a key", "a k4.pid PASERK is not an Ed25519 key")
imported("k4_public_31_bytes.paserk", paserk_public(pub(SITE_SEED)[:31]) + "\n", "a k4.public of 31 bytes", NOT_PUBLIC)
imported("k4_public_33_bytes.paserk", paserk_public(pub(SITE_SEED) + b"\x00") + "\n", "a k4.public of 33 bytes", NOT_PUBLIC)
imported("k4_public_padded.paserk", SITE_PAS + "=\n", "a k4.public with base64 padding", NOT_PUBLIC)
imported("k4_public_standard_base64.paserk", paserk_public(pub(URL_ALPHABET_SEED)).replace("-", "+").replace("_", "/") + "\n", "a k4.public in the + / alphabet", NOT_PUBLIC)
imported("k4_public_uppercase_prefix.paserk", "K4.PUBLIC." + SITE_PAS[10:] + "\n", "the prefix in capitals", "no key found")
imported("k4_public_small_order.paserk", paserk_public(SMALL_ORDER_IDENTITY) + "\n", "the identity point as a k4.public: it reads (the official PASERK vectors hold such keys), but nothing verifies under it, as small_order_identity.public.pem shows",
         exit=0, output="imported public key imported")
imported("k4_public_then_text.paserk", SITE_PAS + " trusted since 2026\n", "a k4.public, then words on the same line", "holds more than one key or word")
imported("k4_public_then_k4_secret.paserk", SITE_PAS + "\n" + paserk_secret(OTHER_SEED) + "\n", "a k4.public, then a k4.secret that was silently dropped", "holds more than one key or word")
imported("rsa_2048_import.public.pem", public_pem(RSA), "an RSA public key", NOT_PUBLIC)
imported("ec_private_key_import.pem", private_pem(EC, serialization.PrivateFormat.TraditionalOpenSSL), "an EC PRIVATE KEY (SEC1)", 'holds a "EC PRIVATE KEY" PEM block')
add(P, "oversized_20mb_import.paserk", None, "20 MiB given to keys import", run="import", exit=2, error="cannot read oversized_20mb_import.paserk: too large",
    generate=dict(head=SITE_PAS + "\n", repeat=" ", bytes=20 << 20, tail=""))

# ---------------------------------------------------------------------------------------------
# secret-key: the file is keys/main.secret.pem beside the site's keys/main.public.pem, and
# `tessera mint` signs with it; a file that is read right mints a token the site's key verifies.
S = "secret-key"
SEC = "keys/main.secret.pem"
def bad_secret(name, content, defect, error, **more):
    add(S, name, content, defect, exit=2, error=SEC + error, **more)
NOT_PKCS8 = ": holds no valid Ed25519 key (RSA, EC, X25519 and Ed448 keys cannot sign v4.public tokens); expected PKCS#8"
sec_lines = SITE_SECRET_PEM.splitlines()

add(S, "accepted_mode_0600.secret.pem", SITE_SECRET_PEM, "control: the site's key, mode 0600", exit=0, output='"token":"v4.public.')
add(S, "accepted_mode_0400.secret.pem", SITE_SECRET_PEM, "read-only for its owner", exit=0, mode="0400", output='"token":"v4.public.')
add(S, "accepted_crlf_line_ends.secret.pem", SITE_SECRET_PEM.replace("\n", "\r\n"), "CRLF line ends", exit=0, output='"token":"v4.public.')
add(S, "accepted_pkcs8_v2_with_public_key.secret.pem", pem(pkcs8_v2(SITE_SEED, pub(SITE_SEED)), "PRIVATE KEY"), "PKCS#8 v2 (OneAsymmetricKey) with its public key", exit=0, output='"token":"v4.public.')
add(S, "accepted_openssl_text_after_block.secret.pem", SITE_SECRET_PEM + openssl_text(SITE_SEED, "Private"), "what openssl pkey -text writes: the block, then a description", exit=0, output='"token":"v4.public.')

for mode, who in (("0640", "group-readable"), ("0644", "world-readable"), ("0604", "readable by others"), ("0620", "group-writable")):
    bad_secret(f"mode_{mode}_{who.replace('-', '_').replace(' ', '_')}.secret.pem", SITE_SECRET_PEM, f"a secret key file that is {who}",
               f" is open to group or others (mode {mode[1:]}): refusing", mode=mode)
bad_secret("public_key_in_secret_file.secret.pem", SITE_PUBLIC_PEM, "the public key where the secret one belongs", ': holds a "PUBLIC KEY" PEM block where a "PRIVATE KEY" one belongs')
bad_secret("ec_private_key_sec1.secret.pem", private_pem(EC, serialization.PrivateFormat.TraditionalOpenSSL), "an EC key in SEC1 form", ': holds a "EC PRIVATE KEY" PEM block')
bad_secret("rsa_2048.secret.pem", private_pem(RSA), "an RSA key in PKCS#8", NOT_PKCS8)
bad_secret("x25519.secret.pem", private_pem(X25519), "an X25519 key: PKCS#8 of the same length, another algorithm", NOT_PKCS8)
bad_secret("ed448.secret.pem", private_pem(ED448), "an Ed448 key", NOT_PKCS8)
bad_secret("encrypted_pkcs8.secret.pem", private_pem(ed25519.Ed25519PrivateKey.from_private_bytes(SITE_SEED), encryption=serialization.BestAvailableEncryption(b"password")),
           "a password-protected key", ': holds a "ENCRYPTED PRIVATE KEY" PEM block where a "PRIVATE KEY" one belongs')
bad_secret("pkcs8_v2_public_half_mismatch.secret.pem", pem(pkcs8_v2(SITE_SEED, pub(OTHER_SEED)), "PRIVATE KEY"),
           "PKCS#8 v2 whose public key is not the seed's", ": the public half does not match the secret seed")
bad_secret("public_file_of_another_key.secret.pem", SITE_SECRET_PEM, "the site's secret beside another key's public file: its tokens would not verify",
           f": its public half is not the key in keys/main.public.pem ({pid(OTHER_SEED)})", public="other")
bad_secret("two_blocks.secret.pem", SITE_SECRET_PEM + OTHER_SECRET_PEM, "two secret keys in one file", ": holds more than one PEM block")
bad_secret("k4_secret_in_pem_file.secret.pem", paserk_secret(SITE_SEED) + "\n", "a k4.secret PASERK where PEM belongs", ": holds no PEM block (-----BEGIN PRIVATE KEY-----")
bad_secret("seed_31_bytes.secret.pem", pem(bytes.fromhex("302d020100300506032b6570042104 1f".replace(" ", "")) + SITE_SEED[:31], "PRIVATE KEY"), "a seed of 31 bytes", NOT_PKCS8)
bad_secret("pkcs8_trailing_der_byte.secret.pem", pem(pkcs8(SITE_SEED) + b"\x00", "PRIVATE KEY"), "a byte after the PKCS#8", NOT_PKCS8)
bad_secret("base64_garbage.secret.pem", "\n".join([sec_lines[0], sec_lines[1][:10] + "*" + sec_lines[1][11:], sec_lines[2]]) + "\n", "a character outside base64", ": holds a PEM block that is not valid base64")
bad_secret("empty.secret.pem", "", "an empty file", ": holds no PEM block")
add(S, "oversized_20mb.secret.pem", None, "20 MiB: the key, then text", exit=2, error="cannot read keys/main.secret.pem: too large",
    generate=dict(head=SITE_SECRET_PEM, repeat="explanatory text\n", bytes=20 << 20, tail=""))

def imported_secret(name, content, defect, error=None, exit=2, output=None):
    expect = dict(run="import", exit=exit)
    if error: expect["error"] = name + ": " + error
    if output: expect["output"] = output
    add(S, name, content, defect, **expect)
imported_secret("accepted_k4_secret.paserk", paserk_secret(SITE_SEED) + "\n", "control: a k4.secret", exit=0, output=f"imported secret key imported ({pid(SITE_SEED)})")
imported_secret("accepted_openssl_genpkey.pem", SITE_SECRET_PEM, "control: PKCS#8 as openssl genpkey writes it", exit=0, output=f"imported secret key imported ({pid(SITE_SEED)})")
imported_secret("k4_secret_public_half_mismatch.paserk", paserk_secret(SITE_SEED, pub(OTHER_SEED)) + "\n", "a k4.secret whose public half is another key's: signing with it can leak the seed",
                "the public half of this secret key does not match its seed")
imported_secret("k4_secret_63_bytes.paserk", "k4.secret." + b64url((SITE_SEED + pub(SITE_SEED))[:63]) + "\n", "a k4.secret of 63 bytes", "not an Ed25519 secret key (PKCS#8 PEM or k4.secret)")
imported_secret("k4_secret_then_text.paserk", paserk_secret(SITE_SEED) + " # main key\n", "a k4.secret, then a comment", "holds more than one key or word")
imported_secret("k3_secret.paserk", "k3.secret." + b64url(hashlib.sha384(b"p384").digest()) + "\n", "a version 3 (P-384) secret key", "a k3.secret PASERK is not an Ed25519 key")
imported_secret("pkcs8_v2_public_half_mismatch_import.pem", pem(pkcs8_v2(SITE_SEED, pub(OTHER_SEED)), "PRIVATE KEY"), "PKCS#8 v2 whose public key is not the seed's",
                "the public half of this secret key does not match its seed")

# ---------------------------------------------------------------------------------------------
# settings: tessera.toml for `tessera mint --project hostile --role r` and for `tessera-verify check`.
# Files meant to be accepted say roles = ["viewer"] and audience = "gw.example.org", so that mint
# refusing role r and check refusing a token for no audience show the file was read, not skipped.
T = "settings"
READ = 'roles = ["viewer"]\naudience = "gw.example.org"\n'
READ_MINT = "--role: r is not one of the roles in tessera.toml: viewer"
READ_CHECK = dict(exit=14, reason="not_for_audience", error="is for no audience, not gw.example.org")
def accepted(name, content, defect):
    add(T, name, content, defect, exit=2, error=READ_MINT, check=READ_CHECK)
def bad(name, content, defect, error, **more):
    add(T, name, content, defect, exit=2, error=error, **more)

accepted("accepted_plain.toml", "# site settings\n" + READ, "control: roles and audience, read")
accepted("accepted_crlf_line_ends.toml", ("# site settings\n" + READ).replace("\n", "\r\n"), "CRLF line ends; the first line a comment, which once swallowed the whole file")
accepted("accepted_bom_at_start.toml", BOM + READ, "a UTF-8 byte order mark starts the file (allowed by TOML)")
accepted("accepted_table_header_with_spaces.toml", READ + "[ gateway ]\nlisten = \"127.0.0.1:9000\"\n", "spaces inside a table header's brackets, as TOML allows")
accepted("accepted_literal_strings_and_escapes.toml", "roles = ['viewer']\naudience = \"gw.example\\u002Eorg\"\n", "a literal string, and a \\u escape")
add(T, "accepted_join_url_without_placeholders.toml", 'join_url = "https://gw.example.org/join"\n', "join_url without {project} or {jti}: the token is posted, so none is needed", exit=0, output="minted 1 invitation", check=dict(exit=0, reason="granted"))

def line(n): return f"tessera.toml:{n}: "
bad("unknown_key.toml", "# site\ncolour = \"red\"\n", "an unknown key", line(2) + "unknown key colour; known:")
bad("signup_as_string.toml", "signup = \"no\"\n", "signup as a string, which must not read as on or off", line(1) + "signup must be true or false")
bad("default_member_for_not_a_span.toml", "default_member_for = \"a week\"\n", "default_member_for that is no span", line(1) + "default_member_for must be a length of time")
bad("default_member_for_zero.toml", "default_member_for = \"0d\"\n", "a membership that ends when it starts", line(1) + "default_member_for must be a length of time")
bad("unknown_key_in_gateway.toml", "[gateway]\nport = \"80\"\n", "an unknown key in [gateway]", line(2) + "unknown key port in [gateway]")
bad("unknown_table.toml", "[server]\nlisten = \"x\"\n", "an unknown table", line(1) + "unknown table [server]; known: [gateway]")
bad("duplicate_key.toml", "issuer = \"a\"\n\nissuer = \"b\"\n", "a key set twice", line(3) + "issuer is set twice")
bad("duplicate_table.toml", "[gateway]\nlisten = \"a\"\n[gateway]\n", "a table opened twice", line(3) + "table [gateway] appears twice")
bad("array_of_tables.toml", "[[gateway]]\nlisten = \"a\"\n", "an array of tables", line(1) + "arrays of tables ([[name]]) are not supported")
bad("nested_table_header.toml", "[gateway.extra]\n", "a dotted table name", line(1) + "dotted keys and table names (a.b) are not supported")
bad("dotted_key.toml", "gateway.listen = \"127.0.0.1:9000\"\n", "a dotted key", line(1) + "dotted keys and table names (a.b) are not supported")
bad("quoted_key.toml", "\"issuer\" = \"x\"\n", "a quoted key", line(1) + "quoted keys are not supported")
bad("inline_table.toml", "gateway = { listen = \"x\" }\n", "an inline table", line(1) + "inline tables ({ … }) are not supported")
bad("deeply_nested_inline_tables.toml", "issuer = " + "{a = " * 2000 + "1" + "}" * 2000 + "\n", "2,000 nested inline tables", line(1) + "inline tables ({ … }) are not supported")
bad("deeply_nested_arrays.toml", "roles = " + "[" * 10000 + "]" * 10000 + "\n", "10,000 nested arrays", line(1) + "arrays hold strings only")
bad("bad_string_escape.toml", "issuer = \"a\\qb\"\n", "an unknown escape", line(1) + "unknown escape \\q")
bad("unicode_escape_surrogate.toml", "issuer = \"\\uD800\"\n", "a \\u escape of a lone surrogate", line(1) + "invalid \\u escape")
bad("unicode_escape_short.toml", "issuer = \"\\u12\"\n", "a \\u escape with two digits", line(1) + "invalid \\u escape")
accepted("accepted_unicode_escape_long_form.toml", "roles = ['viewer']\naudience = \"gw.example\\U0000002Eorg\"\n", "the 8-digit \\U escape of TOML, once refused as an unknown escape")
bad("unicode_escape_long_form_beyond_unicode.toml", "issuer = \"\\U00110000\"\n", "a \\U escape past U+10FFFF", line(1) + "invalid \\U escape (\\U takes exactly 8 hex digits")
bad("unicode_escape_long_form_surrogate.toml", "issuer = \"\\U0000D800\"\n", "a \\U escape of a lone surrogate", line(1) + "invalid \\U escape")
bad("unicode_escape_long_form_five_digits.toml", "issuer = \"\\U1F600\"\n", "a \\U escape with five digits, which would swallow the text after it", line(1) + "invalid \\U escape")
bad("unterminated_string.toml", "issuer = \"abc\n", "a string not closed on its line", line(1) + "the string is not closed")
bad("unterminated_literal_string.toml", "issuer = 'abc\n", "a literal string not closed", line(1) + "the string is not closed")
bad("multiline_basic_string.toml", "issuer = \"\"\"Example\nLab\"\"\"\n", "a multi-line string", line(1) + "multi-line strings are not supported")
bad("multiline_literal_string.toml", "issuer = '''Example Lab'''\n", "a multi-line literal string", line(1) + "multi-line strings are not supported")
bad("multiline_array.toml", "roles = [\n  \"viewer\",\n]\n", "an array over several lines", line(1) + "an array must end on the line where it starts")
bad("nested_array.toml", "roles = [[\"viewer\"]]\n", "an array in an array", line(1) + "arrays hold strings only")
bad("array_of_integers.toml", "roles = [1, 2]\n", "an array of numbers", line(1) + "arrays hold strings only")
bad("wrong_type_roles_string.toml", "roles = \"viewer\"\n", "roles as a string", line(1) + "roles must be a list of strings")
bad("wrong_type_issuer_integer.toml", "issuer = 42\n", "issuer as a number", line(1) + "issuer must be a \"string\"")
bad("wrong_type_base_url_boolean.toml", "base_url = true\n", "base_url as a boolean", line(1) + "base_url must be a \"string\"")
bad("slides_as_string.toml", "# speaker's kit\nslides = \"yes\"\n", "slides as a string instead of true or false", line(2) + "slides must be true or false")
bad("short_links_as_integer.toml", "short_links = 1\n", "short_links as a number", line(1) + "short_links must be true or false")
bad("base_url_ftp.toml", "base_url = \"ftp://invites.example.org/\"\n", "base_url with another scheme", line(1) + "base_url must start with https:// or http://")
bad("base_url_javascript.toml", "base_url = \"javascript:alert(1)\"\n", "base_url as a javascript: URL", line(1) + "base_url must start with https:// or http://")
bad("base_url_no_host.toml", "base_url = \"https://\"\n", "base_url without a host", line(1) + "base_url must be an address with a host")
bad("base_url_with_space.toml", "base_url = \"https://invites.example.org/my site/\"\n", "base_url with a space", line(1) + "base_url must be an address with a host")
bad("base_url_with_user_name.toml", "base_url = \"https://admin@invites.example.org/\"\n", "base_url with a user name", line(1) + "base_url must be an address with a host")
# Issue 12, review F8: page addresses with a query or fragment, or a placeholder that is never filled.
bad("base_url_with_query_string.toml", "# site\nbase_url = \"https://invites.example.org/?lang=en\"\n", "base_url with a query string: pages would be at …/?lang=en/i/<id>/",
    line(2) + "base_url must not hold a query string (?…)")
bad("base_url_with_fragment.toml", "base_url = \"https://invites.example.org/#top\"\n", "base_url with a fragment: browsers never send what follows #",
    line(1) + "base_url must not hold a fragment (#…)")
bad("join_url_with_query_string.toml", "join_url = \"https://gw.example.org/join?site=a\"\n", "join_url with a query string", line(1) + "join_url must not hold a query string (?…)")
bad("join_url_with_fragment.toml", "join_url = \"https://gw.example.org/join#form\"\n", "join_url with a fragment", line(1) + "join_url must not hold a fragment (#…)")
bad("base_url_unknown_placeholder.toml", "roles = [\"viewer\"]\nbase_url = \"https://{id}.invites.example.org/\"\n", "base_url with {id}, which nothing fills: written raw into every page",
    line(2) + "base_url holds the unknown placeholder \"{id}\"; only {project} and {jti} are filled in")
bad("join_url_unknown_placeholder.toml", "join_url = \"https://gw.example.org/join/{Project}\"\n", "join_url with {Project} (placeholders are case-sensitive)",
    line(1) + "join_url holds the unknown placeholder \"{Project}\"")
bad("join_url_lone_brace.toml", "join_url = \"https://gw.example.org/join/{project\"\n", "join_url with a placeholder not closed", line(1) + "join_url holds the unknown placeholder \"{project\"")
bad("gateway_redirect_unknown_placeholder.toml", "[gateway]\nredirect = \"https://app.example.org/projects/{id}/\"\n", "[gateway] redirect with {id}, which nothing fills: sent raw in every 303",
    line(2) + "[gateway] redirect holds the unknown placeholder \"{id}\"; only {project} and {jti} are filled in")
bad("join_url_no_host.toml", "join_url = \"http:///join\"\n", "join_url without a host", line(1) + "join_url must be an address with a host")
bad("issuer_257_bytes.toml", "issuer = \"" + "i" * 257 + "\"\n", "an issuer longer than any token claim may be", line(1) + "issuer must be 1-256 bytes without control characters")
bad("audience_escape_character.toml", "audience = \"gw\\u001b[2J\"\n", "an audience holding ESC by a \\u escape", line(1) + "audience must be 1-256 bytes without control characters")
bad("issuer_empty.toml", "issuer = \"\"\n", "an empty issuer", line(1) + "issuer must be 1-256 bytes")
bad("role_invalid_name.toml", "roles = [\"viewer\", \"a/b\"]\n", "a role with a slash", line(1) + "role \"a/b\" is not a valid name")
bad("default_role_not_in_roles.toml", "roles = [\"viewer\"]\ndefault_role = \"admin\"\n", "default_role outside roles", line(2) + "default_role admin is not in roles")
bad("nul_in_string.toml", b"issuer = \"a\x00b\"\n", "a NUL byte inside a string", line(1) + "control character in a string")
bad("nul_after_value.toml", b"# site\nissuer = \"ab\"\x00\n", "a NUL byte after a value", line(2) + "unexpected text after the value")
bad("del_in_string.toml", b"issuer = \"a\x7fb\"\n", "a DEL character inside a string (TOML forbids it)", line(1) + "control character in a string")
bad("escape_character_in_string.toml", b"issuer = \"\x1b[2Jx\"\n", "a raw ESC inside a string", line(1) + "control character in a string")
bad("invalid_utf8_in_string.toml", b"# site\nroles = [\"viewer\"]\nissuer = \"caf\xe9\"\n", "invalid UTF-8 on line 3", line(3) + "not valid UTF-8")
bad("invalid_utf8_in_comment.toml", b"# caf\xe9\nissuer = \"x\"\n", "invalid UTF-8 in a comment: TOML wants the whole file UTF-8", line(1) + "not valid UTF-8")
bad("utf16_encoded.toml", ("\ufeff" + READ).encode("utf-16-le"), "the file saved as UTF-16", line(1) + "not valid UTF-8")
bad("bom_in_middle.toml", (READ + BOM + "issuer = \"x\"\n").encode(), "a byte order mark at the start of line 3", line(3) + "expected a key such as base_url")
bad("lone_cr_line_ends.toml", b"issuer = \"x\"\rroles = [\"viewer\"]\r", "lone CR line ends (old Mac): one line", line(1) + "unexpected text after the value")
bad("integer_too_large.toml", "[gateway]\nmax_header_bytes = 99999999999999999999\n", "a number beyond 64 bits", line(2) + "99999999999999999999 is not a whole number")
bad("float_value.toml", "[gateway]\nmax_header_bytes = 16384.5\n", "a float", line(2) + "unexpected text after the value")
bad("hex_integer.toml", "[gateway]\nmax_header_bytes = 0x4000\n", "a hexadecimal number", line(2) + "unexpected text after the value")
bad("plus_sign_integer.toml", "[gateway]\nmax_header_bytes = +16384\n", "a number with a plus sign", line(2) + "a value must be a \"string\", a number, true, false or [\"a\", \"b\"]")
bad("date_value.toml", "default_expiry = 2026-12-01\n", "a TOML date", line(1) + "unexpected text after the value")
bad("bare_word_value.toml", "issuer = Example\n", "a value without quotes", line(1) + "a value must be a \"string\"")
bad("missing_value.toml", "issuer =\n", "a key without a value", line(1) + "a value must be a \"string\"")
bad("missing_equals.toml", "issuer \"x\"\n", "a key without =", line(1) + "expected '='")
bad("empty_key.toml", "= \"x\"\n", "a value without a key", line(1) + "expected a key such as base_url")
bad("key_with_space.toml", "base url = \"https://invites.example.org/\"\n", "a key with a space", line(1) + "expected '='")
bad("text_after_value.toml", "issuer = \"x\" trailing\n", "text after the value", line(1) + "unexpected text after the value")
bad("text_after_table_header.toml", "[gateway] listen = \"x\"\n", "a key on the table header's line", line(1) + "unexpected text after [gateway]")
# Issue 12: strict \u escapes, values checked after parsing named by line and cut, bidi controls, email_from.
bad("unicode_escape_plus_sign.toml", "issuer = \"\\u+041\"\n", "a \\u escape with a sign, which a lenient hex parser reads as \"A\"", line(1) + "invalid \\u escape")
bad("unicode_escape_spaces.toml", "issuer = \"\\u 41x\"\n", "a \\u escape with a space among its digits", line(1) + "invalid \\u escape")
bad("default_expiry_not_a_span.toml", "# site\ndefault_expiry = \"2 weeks\"\n", "a default_expiry that is no span: once reported without its line",
    line(2) + "default_expiry \"2 weeks\" is not a span, a time or 'never'")
add(T, "default_expiry_500kb.toml", None, "a default_expiry of 500 KB: once echoed whole in the error", exit=2,
    error=line(1) + "default_expiry \"" + "x" * 80 + "…\"", generate=dict(head="default_expiry = \"", repeat="x", bytes=500_000, tail="\"\n"))
bad("ledger_not_a_location.toml", "roles = [\"viewer\"]\nledger = \"mysql://db.example.org/tessera\"\n", "a ledger that is no location: once reported without its line",
    line(2) + "ledger \"mysql://db.example.org/tessera\" is not sqlite:PATH, postgres://… or postgresql://…")
bad("role_name_600_bytes.toml", "roles = [\"" + "r" * 600 + "/\"]\n", "a 600-byte role name: echoed whole once", line(1) + "role \"" + "r" * 80 + "…\" (601 bytes) is not a valid name")
bad("issuer_bidi_override.toml", "issuer = \"Lab \\u202Egro.live\"\n", "an issuer with a right-to-left override: it would show as other text on pages and in mail",
    line(1) + "issuer holds a bidirectional control character")
bad("audience_bidi_isolate.toml", "audience = \"gw\\u2066.example.org\"\n", "an audience with a directional isolate", line(1) + "audience holds a bidirectional control character")
bad("email_from_with_display_name.toml", "email_from = \"Lab <invites@example.org>\"\n", "email_from with a display name: the name is issuer's, and this would make From: two mailboxes",
    line(1) + "email_from \"Lab <invites@example.org>\" is not one plain address")
bad("email_from_header_injection.toml", "email_from = \"a@example.org\\r\\nBcc: x@example.org\"\n", "email_from with a line break: a header injection",
    line(1) + "email_from \"a@example.org")
add(T, "very_long_line.toml", None, "a value of 900,000 characters on one line", exit=2, error=line(1) + "issuer must be 1-256 bytes",
    generate=dict(head="issuer = \"", repeat="i", bytes=900_000, tail="\"\n"))
add(T, "accepted_very_long_comment.toml", None, "a comment of 900,000 characters, then the settings", exit=2, error=READ_MINT, check=READ_CHECK,
    generate=dict(head="# ", repeat="c", bytes=900_000, tail="\n" + READ))
add(T, "oversized_20mb.toml", None, "20 MiB of comments", exit=2, error="cannot read tessera.toml: too large",
    generate=dict(head="", repeat="# a comment line to fill the file up with text\n", bytes=20 << 20, tail=""))


def write():
    for kind, files in kinds.items():
        folder = os.path.join(HERE, kind)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        manifest = {}
        for name, (content, expect) in sorted(files.items()):
            if content is not None:
                data = content.encode() if isinstance(content, str) else content
                assert len(data) < 100_000, name
                with open(os.path.join(folder, name), "wb") as f:
                    f.write(data)
            manifest[name] = expect
        with open(os.path.join(folder, "manifest.json"), "w") as f:
            json.dump(manifest, f, indent=1, ensure_ascii=False)
            f.write("\n")
    # The site's signing key, and the public key of another, for the files that need their bytes.
    with open(os.path.join(HERE, "site.secret.pem"), "w") as f:
        f.write(SITE_SECRET_PEM)
    with open(os.path.join(HERE, "other.public.pem"), "w") as f:
        f.write(OTHER_PUBLIC_PEM)
    print(", ".join(f"{kind}: {len(files)}" for kind, files in kinds.items()))

write()
