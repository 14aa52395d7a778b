#!/bin/sh
# First step of release-pipeline.json: checks that the requested version is
# a semantic version (MAJOR.MINOR.PATCH, optional -prerelease) and turns it
# into the git tag every later stage uses.
#
# Input: the version as $1 (also $BRAID_VERSION; the input object on stdin).
# Output: the Braid result protocol as the last line of stdout.
set -eu

[ -t 0 ] || cat >/dev/null

version=${1:-${BRAID_VERSION:-}}
version=${version#v}

# Only semver characters may reach the JSON below (no quotes, no newlines).
case $version in
  '' | *[!0-9A-Za-z.-]*) version=invalid ;;
esac

if printf '%s\n' "$version" | grep -Eq '^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$'; then
  printf '{"outputs": {"release_tag": "v%s"}, "approved": true}\n' "$version"
else
  echo '{"approved": false, "errors": ["version is not a semantic version such as 2.4.0 or 2.4.0-rc.1"]}'
  exit 1
fi
