#!/usr/bin/env python3
"""Signs in to a running Mediadesk and prints the session cookie as a `Cookie:` header value.

Usage: bench/signin.py BASE_URL USER PASSWORD
"""
import http.cookiejar
import re
import sys
import urllib.parse
import urllib.request

base, user, password = sys.argv[1:4]
jar = http.cookiejar.CookieJar()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
page = opener.open(f"{base}/signin").read().decode()
token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
form = urllib.parse.urlencode({"csrf_token": token, "username": user, "password": password}).encode()
try:
    opener.open(f"{base}/signin", data=form)
except urllib.error.HTTPError as e:  # the 303 to the gallery
    if e.code != 303:
        sys.exit(f"sign-in failed: HTTP {e.code}")
cookies = "; ".join(f"{c.name}={c.value}" for c in jar if c.name == "mediadesk_session")
if not cookies:
    sys.exit("sign-in failed: no session cookie")
print(cookies)
