import HTTPTypes
import Hummingbird
import NIOCore

/// The pages the links in the account's mail open: `/account/reset-password` (a new-password
/// form) and `/account/verify` (one button). Opening a page does nothing by itself (mail scanners
/// open links); its script reads the token from the address, takes it out of the address bar and
/// history, and posts it to ``AccountEmailRoutes`` when the user submits.
///
/// The pages are the same for every token (nothing from the request is written into them), carry
/// no inline script or style, are never cached and send no referrer (the address holds the token).
struct AccountPageRoutes {
    static let scriptPath = "/account/account.js"
    static let stylePath = "/account/account.css"

    /// Script and style from here only, requests to here only, no form posted by the browser
    /// itself (the script sends the JSON), nothing may frame the pages.
    static let pagePolicy = [
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "form-action 'none'",
        "frame-ancestors 'none'", "base-uri 'none'",
    ].joined(separator: "; ")

    func register(in routes: RouteRegistrar) {
        routes.on(.get, "/account/reset-password") { _, _ in Self.page(Self.resetPage) }
        routes.on(.get, "/account/verify") { _, _ in Self.page(Self.verifyPage) }
        routes.router.get(RouterPath(Self.scriptPath)) { _, _ in Self.file(Self.script, contentType: "text/javascript; charset=utf-8") }
        routes.router.get(RouterPath(Self.stylePath)) { _, _ in Self.file(Self.style, contentType: "text/css; charset=utf-8") }
    }

    static func page(_ html: String) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store", .contentSecurityPolicy: Self.pagePolicy,
                .referrerPolicy: "no-referrer",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }

    static func file(_ text: String, contentType: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: contentType, .cacheControl: "public, max-age=300"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    static func document(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>\(title)</title>
        <link rel="stylesheet" href="\(stylePath)">
        </head>
        <body>
        <main>
        <h1>\(title)</h1>
        \(body)
        <p id="result" role="status" hidden></p>
        </main>
        <script src="\(scriptPath)"></script>
        </body>
        </html>
        """
    }

    /// The address and code, shown when the page was opened without a link's token.
    static let codeFields = """
        <p id="by-code" hidden>Type the address and the code from the message.<br>
        <label>Email <input id="email" type="email" autocomplete="email"></label><br>
        <label>Code <input id="code" inputmode="numeric" pattern="[0-9]{8}" maxlength="8" autocomplete="one-time-code"></label></p>
        """

    static let resetPage = document(
        title: "Choose a new password",
        body: """
            <form id="reset" data-action="/api/v1/auth/reset-password">
            \(codeFields)
            <p><label>New password <input id="password" type="password" autocomplete="new-password" required></label></p>
            <p><label>Repeat it <input id="repeat" type="password" autocomplete="new-password" required></label></p>
            <p id="second-factor" hidden>Two-step sign-in guards this account: type the code your app shows, or one of your recovery codes.<br>
            <label>Code <input id="mfa-code" autocomplete="one-time-code" maxlength="14"></label></p>
            <p><button type="submit">Set the new password</button></p>
            </form>
            """
    )

    static let verifyPage = document(
        title: "Confirm your email address",
        body: """
            <form id="verify" data-action="/api/v1/auth/verify">
            \(codeFields)
            <p><button type="submit">Confirm my address</button></p>
            </form>
            """
    )

    static let script = """
        "use strict";
        (function () {
          var form = document.querySelector("form[data-action]");
          if (!form) { return; }
          // The token leaves the address bar and the history at once; it is kept here only.
          var token = new URLSearchParams(window.location.search).get("token") || "";
          if (token) { window.history.replaceState(null, "", window.location.pathname); }
          else { document.getElementById("by-code").hidden = false; }
          var result = document.getElementById("result");
          function show(text, ok) {
            result.textContent = text;
            result.className = ok ? "ok" : "error";
            result.hidden = false;
          }
          var messages = {
            RESET_PASSWORD_BAD_TOKEN: "This link or code is not valid any more. Ask for a new message.",
            VERIFY_USER_BAD_TOKEN: "This link or code is not valid any more. Ask for a new message.",
            VERIFY_USER_ALREADY_VERIFIED: "This address is already confirmed.",
            MFA_BAD_CODE: "That code is not right, or was used already. Type the next one your app shows.",
            MFA_LOCKED: "Too many wrong codes. Wait a quarter of an hour and try again."
          };
          // Six digits: the app's code; anything else: a recovery code.
          function addSecondFactor(body) {
            var field = document.getElementById("mfa-code");
            var value = field ? field.value.trim() : "";
            if (!value) { return; }
            if (/^[0-9]{6}$/.test(value)) { body.mfa_code = value; } else { body.recovery_code = value; }
          }
          form.addEventListener("submit", function (event) {
            event.preventDefault();
            var body = token ? { token: token } : {
              email: document.getElementById("email").value,
              code: document.getElementById("code").value
            };
            var password = document.getElementById("password");
            if (password) {
              if (password.value !== document.getElementById("repeat").value) {
                show("The two passwords differ.", false);
                return;
              }
              body.password = password.value;
              addSecondFactor(body);
            }
            var button = form.querySelector("button");
            button.disabled = true;
            fetch(form.getAttribute("data-action"), {
              method: "POST",
              headers: { "Content-Type": "application/json" },
              body: JSON.stringify(body),
              credentials: "omit"
            }).then(function (response) {
              return response.json().catch(function () { return null; }).then(function (answer) {
                if (response.ok) {
                  form.hidden = true;
                  show(password ? "Your password is changed. Sign in with it." : "Your address is confirmed.", true);
                  return;
                }
                var detail = answer && answer.detail;
                if (detail === "mfa_required") {
                  document.getElementById("second-factor").hidden = false;
                  show("This account has two-step sign-in: add a code below.", false);
                } else if (detail && detail.code === "RESET_PASSWORD_INVALID_PASSWORD") {
                  show("That password cannot be used: " + detail.reason, false);
                } else if (typeof detail === "string" && messages[detail]) {
                  show(messages[detail], false);
                } else if (response.status === 429) {
                  show("Too many attempts. Wait a little and try again.", false);
                } else {
                  show("That did not work (" + response.status + "). Try again later.", false);
                }
                button.disabled = false;
              });
            }, function () {
              show("The service cannot be reached. Try again later.", false);
              button.disabled = false;
            });
          });
        })();
        """

    static let style = """
        body { font-family: system-ui, sans-serif; line-height: 1.5; margin: 0; padding: 2em 1em; }
        main { max-width: 28em; margin: 0 auto; }
        label { display: inline-block; margin: .25em 0; }
        input { font: inherit; padding: .3em; margin-left: .5em; }
        button { font: inherit; padding: .4em 1em; }
        .ok { color: #0a6b2d; }
        .error { color: #a4161a; }
        """
}
