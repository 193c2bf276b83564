#!/usr/bin/env python3
"""Drive a headless Firefox through Marionette to load a page that needs a
client certificate from a PKCS#11 token, answering the token's PIN prompt.

Standard library only.  Marionette speaks JSON over TCP: every message is
"<length>:<json>"; the server greets with {"marionetteProtocol": 3, ...};
a command is [0, id, name, params] and its answer [1, id, error, result].

Firefox must have been started with --marionette --remote-allow-system-access
(chrome-context scripts need the latter) and marionette.port set to --port.

How the PIN gets in, without a person at the keyboard (--pin-mode):
  prompt  a chrome-side observer of "common-dialog-loaded", installed before
          navigating, fills the token's password prompt ("Please authenticate
          to the security device (<token>)") with --pin and accepts it.  The
          session asks Marionette to leave prompts alone
          (unhandledPromptBehavior "ignore"): its default would dismiss it.
  unlock  the token is logged in before navigating, through PSM's own
          interfaces (nsIPKCS11ModuleDB → module → slot → token.login()),
          which is what Settings → Security Devices → Log In does; the same
          observer answers that login's prompt, and the page then needs none.
  none    no PIN is given: every prompt is cancelled (a control).

The result (page URL, title and text, the prompts seen, the token's state)
goes to --result as JSON; the page's screenshot to --screenshot as PNG.
"""

import argparse
import base64
import json
import socket
import sys
import time


class MarionetteError(Exception):
    def __init__(self, command, error):
        self.command = command
        self.error = error
        if isinstance(error, dict):
            msg = "%s: %s" % (error.get("error"), error.get("message"))
        else:
            msg = str(error)
        super().__init__("%s failed: %s" % (command, msg))


class Marionette:
    def __init__(self, host, port, connect_timeout):
        self.sock = None
        self.buf = b""
        self.next_id = 1
        deadline = time.monotonic() + connect_timeout
        last = None
        while time.monotonic() < deadline:
            try:
                s = socket.create_connection((host, port), timeout=5)
                self.sock = s
                s.settimeout(max(1.0, deadline - time.monotonic()))
                hello = self._recv()
                if hello.get("marionetteProtocol") != 3:
                    raise RuntimeError("unexpected Marionette greeting %r" % hello)
                self.hello = hello
                return
            except (OSError, ValueError) as e:
                last = e
                if self.sock:
                    self.sock.close()
                    self.sock = None
                self.buf = b""
                time.sleep(0.25)
        raise TimeoutError(
            "no Marionette on %s:%d after %ds (%s)" % (host, port, connect_timeout, last))

    def _recv(self):
        while b":" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("Marionette closed the connection")
            self.buf += chunk
        head, rest = self.buf.split(b":", 1)
        length = int(head)
        while len(rest) < length:
            chunk = self.sock.recv(max(65536, length - len(rest)))
            if not chunk:
                raise ConnectionError("Marionette closed the connection")
            rest += chunk
        self.buf = rest[length:]
        return json.loads(rest[:length].decode("utf-8"))

    def send(self, name, params=None, timeout=30):
        msg_id = self.next_id
        self.next_id += 1
        data = json.dumps([0, msg_id, name, params or {}]).encode("utf-8")
        self.sock.settimeout(timeout)
        self.sock.sendall(str(len(data)).encode("ascii") + b":" + data)
        while True:
            reply = self._recv()
            if isinstance(reply, list) and len(reply) == 4 and reply[0] == 1 \
                    and reply[1] == msg_id:
                break
        if reply[2]:
            raise MarionetteError(name, reply[2])
        return reply[3]

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None


