/// The built-in Mustache templates; a site overrides any of them with `templates/<name>.mustache`.
///
/// Every value from claims is inserted with `{{…}}`, which HTML-escapes it; only markup
/// Tessera builds itself (the QR code's SVG) is inserted raw with `{{{…}}}`.
enum DefaultTemplates {
    static let all: [String: String] = [
        "invitation": invitation,
        "invalid": invalid,
        "index": index,
        "listing": listing,
        "short": short,
        "email-text": emailText,
        "email-html": emailHTML,
    ]

    static let style = """
        :root{color-scheme:light}*{box-sizing:border-box}\
        body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#f4f4f2}\
        main{max-width:34rem;margin:0 auto;padding:1.5rem 1rem 3rem}\
        .card{background:#fff;border:1px solid #d6d6d1;border-radius:12px;padding:1.25rem 1.25rem 1.5rem}\
        h1{font-size:1.5rem;line-height:1.25;margin:0 0 .25rem}p.label{margin:0 0 1rem;color:#404040}\
        dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0 0 1.25rem}dt{color:#595959}dd{margin:0;word-break:break-word}\
        .join{display:block;width:100%;font:inherit;font-weight:600;font-size:1.125rem;padding:.8rem 1rem;border:0;border-radius:8px;background:#0b57d0;color:#fff;cursor:pointer}\
        .join:focus-visible,button:focus-visible,input:focus-visible,textarea:focus-visible{outline:3px solid #f9ab00;outline-offset:2px}\
        .qr{display:block;width:min(100%,18rem);height:auto;margin:1.25rem auto;border:1px solid #d6d6d1}\
        label{display:block;font-weight:600;margin:1rem 0 .25rem}\
        input[type=text],textarea{width:100%;font:14px/1.4 ui-monospace,Menlo,Consolas,monospace;padding:.5rem;border:1px solid #8a8a85;border-radius:6px;background:#fafaf8;color:#1a1a1a}\
        textarea{height:6.5rem;resize:vertical}.copy{display:none;margin-top:.35rem;font:inherit;padding:.35rem .8rem;border:1px solid #0b57d0;border-radius:6px;background:#fff;color:#0b57d0;cursor:pointer}\
        .js .copy{display:inline-block}.note{color:#595959;font-size:.875rem}.gone{border-left:6px solid #b3261e}\
        .short{font-size:1.125rem;margin:0 0 1rem}.short a{font-family:ui-monospace,Menlo,Consolas,monospace;color:#0b57d0}.printlink{display:none}\
        @media print{@page{margin:15mm}:root,body{background:#fff}body{font-size:14pt}main{max-width:none;padding:0}\
        .card{border:0;border-radius:0;padding:0;background:none}h1,p.label{text-align:center}h1{font-size:26pt}p.label{font-size:18pt}\
        form,dl,label,input,textarea,button,.copy,.note,.short,script{display:none!important}\
        .qr{width:110mm;max-width:100%;border:0;margin:8mm auto}\
        .printlink{display:block;text-align:center;font:18pt/1.3 ui-monospace,Menlo,Consolas,monospace;word-break:break-all;margin:0}}
        """

    static let copyScript = """
        document.documentElement.className='js';\
        document.addEventListener('click',function(e){var b=e.target.closest('button.copy');if(!b)return;\
        var f=document.getElementById(b.getAttribute('data-for'));f.select();\
        (navigator.clipboard?navigator.clipboard.writeText(f.value):Promise.reject()).catch(function(){document.execCommand('copy')});\
        b.textContent='Copied';setTimeout(function(){b.textContent=b.getAttribute('data-label')},1500)});
        """

    static let head = """
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="robots" content="noindex, nofollow, noarchive">
        <meta name="referrer" content="strict-origin">
        <meta http-equiv="Content-Security-Policy" content="{{csp}}">
        <style>{{{style}}}</style>
        """

    /// Selects the fast escaper; a site's own templates get swift-mustache's default HTML escaping.
    static let html = "{{% CONTENT_TYPE: \(HTMLEscaping.name) }}"

