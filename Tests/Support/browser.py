"""Drives headless Chromium (Debian's package) through a page as a user would, over the DevTools
protocol on a pipe (--remote-debugging-pipe: JSON messages ended by NUL on fds 3 and 4), with
nothing but the standard library.

browser.py STEPS_JSON
  STEPS_JSON is a list of steps, each one of:
    {"open": URL}                           load URL and wait for it
    {"fill": SELECTOR, "value": TEXT}       type TEXT into the element
    {"click": SELECTOR}                     click the element
    {"wait": JS_EXPRESSION}                 wait (up to 15 s) until it is truthy
    {"eval": JS_EXPRESSION}                 record its value
Prints one JSON object: {"values": [recorded values...], "console": [...], "errors": [...]}.
"""
import json
import os
import subprocess
import sys
import time


class Browser:
    def __init__(self):
        to_chrome_read, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_write = os.pipe()
        # Chromium reads commands on fd 3 and writes answers on fd 4.
        def child_fds():
            # Out of the way first: either pipe end may itself be fd 3 or 4.
            read_end, write_end = os.dup2(to_chrome_read, 100), os.dup2(from_chrome_write, 101)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)
        self.process = subprocess.Popen(
            ["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--remote-debugging-pipe", "about:blank"],
            # The pipes become fds 3 and 4 in the child only; they must survive the exec.
            preexec_fn=child_fds, close_fds=False,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={"HOME": "/tmp", "PATH": "/usr/bin:/bin"})
        os.close(to_chrome_read)
        os.close(from_chrome_write)
        self.buffer = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def send(self, method, params=None, session=True):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            answer = self.read()
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def read(self):
        while b"\0" not in self.buffer:
            chunk = os.read(self.from_chrome, 65536)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def attach(self):
        targets = self.send("Target.getTargets", session=False)["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.send("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True}, session=False)["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send("Log.enable")
        # Content-security-policy violations, collected from the first script on: `window.cspViolations`.
        self.send("Page.addScriptToEvaluateOnNewDocument", {"source":
            "window.cspViolations = []; document.addEventListener('securitypolicyviolation',"
            " function (e) { window.cspViolations.push(e.violatedDirective); });"})

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, expression, seconds=15):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.evaluate(expression):
                return
            time.sleep(0.05)
        raise RuntimeError(f"timed out waiting for {expression}")

    def close(self):
        self.process.kill()
        self.process.wait()


def main():
    steps = json.loads(sys.argv[1])
    browser = Browser()
    values = []
    try:
        browser.attach()
        for step in steps:
            if "open" in step:
                browser.send("Page.navigate", {"url": step["open"]})
                browser.wait("document.readyState === 'complete'")
            elif "fill" in step:
                browser.evaluate(f"document.querySelector({json.dumps(step['fill'])}).value = {json.dumps(step['value'])}")
            elif "click" in step:
                browser.evaluate(f"document.querySelector({json.dumps(step['click'])}).click()")
            elif "wait" in step:
                browser.wait(step["wait"])
            elif "eval" in step:
                values.append(browser.evaluate(step["eval"]))
    finally:
        browser.close()
    console = [e["params"] for e in browser.events if e.get("method") == "Runtime.consoleAPICalled"]
    errors = [e["params"] for e in browser.events if e.get("method") in ("Runtime.exceptionThrown", "Log.entryAdded")]
    print(json.dumps({"values": values, "console": console, "errors": errors}))


if __name__ == "__main__":
    main()