# Chrome-side observer: records every common dialog in a pref (so a later
# script can read it from any sandbox) and answers the token's password
# prompt.  arguments: [pin or null, max answers, token label]
INSTALL_OBSERVER = r"""
const [pin, maxAnswers, tokenLabel] = arguments;
const PREF = "tessera.test.prompts";
const seen = [];
const save = () => Services.prefs.setStringPref(PREF, JSON.stringify(seen));
save();
const observer = {
  observe(win, topic) {
    const args = win.args || {};
    const entry = { topic, type: args.promptType || null,
                    text: args.text || null, answered: false };
    seen.push(entry);
    try {
      const dialog = win.document.getElementById("commonDialog");
      const forToken = entry.type === "promptPassword" &&
        typeof entry.text === "string" && entry.text.includes(tokenLabel);
      const answers = seen.filter(e => e.answered).length;
      if (pin !== null && forToken && answers < maxAnswers) {
        win.document.getElementById("password1Textbox").value = pin;
        entry.answered = true;
        save();
        dialog.acceptDialog();
      } else {
        entry.cancelled = true;
        save();
        dialog.cancelDialog();
      }
    } catch (e) {
      entry.error = String(e);
      save();
    }
  },
};
Services.obs.addObserver(observer, "common-dialog-loaded");
return true;
"""

# Chrome-side: the state of every token whose name is the label, and
# optionally log it in with the PIN (what Security Devices → Log In does).
TOKEN_STATE = r"""
const [tokenLabel, login] = arguments;
return (async () => {
const db = Cc["@mozilla.org/security/pkcs11moduledb;1"]
             .getService(Ci.nsIPKCS11ModuleDB);
const found = [];
for (const mod of await db.listModules()) {
  for (const slot of mod.slots) {
    let token;
    try { token = slot.getToken(); } catch (e) { continue; }
    if (!token || token.tokenName !== tokenLabel) continue;
    const info = { module: mod.name, library: mod.libName, slot: slot.name,
                   token: token.tokenName, loggedInBefore: token.isLoggedIn };
    if (login) {
      token.login(false);
      info.loginCalled = true;
    }
    info.loggedIn = token.isLoggedIn;
    found.push(info);
  }
}
return found;
})();
"""

PAGE_STATE = r"""
return { url: document.documentURI, title: document.title,
         readyState: document.readyState,
         text: document.body ? document.body.innerText : "" };
"""


def read_prompts(m):
    """The prompts the observer has seen so far (leaves the chrome context on)."""
    m.send("Marionette:SetContext", {"value": "chrome"})
    return json.loads(m.send("WebDriver:ExecuteScript", {
        "script": 'return Services.prefs.getStringPref("tessera.test.prompts", "[]");'
    })["value"])


def page_state(m):
    """The content page's URL, title, readyState and text; None while a
    prompt is open (Marionette then ends scripts without a value)."""
    try:
        return m.send("WebDriver:ExecuteScript", {"script": PAGE_STATE})["value"]
    except MarionetteError as e:
        if isinstance(e.error, dict) and e.error.get("error") == "unexpected alert open":
            return None
        raise


