#!/bin/sh
# The programs the test suite needs that pip cannot install: hunspell with the Kazakh
# dictionary (the spell check of the manuscript), Java (EPUBCheck) and Chromium (tests in a
# real browser). Missing ones are installed with apt-get when this runs as root (CI, a
# fresh container); otherwise it stops with one line naming the packages and the command.
missing=""
command -v hunspell >/dev/null 2>&1 || missing="$missing hunspell"
[ -f /usr/share/hunspell/kk_KZ.dic ] || missing="$missing hunspell-kk"
command -v java >/dev/null 2>&1 || missing="$missing default-jre-headless"
[ -x /usr/bin/chromium ] || missing="$missing chromium"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian packages:$missing" >&2
  if apt-get update -qq >/dev/null 2>&1 \
     && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        $missing >/dev/null 2>&1; then
    exit 0
  fi
fi
echo "make test needs the Debian packages$missing: sudo apt-get install$missing" >&2
exit 1