    static let invitation = """
        \(html)<!doctype html>
        <html lang="en">
        <head>
        \(head)
        <title>Invitation to {{project}}</title>
        </head>
        <body>
        <main>
        <div class="card">
        <h1>You are invited to {{project}}</h1>
        {{#label}}<p class="label" dir="auto"><bdi>{{label}}</bdi></p>{{/label}}
        <dl>
        <dt>Role</dt><dd>{{role}}</dd>
        <dt>For</dt><dd><bdi>{{audienceText}}</bdi></dd>
        {{#usesText}}<dt>Uses</dt><dd>{{usesText}}</dd>{{/usesText}}
        {{#memberForText}}<dt>Membership</dt><dd>{{memberForText}}</dd>{{/memberForText}}
        {{#notBefore}}<dt>Valid from</dt><dd><time datetime="{{notBeforeISO}}">{{notBefore}}</time></dd>{{/notBefore}}
        <dt>Expires</dt><dd>{{#expires}}<time datetime="{{expiresISO}}">{{expires}}</time>{{/expires}}{{^expires}}never{{/expires}}</dd>
        </dl>
        {{#joinURL}}
        <form method="post" action="{{joinURL}}">
        <input type="hidden" name="token" value="{{token}}">
        <button class="join" type="submit">Join {{project}}</button>
        </form>
        {{/joinURL}}
        {{^joinURL}}<p class="note">Give the token below to the service you are joining.</p>{{/joinURL}}
        {{#shortURL}}<p class="short">Short link: <a href="{{shortURL}}">{{shortLink}}</a></p>{{/shortURL}}
        {{#qrSVG}}{{{qrSVG}}}{{/qrSVG}}
        {{#printLink}}<p class="printlink">{{printLink}}</p>{{/printLink}}
        {{#pageURL}}
        <label for="link">Link to this invitation</label>
        <input id="link" type="text" readonly value="{{pageURL}}">
        <button class="copy" type="button" data-for="link" data-label="Copy link">Copy link</button>
        {{/pageURL}}
        <label for="token">Invitation token</label>
        <textarea id="token" readonly spellcheck="false">{{token}}</textarea>
        <button class="copy" type="button" data-for="token" data-label="Copy token">Copy token</button>
        <p class="note">Anyone with this link or token can use the invitation{{#usesText}} until its uses run out{{/usesText}}. Invitation {{id}}.</p>
        </div>
        </main>
        <script>{{{script}}}</script>
        </body>
        </html>

        """

    static let invalid = """
        \(html)<!doctype html>
        <html lang="en">
        <head>
        \(head)
        <title>Invitation no longer valid</title>
        </head>
        <body>
        <main>
        <div class="card gone">
        <h1>This invitation is no longer valid</h1>
        <p>{{reason}}</p>
        <dl>
        <dt>Project</dt><dd>{{project}}</dd>
        {{#label}}<dt>Label</dt><dd><bdi>{{label}}</bdi></dd>{{/label}}
        </dl>
        <p class="note">Ask the person who invited you for a new link. Invitation {{id}}.</p>
        </div>
        </main>
        </body>
        </html>

        """

    static let index = """
        \(html)<!doctype html>
        <html lang="en">
        <head>
        \(head)
        <title>Invitations</title>
        </head>
        <body>
        <main><div class="card"><h1>Invitations</h1><p>Open the link you were given to see your invitation.</p></div></main>
        </body>
        </html>

        """

    static let short = """
        \(html)<!doctype html>
        <html lang="en">
        <head>
        \(head)
        <meta http-equiv="refresh" content="0; url={{pageURL}}">
        <title>Invitation</title>
        </head>
        <body>
        <main><div class="card"><h1>Invitation</h1><p><a href="{{pageURL}}">Open the invitation</a></p></div></main>
        </body>
        </html>

        """

    static let listing = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex"><title></title></head><body></body></html>

        """

    static let emailText = """
        {{% CONTENT_TYPE: TEXT }}You are invited to {{project}}{{#label}} ({{label}}){{/label}} as {{role}}.

        {{#link}}Open your invitation:
        {{link}}

        {{/link}}It expires {{#expires}}on {{expires}}{{/expires}}{{^expires}}never{{/expires}}.
        Only {{audienceText}} can accept it. Do not forward this message: the link is the invitation.

        """

    static let emailHTML = """
        \(html)<!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Invitation to {{project}}</title></head>
        <body style="font-family:sans-serif;color:#1a1a1a">
        <p>You are invited to <strong>{{project}}</strong>{{#label}} (<bdi>{{label}}</bdi>){{/label}} as <strong>{{role}}</strong>.</p>
        {{#link}}<p><a href="{{link}}" style="display:inline-block;padding:.6em 1.2em;background:#0b57d0;color:#fff;border-radius:6px;text-decoration:none">Open your invitation</a></p>
        <p style="font-size:.875em;color:#595959">Or copy this link: {{link}}</p>{{/link}}
        <p>It expires {{#expires}}on {{expires}}{{/expires}}{{^expires}}never{{/expires}}. Only <bdi>{{audienceText}}</bdi> can accept it.</p>
        </body></html>

        """
}