def token_state(m, token):
    """Firefox's view of the token(s) with this label (chrome context)."""
    return m.send("WebDriver:ExecuteScript",
                  {"script": TOKEN_STATE, "args": [token, False]})["value"]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True, help="Marionette port")
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True, help="token label, as Firefox shows it")
    ap.add_argument("--pin", default=None)
    ap.add_argument("--pin-mode", choices=["prompt", "unlock", "none"], default="prompt")
    ap.add_argument("--max-answers", type=int, default=1,
                    help="answer the PIN prompt at most this many times")
    ap.add_argument("--screenshot", required=True)
    ap.add_argument("--result", required=True)
    ap.add_argument("--connect-timeout", type=int, default=60)
    ap.add_argument("--page-timeout", type=int, default=40)
    ap.add_argument("--quit", action="store_true", help="quit Firefox at the end")
    a = ap.parse_args()

    t0 = time.monotonic()
    result = {"mode": a.pin_mode, "url": a.url, "timing": {}}

    def mark(what):
        result["timing"][what] = round(time.monotonic() - t0, 1)
    m = Marionette("127.0.0.1", a.port, a.connect_timeout)
    result["connect_seconds"] = round(time.monotonic() - t0, 1)
    try:
        caps = m.send("WebDriver:NewSession", {
            "unhandledPromptBehavior": "ignore",
            "pageLoadStrategy": "normal",
            "acceptInsecureCerts": False,
            "timeouts": {"pageLoad": a.page_timeout * 1000, "script": 30000},
        }, timeout=a.connect_timeout)
        mark("session")
        result["browser"] = "%s %s" % (
            caps["capabilities"].get("browserName"),
            caps["capabilities"].get("browserVersion"))

        m.send("Marionette:SetContext", {"value": "chrome"})
        answer_pin = a.pin if a.pin_mode != "none" else None
        m.send("WebDriver:ExecuteScript",
               {"script": INSTALL_OBSERVER, "args": [answer_pin, a.max_answers, a.token]})
        result["tokens_before"] = token_state(m, a.token)
        if a.pin_mode == "unlock":
            # token.login() opens the PIN prompt; Marionette ends a script
            # whose run opens a prompt without its value, so look afterwards.
            m.send("WebDriver:ExecuteScript", {"script": TOKEN_STATE, "args": [a.token, True]})
            deadline = time.monotonic() + 20
            while True:
                result["tokens_unlocked"] = token_state(m, a.token)
                if all(t["loggedIn"] for t in result["tokens_unlocked"]) \
                        or time.monotonic() > deadline:
                    break
                time.sleep(0.25)

        result["prompts_before_navigate"] = read_prompts(m)
        mark("ready")

        m.send("Marionette:SetContext", {"value": "content"})
        deadline = time.monotonic() + a.page_timeout
        try:
            m.send("WebDriver:Navigate", {"url": a.url}, timeout=a.page_timeout + 10)
            result["navigate"] = "ok"
            mark("navigate")
        except MarionetteError as e:
            # An error page (e.g. the handshake failed) is an answer, not a
            # crash of the test: the page state below tells what happened.
            result["navigate"] = str(e)
        # A prompt that opens during the load (the PIN prompt) makes Navigate
        # return at once; wait for the load to end, or for the deadline.
        page = None
        while True:
            page = page_state(m) or page
            if page is not None:
                loaded = page["readyState"] == "complete" or (
                    # Firefox's error pages may stay "interactive".
                    page["url"].startswith("about:") and page["readyState"] != "loading")
                if page["url"] != "about:blank" and loaded:
                    break
            if time.monotonic() > deadline:
                break
            time.sleep(0.25)
        if page is not None and page["url"].startswith("about:"):
            # An error page: give it a moment to finish, so the screenshot
            # shows it rather than a blank page.
            settle = time.monotonic() + 5
            while page["readyState"] != "complete" and time.monotonic() < settle:
                time.sleep(0.25)
                page = page_state(m) or page
            time.sleep(0.5)
        if page is None:
            raise RuntimeError("could not read the page's state in %ds" % a.page_timeout)
        result["page"] = page
        mark("page")
        try:
            shot = m.send("WebDriver:TakeScreenshot", {"full": True, "hash": False})["value"]
            with open(a.screenshot, "wb") as f:
                f.write(base64.b64decode(shot))
            result["screenshot"] = a.screenshot
            mark("screenshot")
        except MarionetteError as e:
            result["screenshot_error"] = str(e)

        result["prompts"] = read_prompts(m)
        result["tokens_after"] = token_state(m, a.token)
        if a.quit:
            try:
                m.send("Marionette:Quit", {"flags": ["eForceQuit"]}, timeout=20)
            except (MarionetteError, OSError):
                pass
    finally:
        result["seconds"] = round(time.monotonic() - t0, 1)
        with open(a.result, "w") as f:
            json.dump(result, f, indent=2)
        m.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
