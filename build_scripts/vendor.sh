#!/usr/bin/env bash
# Re-fetches the vendored third-party sources from Debian bookworm's source packages (with
# Debian's patches applied by dpkg-source) and copies the files we compile into src/third_party/.
# Review `git diff src/third_party` afterwards and update src/third_party/README.md.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# A private apt configuration with a deb-src line for the mirror this machine already uses, so the
# system's sources stay untouched.
mirror=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list)
echo "deb-src $mirror bookworm main" > sources.list
mkdir -p lists/partial
apt_opts=(-o Dir::Etc::SourceList="$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
          -o Dir::State::Lists="$work/lists")
apt-get "${apt_opts[@]}" update -qq
apt-get "${apt_opts[@]}" source cjson utf8proc

cjson=$(find . -maxdepth 1 -type d -name 'cjson-*' | head -1)
utf8proc=$(find . -maxdepth 1 -type d -name 'utf8proc-*' | head -1)
cp "$cjson"/cJSON.c "$cjson"/cJSON.h "$cjson"/LICENSE "$repo"/src/third_party/cjson/
cp "$utf8proc"/utf8proc.c "$utf8proc"/utf8proc.h "$utf8proc"/utf8proc_data.c "$utf8proc"/LICENSE.md \
   "$repo"/src/third_party/utf8proc/
echo "vendored $(basename "$cjson") and $(basename "$utf8proc"); now review: git diff src/third_party"
