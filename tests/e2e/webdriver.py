"""A small W3C WebDriver client for WebKitWebDriver driving the real app.

WebKitWebDriver speaks plain W3C WebDriver; these few calls are all the tests need.
"""

import base64
import time

import requests

KEYS = {
    "Enter": "\ue007",
    "Escape": "\ue00c",
    "ArrowLeft": "\ue012",
    "ArrowUp": "\ue013",
    "ArrowRight": "\ue014",
    "ArrowDown": "\ue015",
    "PageUp": "\ue00e",
    "PageDown": "\ue00f",
    "End": "\ue010",
    "Home": "\ue011",
    "Delete": "\ue017",
    "Shift": "\ue008",
    "Control": "\ue009",
}
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


class WebDriverError(RuntimeError):
    pass


class Session:
    def __init__(self, url, binary, args, timeout=60):
        self.url = url
        caps = {"capabilities": {"alwaysMatch": {"webkitgtk:browserOptions": {"binary": binary, "args": args}}}}
        reply = self._call("POST", "/session", caps, timeout=timeout)
        self.id = reply["sessionId"]

    def _call(self, method, path, body=None, timeout=30):
        response = requests.request(method, self.url + path, json=body, timeout=timeout)
        payload = response.json() if response.content else {}
        value = payload.get("value")
        if response.status_code >= 400:
            raise WebDriverError(f"{method} {path}: {value}")
        return value

    def cmd(self, method, path, body=None):
        return self._call(method, f"/session/{self.id}{path}", body)

    def script(self, source, *args):
        return self.cmd("POST", "/execute/sync", {"script": source, "args": list(args)})

    def script_async(self, source, *args):
        """Runs `source`, which calls its last argument with the result (a promise's)."""
        return self.cmd("POST", "/execute/async", {"script": source, "args": list(args)})

    def find_all(self, css):
        return [e[ELEMENT] for e in self.cmd("POST", "/elements", {"using": "css selector", "value": css})]

    def text(self, css):
        return self.script("const e = document.querySelector(arguments[0]); return e ? e.innerText : null;", css)

    def texts(self, css):
        return self.script("return [...document.querySelectorAll(arguments[0])].map(e => e.innerText);", css)

    def click(self, css):
        element = self.wait_for(css)
        self.cmd("POST", f"/element/{element}/click", {})

    def type_into(self, css, text):
        """Clears a form field and types into it, as a person would."""
        element = self.wait_for(css)
        self.cmd("POST", f"/element/{element}/clear", {})
        self.cmd("POST", f"/element/{element}/value", {"text": text})

    def wait_for(self, css, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.find_all(css)
            if found:
                return found[0]
            time.sleep(0.1)
        raise TimeoutError(f"no element matches {css!r} after {timeout}s")

    def wait_until(self, predicate, what, timeout=20):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = predicate()
            if last:
                return last
            time.sleep(0.1)
        raise TimeoutError(f"timed out waiting for {what} (last: {last!r})")

    def keys(self, *keys):
        """Presses keys one after another; a tuple presses a chord (e.g. ("Shift", "3"))."""
        actions = []
        for key in keys:
            chord = key if isinstance(key, tuple) else (key,)
            codes = [KEYS.get(k, k) for k in chord]
            actions += [{"type": "keyDown", "value": c} for c in codes]
            actions += [{"type": "keyUp", "value": c} for c in reversed(codes)]
        self.cmd("POST", "/actions", {"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})
        self.cmd("DELETE", "/actions")

    def drag(self, css, dx, dy):
        element = self.wait_for(css)
        origin = {ELEMENT: element}
        steps = [{"type": "pointerMove", "origin": origin, "x": 0, "y": 0, "duration": 0},
                 {"type": "pointerDown", "button": 0}]
        for i in range(1, 11):
            steps.append({"type": "pointerMove", "origin": origin, "x": dx * i // 10, "y": dy * i // 10, "duration": 20})
        steps.append({"type": "pointerUp", "button": 0})
        pointer = {"type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"}, "actions": steps}
        self.cmd("POST", "/actions", {"actions": [pointer]})
        self.cmd("DELETE", "/actions")

    def screenshot(self, path):
        # Two animation frames after the last DOM change, so the picture is what a user sees.
        self.script("return new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))));")
        path.write_bytes(base64.b64decode(self.cmd("GET", "/screenshot")))

    def quit(self):
        try:
            self._call("DELETE", f"/session/{self.id}")
        except (requests.RequestException, WebDriverError):
            pass
