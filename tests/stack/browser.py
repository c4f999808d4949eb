"""The person at the system browser, for signing in through the real app under Xvfb:
the tests point BROWSER here, and it signs in as the user named in the JSON file
$SR_TEST_BROWSER_LOGIN ({"username": ..., "password": ...})."""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stack

login = json.loads(Path(os.environ["SR_TEST_BROWSER_LOGIN"]).read_text())
stack.sign_in(sys.argv[1], login["username"], login["password"])
